import DeepCore
import Foundation

/// Re-ranks a base model's best items with the project's seed MLP used as a feature-based
/// scorer: `Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid)`, Adam, binary
/// cross-entropy, trained with DeepCore's ``Sequential`` to predict the probability that a
/// user engages with an item from content features alone.
///
/// ```swift
/// let features = ItemFeatures(itemCount: data.itemCount) { data.items[$0].genres }
/// let model = try MLPReranker(base: EASE(lambda: 200), features: features).fit(matrix)
/// ```
///
/// **Input of the MLP** for a (user, item) pair, `3·w + 1` values for `w = features.width`:
///
/// | values | what |
/// |---|---|
/// | `w` | the user's profile: the mean of the ``ItemFeatures/writeVector(ofItem:into:)`` vectors of the items in their history |
/// | `w` | the item's own vector |
/// | `w` | their element-wise product (profile ⊙ item: how well the item matches the profile) |
/// | 1 | the item's popularity, `log(1 + n_i) / log(1 + max n)` for `n_i` training interactions, in [0, 1] |
///
/// **Training.** Every training interaction is a positive (label 1) and `negatives` items
/// the user does not have, drawn uniformly by ``NegativeSampler`` (fresh each epoch,
/// seeded), are negatives (label 0), as ``NeuMF`` trains. The profile of each such group
/// (a positive and its negatives) is the user's history *without* that positive: at
/// scoring time a candidate is never in the history, so the positive's own vector must not
/// leak into the profile (it would make profile ⊙ item a label detector for users with
/// few items). The rows are shuffled each epoch and fed to `fit` in chunks of a few
/// megabytes (whole batches each), so memory stays bounded on large catalogs.
///
/// **Scoring** (``MLPRerankerModel``): the base model's scores; among the items the user
/// does not have, the top `candidates` by base score get `max(base) + 1 + p`, with `p`
/// the MLP's probability, so they stay above every other item and are ordered by the MLP;
/// every other item keeps its base score.
public struct MLPReranker: RecommenderAlgorithm {
    /// The model whose top items are re-ranked (and whose scores rank everything else).
    public var base: any RecommenderAlgorithm
    /// Item side features; `features.itemCount` must equal the matrix's item count.
    public var features: ItemFeatures
    /// How many of the base model's best unseen items the MLP re-ranks per user.
    public var candidates: Int
    /// Sampled negatives per training interaction.
    public var negatives: Int
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Seeds the weights, the negatives and the shuffling: the same seed gives the same model.
    public var seed: UInt64
    /// Print one line per epoch to standard error.
    public var verbose: Bool

    /// Widths of the hidden ReLU layers (the seed model's); the output is one sigmoid unit.
    public static let hiddenLayers = [128, 64]

    public init(base: any RecommenderAlgorithm, features: ItemFeatures, candidates: Int = 100, negatives: Int = 4,
                epochs: Int = 5, batchSize: Int = 32, learningRate: Float = 0.001, seed: UInt64 = 42,
                verbose: Bool = false) {
        self.base = base
        self.features = features
        self.candidates = candidates
        self.negatives = negatives
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.verbose = verbose
    }

    public var name: String { "rerank" }
    public var description: String {
        "rerank(base: \(base), features: \(features.width), candidates: \(candidates), negatives: \(negatives), epochs: \(epochs), batch: \(batchSize), lr: \(learningRate))"
    }

    func validate(_ matrix: InteractionMatrix) throws {
        guard candidates >= 1 else { throw RecommenderError.invalidArgument("candidates must be ≥ 1, got \(candidates)") }
        guard negatives >= 1, negatives <= 1000 else { throw RecommenderError.invalidArgument("negatives must be in 1...1000, got \(negatives)") }
        guard epochs >= 0 else { throw RecommenderError.invalidArgument("epochs must be ≥ 0, got \(epochs)") }
        guard batchSize >= 1 else { throw RecommenderError.invalidArgument("batch size must be ≥ 1, got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else { throw RecommenderError.invalidArgument("learning rate must be > 0, got \(learningRate)") }
        guard features.itemCount == matrix.itemCount else {
            throw RecommenderError.invalidArgument("the features describe \(features.itemCount) items, the matrix has \(matrix.itemCount)")
        }
        guard features.width <= RerankInputs.maximumFeatures else {
            throw RecommenderError.tooLarge("the reranker takes at most \(RerankInputs.maximumFeatures) features, got \(features.width)")
        }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to train the reranker on") }
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        let model = try fitReranker(matrix)
        // Saving needs the base model's payload; a base that cannot be saved makes a
        // reranker that cannot either (saving then throws instead of writing a bad file).
        return model.base is any PersistableModel ? model : UnsavableReranker(model: model)
    }

    /// Trains and returns the concrete model.
    func fitReranker(_ matrix: InteractionMatrix) throws -> MLPRerankerModel {
        try validate(matrix)
        let sampler = try NegativeSampler(matrix, distribution: .uniform)
        let baseModel = try base.fit(matrix)
        guard baseModel.itemCount == matrix.itemCount else {
            throw RecommenderError.invalidArgument("base model '\(baseModel.name)' scores \(baseModel.itemCount) items, the matrix has \(matrix.itemCount)")
        }
        guard !(baseModel is MLPRerankerModel || baseModel is UnsavableReranker) else {
            throw RecommenderError.invalidArgument("the base of a reranker cannot be a reranker")
        }
        let inputs = RerankInputs(features: features, popularity: RerankInputs.popularity(of: matrix))
        let d = inputs.inputWidth
        let net = Sequential([Input(shape: [d])] + Self.hiddenLayers.map { Dense(units: $0, activation: .relu) }
                             + [Dense(units: 1, activation: .sigmoid)], seed: seed)
        net.compile(optimizer: Adam(learningRate: learningRate), loss: .binaryCrossentropy, metrics: [.accuracy])

        // Feature sums of each user's history; a group's profile is its user's sum minus
        // the positive's vector, over the history size minus one.
        let w = features.width
        var sums = [Float](repeating: 0, count: matrix.userCount * w)
        for u in 0..<matrix.userCount {
            for i in matrix.items(ofUser: u) { inputs.addVector(ofItem: Int(i), to: &sums, at: u * w) }
        }
        var rng = SeededGenerator(seed: seed)
        let group = 1 + negatives
        // Whole batches per chunk (about 16 MiB of inputs), so the batches are those of one
        // `fit` over everything.
        let chunk = max(1, (1 << 22) / d / batchSize) * batchSize
        var profile = [Float](repeating: 0, count: w)
        for epoch in 0..<epochs {
            let start = ContinuousClock.now
            let data = sampler.pointwiseEpoch(negatives: negatives, rng: &rng)
            let n = data.labels.count
            var order = Array(0..<n)
            for k in stride(from: n - 1, to: 0, by: -1) { order.swapAt(k, rng.nextIndex(below: k + 1)) }
            var lossSum = 0.0, accuracySum = 0.0
            var first = 0
            while first < n {
                let rows = min(chunk, n - first)
                var x = Tensor(zeros: [rows, d])
                var y = [Float](repeating: 0, count: rows)
                x.withUnsafeMutableBufferPointer { xp in
                    for r in 0..<rows {
                        let row = order[first + r]
                        let u = Int(data.users[row]), item = Int(data.items[row])
                        let positive = Int(data.items[row - row % group])
                        let count = matrix.rowStart[u + 1] - matrix.rowStart[u]
                        inputs.leaveOneOutProfile(sum: sums, at: u * w, count: count, without: positive, into: &profile)
                        profile.withUnsafeBufferPointer { p in
                            inputs.writeInput(profile: p.baseAddress!, item: item, into: xp.baseAddress! + r * d)
                        }
                        y[r] = data.labels[row]
                    }
                }
                let history = try net.fit(x, Tensor(shape: [rows, 1], scalars: y), epochs: 1, batchSize: batchSize,
                                          seed: rng.next(), verbose: .silent)
                lossSum += (history["loss"].last ?? .nan) * Double(rows)
                accuracySum += (history["accuracy"].last ?? .nan) * Double(rows)
                first += rows
            }
            if verbose {
                let line = "  rerank epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.4f", lossSum / Double(n))), "
                    + "accuracy \(String(format: "%.4f", accuracySum / Double(n))), \(n) samples, \(ContinuousClock.now - start)\n"
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
        let dense = net.layers.compactMap { $0 as? Dense }
        return MLPRerankerModel(base: baseModel, inputs: inputs, candidates: candidates,
                                kernels: dense.map { $0.kernel!.tensor.scalars }, biases: dense.map { $0.bias!.tensor.scalars })
    }
}

/// What the reranker's MLP reads: item features and popularity, and how a (profile, item)
/// pair becomes one input row (see ``MLPReranker`` for the layout).
struct RerankInputs: Sendable, Equatable {
    /// Largest feature vocabulary the reranker takes (its input is `3·w + 1` wide).
    static let maximumFeatures = 8192

    let features: ItemFeatures
    /// Per item, `log(1 + n_i) / log(1 + max n)`: in [0, 1].
    let popularity: [Float]

    var itemCount: Int { features.itemCount }
    var width: Int { features.width }
    var inputWidth: Int { 3 * width + 1 }

    /// Log-popularity of every item in `matrix`, scaled to [0, 1].
    static func popularity(of matrix: InteractionMatrix) -> [Float] {
        let counts = matrix.itemCounts()
        let top = log1p(Double(counts.max() ?? 0))
        return counts.map { top > 0 ? Float(log1p(Double($0)) / top) : 0 }
    }

    /// Adds item `i`'s feature vector to `sum[offset..<offset + width]`.
    func addVector(ofItem i: Int, to sum: inout [Float], at offset: Int, scale: Float = 1) {
        let f = features.features(ofItem: i)
        guard !f.isEmpty else { return }
        let v = scale / Float(f.count).squareRoot()
        for j in f { sum[offset + Int(j)] += v }
    }

    /// The mean feature vector of `items` (zeros for none) into `profile` (`width` values).
    func profile<C: Collection>(of items: C, into profile: inout [Float]) where C.Element == Int32 {
        for f in 0..<width { profile[f] = 0 }
        guard !items.isEmpty else { return }
        for i in items { addVector(ofItem: Int(i), to: &profile, at: 0) }
        let scale = 1 / Float(items.count)
        for f in 0..<width { profile[f] *= scale }
    }

    /// The mean of a history of `count` items whose vectors sum to `sum[offset...]`,
    /// leaving out item `left` (one of them).
    func leaveOneOutProfile(sum: [Float], at offset: Int, count: Int, without left: Int, into profile: inout [Float]) {
        for f in 0..<width { profile[f] = sum[offset + f] }
        addVector(ofItem: left, to: &profile, at: 0, scale: -1)
        let scale: Float = count > 1 ? 1 / Float(count - 1) : 0
        for f in 0..<width { profile[f] *= scale }
    }

    /// One MLP input row: profile, item vector, their product, popularity.
    func writeInput(profile: UnsafePointer<Float>, item: Int, into out: UnsafeMutablePointer<Float>) {
        let w = width
        out.update(from: profile, count: w)
        features.writeVector(ofItem: item, into: out + w)
        for f in 0..<w { out[2 * w + f] = profile[f] * out[w + f] }
        out[3 * w] = popularity[item]
    }
}

/// A fitted ``MLPReranker``: the base model, the features and the MLP's weights as plain
/// arrays, scored by its own forward pass (GEMMs through ``RecKernels``), so it is
/// immutable and can be queried from many threads at once.
struct MLPRerankerModel: ScoringModel {
    let base: any ScoringModel
    let inputs: RerankInputs
    let candidates: Int
    /// Per layer: kernel `[in × out]` (row-major) and bias `[out]`; ReLU on every layer
    /// but the last, whose single unit is a sigmoid.
    let kernels: [[Float]]
    let biases: [[Float]]

    var name: String { "rerank" }
    var itemCount: Int { inputs.itemCount }
    var widths: [Int] { biases.map(\.count) }

    /// Buffers for re-ranking one user's candidates.
    struct Scratch {
        var ids: [Int32]
        /// Candidates × input width.
        var x: [Float]
        /// Every layer's output for the candidates, one after the other.
        var hidden: [Float]
        var profile: [Float]
        init(_ m: MLPRerankerModel) {
            let c = max(1, min(m.candidates, m.itemCount))
            ids = [Int32](repeating: -1, count: c)
            x = [Float](repeating: 0, count: c * m.inputs.inputWidth)
            hidden = [Float](repeating: 0, count: c * m.widths.reduce(0, +))
            profile = [Float](repeating: 0, count: m.inputs.width)
        }
    }

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        base.scores(forUsers: users, training: training, into: scores)
        var scratch = Scratch(self)
        for (r, u) in users.enumerated() {
            let history = training.items(ofUser: Int(u))
            inputs.profile(of: history, into: &scratch.profile)
            rerank(scores.baseAddress! + r * itemCount, excluding: history, scratch: &scratch)
        }
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        base.scores(forHistory: history, into: scores)
        let seen = Array(Set(history.items.filter { $0 >= 0 && Int($0) < itemCount })).sorted()
        var scratch = Scratch(self)
        inputs.profile(of: seen, into: &scratch.profile)
        rerank(scores.baseAddress!, excluding: seen[...], scratch: &scratch)
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        base.similarities(toItem: item, into: scores)
    }

    /// Lifts the best `candidates` items of `row` outside `seen` (ascending) to
    /// `max(row) + 1 + p`, given the user's profile in `scratch.profile`.
    func rerank(_ row: UnsafeMutablePointer<Float>, excluding seen: ArraySlice<Int32>, scratch: inout Scratch) {
        let n = itemCount, k = scratch.ids.count
        guard n > 0 else { return }
        var top = -Float.infinity
        for i in 0..<n where row[i].isFinite { top = max(top, row[i]) }
        if !top.isFinite { top = 0 }
        let offsets: [Int64] = [0, Int64(seen.count)]
        scratch.ids.withUnsafeMutableBufferPointer { ids in
            offsets.withUnsafeBufferPointer { o in
                seen.withUnsafeBufferPointer { s in
                    RecKernels.topK(ids: ids.baseAddress!, scores: nil, from: row, rows: 1, columns: n, k: k,
                                    excludeOffsets: s.isEmpty ? nil : o.baseAddress!, excludeItems: s.baseAddress)
                }
            }
        }
        let m = scratch.ids.firstIndex(of: -1) ?? k
        guard m > 0 else { return }
        let d = inputs.inputWidth
        scratch.x.withUnsafeMutableBufferPointer { x in
            scratch.profile.withUnsafeBufferPointer { p in
                for c in 0..<m { inputs.writeInput(profile: p.baseAddress!, item: Int(scratch.ids[c]), into: x.baseAddress! + c * d) }
            }
        }
        scratch.x.withUnsafeBufferPointer { x in
            scratch.hidden.withUnsafeMutableBufferPointer { h in
                let p = probabilities(x.baseAddress!, rows: m, hidden: h.baseAddress!)
                for c in 0..<m { row[Int(scratch.ids[c])] = top + 1 + p[c] }
            }
        }
    }

    /// The MLP's probabilities for `rows` input rows at `x`; `hidden` holds `rows` times
    /// the sum of the layer widths. Returns a pointer into `hidden` (`rows` values).
    func probabilities(_ x: UnsafePointer<Float>, rows: Int, hidden: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        var input = x, inWidth = inputs.inputWidth
        var y = hidden
        for l in 0..<kernels.count {
            let out = widths[l], bias = biases[l], isLast = l == kernels.count - 1
            kernels[l].withUnsafeBufferPointer { w in
                RecKernels.gemm(input, w.baseAddress!, y, m: rows, n: out, k: inWidth)
            }
            for r in 0..<rows {
                for j in 0..<out {
                    let z = y[r * out + j] + bias[j]
                    y[r * out + j] = isLast ? 1 / (1 + expf(-z)) : max(z, 0)
                }
            }
            input = UnsafePointer(y)
            inWidth = out
            y += rows * out
        }
        return input
    }
}

/// A reranker over a base model that cannot be saved: it scores the same, and saving
/// it throws (it is not a ``PersistableModel``).
struct UnsavableReranker: ScoringModel {
    let model: MLPRerankerModel
    var name: String { model.name }
    var itemCount: Int { model.itemCount }
    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix, into scores: UnsafeMutableBufferPointer<Float>) {
        model.scores(forUsers: users, training: training, into: scores)
    }
    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        model.scores(forHistory: history, into: scores)
    }
    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        model.similarities(toItem: item, into: scores)
    }
}
