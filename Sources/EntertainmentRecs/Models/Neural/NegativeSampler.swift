import DeepCore

/// Draws items a user has not interacted with, for training on implicit feedback with
/// sampled negatives. Seeded through the caller's generator, so a seed fixes every draw.
///
/// ```swift
/// let sampler = try NegativeSampler(matrix, distribution: .uniform)
/// var rng = SeededGenerator(seed: 1)
/// let j = sampler.negative(for: user, rng: &rng)
/// ```
public struct NegativeSampler: Sendable {
    /// How negatives are drawn.
    public enum Distribution: String, Sendable, CaseIterable {
        /// Every item the user lacks is equally likely (He et al. 2017).
        case uniform
        /// Items in proportion to their number of interactions (as `implicit`'s BPR):
        /// harder negatives, and popular items cannot win by popularity alone.
        case popularity
    }

    public let matrix: InteractionMatrix
    public let distribution: Distribution

    /// A sampler over `matrix`.
    ///
    /// - Throws: ``RecommenderError/invalidArgument(_:)`` when a user has every item (no
    ///   negative exists), or ``RecommenderError/emptyData(_:)`` for an empty matrix.
    public init(_ matrix: InteractionMatrix, distribution: Distribution = .uniform) throws {
        guard matrix.count > 0, matrix.itemCount > 0 else { throw RecommenderError.emptyData("no interactions to sample negatives from") }
        for u in 0..<matrix.userCount where matrix.rowStart[u + 1] - matrix.rowStart[u] >= matrix.itemCount {
            throw RecommenderError.invalidArgument("user index \(u) has all \(matrix.itemCount) items: no negative exists")
        }
        self.matrix = matrix
        self.distribution = distribution
    }

    /// An item `user` has not interacted with. Rejection sampling; after 64 rejections
    /// (a user holding nearly every popular item) it walks from a uniform draw to the next
    /// free item, which always exists.
    public func negative(for user: Int, rng: inout SeededGenerator) -> Int32 {
        for _ in 0..<64 {
            let j: Int32 = distribution == .uniform
                ? Int32(rng.nextIndex(below: matrix.itemCount))
                : matrix.items[rng.nextIndex(below: matrix.count)]
            if !matrix.contains(user: user, item: j) { return j }
        }
        var j = Int32(rng.nextIndex(below: matrix.itemCount))
        while matrix.contains(user: user, item: j) { j = (j + 1) % Int32(matrix.itemCount) }
        return j
    }

    /// One epoch of pointwise training data: every interaction as a positive (label 1)
    /// followed by `negatives` sampled negatives (label 0), ids as floats for a model's inputs.
    public func pointwiseEpoch(negatives: Int, rng: inout SeededGenerator) -> (users: [Float], items: [Float], labels: [Float]) {
        let n = matrix.count * (1 + negatives)
        var users = [Float](), items = [Float](), labels = [Float]()
        users.reserveCapacity(n); items.reserveCapacity(n); labels.reserveCapacity(n)
        for u in 0..<matrix.userCount {
            for p in matrix.rowStart[u]..<matrix.rowStart[u + 1] {
                users.append(Float(u)); items.append(Float(matrix.items[p])); labels.append(1)
                for _ in 0..<negatives {
                    users.append(Float(u)); items.append(Float(negative(for: u, rng: &rng))); labels.append(0)
                }
            }
        }
        return (users, items, labels)
    }

    /// One epoch of pairwise training data for ``DeepCore/Loss/bpr``: for every interaction,
    /// `negatives` pairs of rows (user, positive, 1) then (user, sampled negative, 0).
    public func pairwiseEpoch(negatives: Int, rng: inout SeededGenerator) -> (users: [Float], items: [Float], labels: [Float]) {
        let n = matrix.count * negatives * 2
        var users = [Float](), items = [Float](), labels = [Float]()
        users.reserveCapacity(n); items.reserveCapacity(n); labels.reserveCapacity(n)
        for u in 0..<matrix.userCount {
            for p in matrix.rowStart[u]..<matrix.rowStart[u + 1] {
                for _ in 0..<negatives {
                    users.append(Float(u)); items.append(Float(matrix.items[p])); labels.append(1)
                    users.append(Float(u)); items.append(Float(negative(for: u, rng: &rng))); labels.append(0)
                }
            }
        }
        return (users, items, labels)
    }

    /// Every interaction once, (user, item, 1): the data of in-batch-negative losses.
    public func positives() -> (users: [Float], items: [Float], labels: [Float]) {
        var users = [Float](), items = [Float]()
        users.reserveCapacity(matrix.count); items.reserveCapacity(matrix.count)
        for u in 0..<matrix.userCount {
            for p in matrix.rowStart[u]..<matrix.rowStart[u + 1] { users.append(Float(u)); items.append(Float(matrix.items[p])) }
        }
        return (users, items, [Float](repeating: 1, count: users.count))
    }
}

/// What a neural recommender is trained to do with its sampled data.
public enum RankingObjective: Sendable, Equatable, CustomStringConvertible {
    /// Binary cross-entropy: each interaction a 1, each sampled negative a 0 (He et al.).
    case pointwise
    /// BPR: each interaction's score above each sampled negative's (Rendle et al.).
    case bpr
    /// Sampled softmax with the other items of the batch as negatives (two-tower retrieval).
    case inBatchSoftmax(temperature: Float)

    public var description: String {
        switch self {
        case .pointwise: "pointwise"
        case .bpr: "bpr"
        case .inBatchSoftmax(let t): "in-batch softmax τ \(t)"
        }
    }

    /// The epoch's rows for this objective.
    func epoch(_ sampler: NegativeSampler, negatives: Int, rng: inout SeededGenerator) -> (users: [Float], items: [Float], labels: [Float]) {
        switch self {
        case .pointwise: sampler.pointwiseEpoch(negatives: negatives, rng: &rng)
        case .bpr: sampler.pairwiseEpoch(negatives: negatives, rng: &rng)
        case .inBatchSoftmax: sampler.positives()
        }
    }
}
