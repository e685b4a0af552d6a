import DeepCore
import Foundation

/// Bayesian personalised ranking matrix factorisation (Rendle et al. 2009): user and item
/// factors plus an item bias, trained by SGD so that each user's items outrank sampled
/// items they do not have. As `implicit`'s BayesianPersonalizedRanking.
///
/// ```swift
/// let model = try BPR(factors: 64, learningRate: 0.05, iterations: 100).fit(matrix)
/// ```
public struct BPR: RecommenderAlgorithm {
    public var factors: Int
    public var learningRate: Float
    public var regularization: Float
    /// Epochs; each draws as many (user, positive, negative) triples as there are interactions.
    public var iterations: Int
    public var seed: UInt64
    /// Draw negatives in proportion to popularity (as `implicit`) rather than uniformly.
    public var popularNegatives: Bool
    /// What a negative draw the user already has does: with `true` the sample is skipped
    /// (one draw per sample, as `implicit`'s `verify_negative_samples`), so a user whose
    /// items hold much of the drawing mass (a heavy user, under popular negatives) takes
    /// fewer steps; with `false` it is redrawn, every sample is a step.
    public var skipsLikedNegatives: Bool
    /// Negative candidates per sample: with more than 1, the one the current model scores
    /// highest for the user is the step's negative (dynamic negative sampling, Zhang et al.
    /// 2013): hard negatives, which full-catalog ranking rewards. 1 is plain BPR.
    public var negativeCandidates: Int

    public init(factors: Int = 64, learningRate: Float = 0.05, regularization: Float = 0.01,
                iterations: Int = 100, popularNegatives: Bool = true, skipsLikedNegatives: Bool = false,
                negativeCandidates: Int = 1, seed: UInt64 = 42) {
        self.popularNegatives = popularNegatives
        self.skipsLikedNegatives = skipsLikedNegatives
        self.negativeCandidates = negativeCandidates
        self.factors = factors
        self.learningRate = learningRate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
    }

    public var name: String { "bpr" }
    public var description: String {
        "bpr(factors: \(factors), lr: \(learningRate), reg: \(regularization), iterations: \(iterations), negatives: \(popularNegatives ? "popular" : "uniform")\(skipsLikedNegatives ? ", skip liked" : "")\(negativeCandidates > 1 ? ", best of \(negativeCandidates)" : ""))"
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard factors > 0, factors <= 1024 else { throw RecommenderError.invalidArgument("factors must be in 1...1024, got \(factors)") }
        guard learningRate > 0, learningRate.isFinite else { throw RecommenderError.invalidArgument("learning rate must be > 0, got \(learningRate)") }
        guard regularization >= 0, regularization.isFinite else { throw RecommenderError.invalidArgument("regularization must be ≥ 0, got \(regularization)") }
        guard negativeCandidates >= 1, negativeCandidates <= 1024 else {
            throw RecommenderError.invalidArgument("negative candidates must be in 1...1024, got \(negativeCandidates)")
        }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to rank") }
        var rng = SeededGenerator(seed: seed)
        // Small random start (as implicit: (rand − 0.5)/factors); zero rows for users and
        // items without interactions (as implicit: nothing would train them).
        var u = (0..<(matrix.userCount * factors)).map { _ in (rng.nextUnitFloat() - 0.5) / Float(factors) }
        var v = (0..<(matrix.itemCount * factors)).map { _ in (rng.nextUnitFloat() - 0.5) / Float(factors) }
        var itemCounts = [Int](repeating: 0, count: matrix.itemCount)
        for i in matrix.items { itemCounts[Int(i)] += 1 }
        for i in 0..<matrix.itemCount where itemCounts[i] == 0 {
            for f in 0..<factors { v[i * factors + f] = 0 }
        }
        for r in 0..<matrix.userCount where matrix.rowStart[r] == matrix.rowStart[r + 1] {
            for f in 0..<factors { u[r * factors + f] = 0 }
        }
        var b = [Float](repeating: 0, count: matrix.itemCount)
        var state = rng.next() | 1
        let starts = matrix.rowStart.map(Int64.init)
        for _ in 0..<iterations {
            _ = u.withUnsafeMutableBufferPointer { up in
                v.withUnsafeMutableBufferPointer { vp in
                    b.withUnsafeMutableBufferPointer { bp in
                        starts.withUnsafeBufferPointer { sp in
                            matrix.items.withUnsafeBufferPointer { cp in
                                RecKernels.bprEpoch(users: up.baseAddress!, items: vp.baseAddress!, bias: bp.baseAddress!,
                                                    factors: factors, rowStart: sp.baseAddress!, columns: cp.baseAddress!,
                                                    userCount: matrix.userCount, itemCount: matrix.itemCount,
                                                    samples: matrix.count, learningRate: learningRate,
                                                    regularization: regularization, popularNegatives: popularNegatives,
                                                    skipLiked: skipsLikedNegatives, candidates: negativeCandidates, rng: &state)
                            }
                        }
                    }
                }
            }
        }
        return BPRModel(itemCount: matrix.itemCount, factors: factors, userFactors: u, itemFactors: v, itemBias: b,
                        learningRate: learningRate, regularization: regularization)
    }
}

/// Fitted BPR factors: score(u, i) = x_u·y_i + b_i, computed as one dot product
/// [x_u, 1]·[y_i, b_i] so that every path (one user, a batch, pruned top-K) rounds alike.
struct BPRModel: DotProductScoring {
    let itemCount: Int
    let factors: Int
    let userFactors: [Float]
    let itemFactors: [Float]
    let itemBias: [Float]
    let learningRate: Float
    let regularization: Float
    /// [y_i, b_i] per item (items × (factors + 1)).
    let augmentedItems: [Float]
    let normOrdered: NormOrderedItems?
    var name: String { "bpr" }

    init(itemCount: Int, factors: Int, userFactors: [Float], itemFactors: [Float], itemBias: [Float],
         learningRate: Float, regularization: Float) {
        self.itemCount = itemCount
        self.factors = factors
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.itemBias = itemBias
        self.learningRate = learningRate
        self.regularization = regularization
        var augmented = [Float](repeating: 0, count: itemCount * (factors + 1))
        for i in 0..<itemCount {
            for j in 0..<factors { augmented[i * (factors + 1) + j] = itemFactors[i * factors + j] }
            augmented[i * (factors + 1) + factors] = itemBias[i]
        }
        augmentedItems = augmented
        normOrdered = NormOrderedItems(vectors: augmented, itemCount: itemCount, width: factors + 1)
    }

    func userVector(_ u: Int32, into out: UnsafeMutablePointer<Float>) {
        userFactors.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + Int(u) * factors, count: factors) }
        out[factors] = 1
    }

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        var block = [Float](repeating: 0, count: users.count * (factors + 1))
        block.withUnsafeMutableBufferPointer { b in
            for (r, u) in users.enumerated() { userVector(u, into: b.baseAddress! + r * (factors + 1)) }
        }
        score(block, rows: users.count, into: scores.baseAddress!)
    }

    /// Scores of `rows` augmented user vectors [x, 1] (rows × (factors + 1)).
    private func score(_ x: [Float], rows: Int, into out: UnsafeMutablePointer<Float>) {
        x.withUnsafeBufferPointer { xb in
            augmentedItems.withUnsafeBufferPointer { yp in
                RecKernels.gemm(xb.baseAddress!, yp.baseAddress!, transposeB: true, out, m: rows, n: itemCount, k: factors + 1)
            }
        }
    }

    /// Fold-in: SGD on a fresh user vector alone, items fixed, seeded by the history.
    func userVector(for history: UserHistory) -> [Float] {
        let k = factors
        var x = [Float](repeating: 0, count: k)
        guard !history.items.isEmpty, history.items.count < itemCount else { return x }
        var rng = SeededGenerator(seed: UInt64(history.items.count) &* 0x9E37_79B9 &+ UInt64(history.items[0]))
        let seen = Set(history.items)
        for _ in 0..<(50 * history.items.count) {
            let i = Int(history.items[rng.nextIndex(below: history.items.count)])
            var j = rng.nextIndex(below: itemCount)
            while seen.contains(Int32(j)) { j = rng.nextIndex(below: itemCount) }
            var d: Float = itemBias[i] - itemBias[j]
            for f in 0..<k { d += x[f] * (itemFactors[i * k + f] - itemFactors[j * k + f]) }
            let z = 1 / (1 + expf(min(d, 80)))
            for f in 0..<k { x[f] += learningRate * (z * (itemFactors[i * k + f] - itemFactors[j * k + f]) - regularization * x[f]) }
        }
        return x
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        score(userVector(for: history) + [1], rows: 1, into: scores.baseAddress!)
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        cosineSimilarities(toRow: Int(item), of: itemFactors, width: factors, rows: itemCount, into: scores)
    }
}
