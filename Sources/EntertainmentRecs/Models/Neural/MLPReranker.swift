import DeepCore
import Foundation

/// Re-ranks a base model's best items with the project's seed MLP:
/// `Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid)`, Adam, binary cross-entropy,
/// trained with DeepCore's ``Sequential`` to predict which of the base model's candidates
/// the user engages with, from the base model's own evidence and content features.
///
/// ```swift
/// let features = ItemFeatures(itemCount: data.itemCount) { data.items[$0].genres }
/// let model = try MLPReranker(base: EASE(lambda: 200), features: features).fit(matrix)
/// ```
///
/// **Input of the MLP** for a user and one of their candidates, `3·w + 6` values for
/// `w = features.width`:
///
/// | values | what |
/// |---|---|
/// | `w` | the user's profile: the mean of the ``ItemFeatures/writeVector(ofItem:into:)`` vectors of the items in their history |
/// | `w` | the item's own vector |
/// | `w` | their element-wise product (profile ⊙ item: how well the item matches the profile) |
/// | 1 | the item's popularity, `log(1 + n_i) / log(1 + max n)` for `n_i` training interactions, in [0, 1] |
/// | 1 | the base score as a z-score over the user's candidates (clamped to ±10) |
/// | 1 | the reciprocal base rank `1 / (1 + rank)` among the candidates (0 = the base's best) |
/// | 1 | the z-score of the user's best candidate (how far the head of the list stands out) |
/// | 1 | the history length, `log(1 + n_u) / log(1 + items)` |
/// | 1 | the mean popularity input of the history's items (how mainstream the user is) |
///
/// **Training on held-out folds** (no leakage: a base model ranks the items it was fitted
/// on very high, so its scores on training items say nothing about unseen ones). For each
/// of `folds` folds, one interaction per user with at least two is held out (a different
/// one per fold, seeded; a user with fewer items than folds sits the later ones out), the
/// base is fitted on the rest, and its top `candidates` items
/// outside the rest of each history are that user's rows: label 1 for the held-out item,
/// 0 for the other candidates (hard negatives: what the base itself ranks high). Users
/// whose held-out item is not among their candidates give no rows (they carry nothing
/// about the order inside a list). Profile, popularity and the user inputs come from the
/// fold's matrix, exactly as scoring computes them from the full one. Each epoch takes
/// every positive and `negatives` of its group's negatives drawn afresh, shuffles the rows
/// and feeds them to `fit` in chunks of a few megabytes (whole batches each). The base
/// fitted on the whole matrix is the one that serves.
///
/// **Scoring** (``MLPRerankerModel``): the base model's scores; among the items the user
/// does not have, the top `candidates` by base score are lifted above every other item
/// and ordered by the MLP (its logit; ties keep the base order): the candidate in place
/// `r` of `m` gets `top + lift·(2 − r/m)`, with `top` the best base score and
/// `lift = max(1, |top|)`. Every other item keeps its base score.
public struct MLPReranker: RecommenderAlgorithm {
    /// The model whose top items are re-ranked (and whose scores rank everything else).
    public var base: any RecommenderAlgorithm
    /// Item side features; `features.itemCount` must equal the matrix's item count.
    public var features: ItemFeatures
    /// How many of the base model's best unseen items the MLP re-ranks per user.
    public var candidates: Int
    /// Held-out folds to train on; each fits the base once more.
    public var folds: Int
    /// Negatives per positive per epoch, drawn from the other candidates of its list
    /// (all of them when there are fewer).
    public var negatives: Int
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Seeds the held-out items, the weights, the negatives and the shuffling: the same
    /// seed gives the same model.
    public var seed: UInt64
    /// Print one line per fold and per epoch to standard error.
    public var verbose: Bool

    /// Widths of the hidden ReLU layers (the seed model's); the output is one sigmoid unit.
    public static let hiddenLayers = [128, 64]

    public init(base: any RecommenderAlgorithm, features: ItemFeatures, candidates: Int = 100, folds: Int = 10,
                negatives: Int = 20, epochs: Int = 3, batchSize: Int = 32, learningRate: Float = 0.001,
                seed: UInt64 = 42, verbose: Bool = false) {
        self.base = base
        self.features = features
        self.candidates = candidates
        self.folds = folds
        self.negatives = negatives
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.verbose = verbose
    }

    public var name: String { "rerank" }
    public var description: String {
        "rerank(base: \(base), features: \(features.width), candidates: \(candidates), folds: \(folds), negatives: \(negatives), epochs: \(epochs), batch: \(batchSize), lr: \(learningRate))"
    }

    func validate(_ matrix: InteractionMatrix) throws {
        guard candidates >= 1 else { throw RecommenderError.invalidArgument("candidates must be ≥ 1, got \(candidates)") }
        guard folds >= 1, folds <= 100 else { throw RecommenderError.invalidArgument("folds must be in 1...100, got \(folds)") }
        guard negatives >= 1 else { throw RecommenderError.invalidArgument("negatives must be ≥ 1, got \(negatives)") }
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

    /// The base fitted on `matrix`, checked.
    func fitBase(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        let model = try base.fit(matrix)
        guard model.itemCount == matrix.itemCount else {
            throw RecommenderError.invalidArgument("base model '\(model.name)' scores \(model.itemCount) items, the matrix has \(matrix.itemCount)")
        }
        guard !(model is MLPRerankerModel || model is UnsavableReranker) else {
            throw RecommenderError.invalidArgument("the base of a reranker cannot be a reranker")
        }
        return model
    }

    /// Trains and returns the concrete model.
    func fitReranker(_ matrix: InteractionMatrix) throws -> MLPRerankerModel {
        try validate(matrix)
        let baseModel = try fitBase(matrix)
        let inputs = RerankInputs(features: features, popularity: RerankInputs.popularity(of: matrix))
        let net = Sequential([Input(shape: [inputs.inputWidth])] + Self.hiddenLayers.map { Dense(units: $0, activation: .relu) }
                             + [Dense(units: 1, activation: .sigmoid)], seed: seed)
        net.compile(optimizer: Adam(learningRate: learningRate), loss: .binaryCrossentropy, metrics: [.accuracy])
        if epochs > 0 {
            let data = try trainingData(matrix)
            try train(net, on: data, inputs: inputs)
        }
        let dense = net.layers.compactMap { $0 as? Dense }
        return MLPRerankerModel(base: baseModel, inputs: inputs, candidates: candidates,
                                kernels: dense.map { $0.kernel!.tensor.scalars }, biases: dense.map { $0.bias!.tensor.scalars })
    }

    /// The held-out training lists of every fold (see ``MLPReranker``).
    func trainingData(_ matrix: InteractionMatrix) throws -> RerankTrainingData {
        let users = matrix.userCount, n = matrix.itemCount, k = min(candidates, n)
        var data = RerankTrainingData(width: features.width)
        var rng = SeededGenerator(seed: seed ^ 0x5EED_F01D)
        // Fold f holds out the item at (offset + f) mod count of each row: distinct per fold.
        let offsets = (0..<users).map { u in rng.nextIndex(below: max(1, matrix.rowStart[u + 1] - matrix.rowStart[u])) }
        for fold in 0..<folds {
            let start = ContinuousClock.now
            var rowStart = [0], items: [Int32] = [], weights: [Float] = []
            var heldOut = [Int32](repeating: -1, count: users)
            items.reserveCapacity(matrix.count); weights.reserveCapacity(matrix.count)
            for u in 0..<users {
                let first = matrix.rowStart[u], count = matrix.rowStart[u + 1] - first
                let left = count >= 2 && fold < count ? first + (offsets[u] + fold) % count : -1
                for p in first..<(first + count) where p != left { items.append(matrix.items[p]); weights.append(matrix.weights[p]) }
                rowStart.append(items.count)
                if left >= 0 { heldOut[u] = matrix.items[left] }
            }
            guard heldOut.contains(where: { $0 >= 0 }) else { break }
            let rest = InteractionMatrix(userCount: users, itemCount: n, rowStart: rowStart, items: items, weights: weights)
            let model = try fitBase(rest)
            let lists = RerankInputs.candidateLists(model, rest, k: k)
            let inputs = RerankInputs(features: features, popularity: RerankInputs.popularity(of: rest))
            var hits = 0
            for u in 0..<users where heldOut[u] >= 0 {
                let ids = lists.ids[(u * k)..<(u * k + k)]
                guard ids.contains(heldOut[u]) else { continue }
                hits += 1
                let m = ids.firstIndex(of: -1).map { $0 - u * k } ?? k
                data.addGroup(user: u, history: rest.items(ofUser: u), ids: ids.prefix(m), scores: lists.scores[(u * k)..<(u * k + m)],
                              positive: heldOut[u], inputs: inputs)
            }
            if verbose {
                let line = "  rerank fold \(fold + 1)/\(folds): held-out item among the base's top \(k) for \(hits) of "
                    + "\(heldOut.filter { $0 >= 0 }.count) users, \(ContinuousClock.now - start)\n"
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
        return data
    }

    /// Fits `net` on `data` for `epochs` epochs.
    func train(_ net: Sequential, on data: RerankTrainingData, inputs: RerankInputs) throws {
        let d = inputs.inputWidth, w = data.width
        guard data.groupCount > 0 else { return }
        var rng = SeededGenerator(seed: seed)
        // Whole batches per chunk (about 16 MiB of inputs), so the batches are those of one
        // `fit` over everything.
        let chunk = max(1, (1 << 22) / d / batchSize) * batchSize
        var pool: [Int] = []
        for epoch in 0..<epochs {
            let start = ContinuousClock.now
            var order: [Int] = []
            for g in 0..<data.groupCount {
                pool.removeAll(keepingCapacity: true)
                var positives = 0
                for r in data.groupRows[g]..<data.groupRows[g + 1] {
                    if data.labels[r] > 0 { order.append(r); positives += 1 } else { pool.append(r) }
                }
                let take = min(pool.count, negatives * positives)
                for t in 0..<take {
                    pool.swapAt(t, t + rng.nextIndex(below: pool.count - t))
                    order.append(pool[t])
                }
            }
            let n = order.count
            for k in stride(from: n - 1, to: 0, by: -1) { order.swapAt(k, rng.nextIndex(below: k + 1)) }
            var lossSum = 0.0, accuracySum = 0.0
            var first = 0
            while first < n {
                let rows = min(chunk, n - first)
                var x = Tensor(zeros: [rows, d])
                var y = [Float](repeating: 0, count: rows)
                x.withUnsafeMutableBufferPointer { xp in
                    data.profiles.withUnsafeBufferPointer { profiles in
                        for r in 0..<rows {
                            let row = order[first + r], g = Int(data.rowGroup[row])
                            inputs.writeInput(profile: profiles.baseAddress! + g * w, item: Int(data.items[row]),
                                              popularity: data.popularity[row],
                                              z: data.z[row], reciprocalRank: data.reciprocalRank[row], user: data.context[g],
                                              into: xp.baseAddress! + r * d)
                            y[r] = data.labels[row]
                        }
                    }
                }
                let history = try net.fit(x, Tensor(shape: [rows, 1], scalars: y), epochs: 1, batchSize: batchSize,
                                          seed: rng.next(), verbose: .silent)
                lossSum += (history["loss"].last ?? .nan) * Double(rows)
                accuracySum += (history["accuracy"].last ?? .nan) * Double(rows)
                first += rows
            }
            if verbose {
                let line = "  rerank epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.4f", lossSum / Double(max(n, 1)))), "
                    + "accuracy \(String(format: "%.4f", accuracySum / Double(max(n, 1)))), \(n) rows from \(data.groupCount) lists, "
                    + "\(ContinuousClock.now - start)\n"
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
    }
}

/// The reranker's training lists: per group (a fold and a user whose held-out item is
/// among their candidates) the profile and history length, per row (a candidate) the
/// item, its popularity in the fold, the base evidence and the label.
struct RerankTrainingData {
    let width: Int
    /// Groups × `width`: each group's profile.
    var profiles: [Float] = []
    /// Per group: the user and their list's context inputs.
    var users: [Int32] = []
    var context: [RerankUserInputs] = []
    /// Group `g`'s rows are `groupRows[g]..<groupRows[g + 1]`, in base order.
    var groupRows = [0]
    var rowGroup: [Int32] = []
    var items: [Int32] = []
    var popularity: [Float] = []
    var z: [Float] = []
    var reciprocalRank: [Float] = []
    var labels: [Float] = []

    init(width: Int) { self.width = width }

    var groupCount: Int { groupRows.count - 1 }

    /// Adds one list: `ids` with their base `scores` (descending), `positive` among them.
    mutating func addGroup(user: Int, history items: ArraySlice<Int32>, ids: ArraySlice<Int32>, scores: ArraySlice<Float>,
                           positive: Int32, inputs: RerankInputs) {
        let g = Int32(groupCount), m = ids.count
        var profile = [Float](repeating: 0, count: width)
        inputs.profile(of: items, into: &profile)
        profiles.append(contentsOf: profile)
        users.append(Int32(user))
        var zs = [Float](repeating: 0, count: m), rr = zs
        scores.withUnsafeBufferPointer { s in
            zs.withUnsafeMutableBufferPointer { zp in
                rr.withUnsafeMutableBufferPointer { RerankInputs.evidence(s.baseAddress!, count: m, z: zp.baseAddress!, reciprocalRank: $0.baseAddress!) }
            }
        }
        context.append(inputs.userInputs(history: items, topZ: zs[0]))
        for (c, item) in ids.enumerated() {
            rowGroup.append(g)
            self.items.append(item)
            popularity.append(inputs.popularity[Int(item)])
            z.append(zs[c]); reciprocalRank.append(rr[c])
            labels.append(item == positive ? 1 : 0)
        }
        groupRows.append(self.items.count)
    }
}

/// What the reranker's MLP reads: item features, popularity and the base model's evidence,
/// and how a (profile, candidate) pair becomes one input row (see ``MLPReranker``).
struct RerankInputs: Sendable, Equatable {
    /// Largest feature vocabulary the reranker takes (its input is `3·w + 6` wide).
    static let maximumFeatures = 8192
    /// Inputs after the features and popularity: z-score, reciprocal rank, and the
    /// ``RerankUserInputs`` (the best candidate's z-score, history length, mean popularity).
    static let evidenceWidth = 5
    /// Bound of the z-score input.
    static let zLimit: Float = 10

    let features: ItemFeatures
    /// Per item, `log(1 + n_i) / log(1 + max n)`: in [0, 1].
    let popularity: [Float]

    var itemCount: Int { features.itemCount }
    var width: Int { features.width }
    var inputWidth: Int { Self.inputWidth(features: width) }

    static func inputWidth(features w: Int) -> Int { 3 * w + 1 + evidenceWidth }

    /// Log-popularity of every item in `matrix`, scaled to [0, 1].
    static func popularity(of matrix: InteractionMatrix) -> [Float] {
        let counts = matrix.itemCounts()
        let top = log1p(Double(counts.max() ?? 0))
        return counts.map { top > 0 ? Float(log1p(Double($0)) / top) : 0 }
    }

    /// The per-list inputs of a user with `history` whose best candidate has z-score `topZ`.
    func userInputs<C: Collection>(history: C, topZ: Float) -> RerankUserInputs where C.Element == Int32 {
        var sum: Float = 0
        for i in history { sum += popularity[Int(i)] }
        return RerankUserInputs(topZ: topZ,
                                history: itemCount > 0 ? Float(log1p(Double(history.count)) / log1p(Double(itemCount))) : 0,
                                meanPopularity: history.isEmpty ? 0 : sum / Float(history.count))
    }

    /// The base evidence of `count` candidates whose base scores `s` are in descending
    /// order: each score's z-score over the finite ones (clamped to ±``zLimit``; 0 when
    /// they are all equal; −limit for NaN or −∞) and `1 / (1 + place)`.
    static func evidence(_ s: UnsafePointer<Float>, count m: Int, z: UnsafeMutablePointer<Float>,
                         reciprocalRank: UnsafeMutablePointer<Float>) {
        var sum = 0.0, finite = 0
        for c in 0..<m where s[c].isFinite { sum += Double(s[c]); finite += 1 }
        let mean = finite > 0 ? sum / Double(finite) : 0
        var squares = 0.0
        for c in 0..<m where s[c].isFinite { squares += (Double(s[c]) - mean) * (Double(s[c]) - mean) }
        let sd = finite > 1 ? (squares / Double(finite)).squareRoot() : 0
        let flat = !(sd > 1e-9 * max(1, abs(mean)))
        for c in 0..<m {
            reciprocalRank[c] = 1 / Float(1 + c)
            if !s[c].isFinite {
                z[c] = s[c] > 0 ? zLimit : -zLimit
            } else {
                z[c] = flat ? 0 : min(zLimit, max(-zLimit, Float((Double(s[c]) - mean) / sd)))
            }
        }
    }

    /// Each user's best `k` items by `model`, outside their row of `matrix`: `users × k`
    /// ids (descending score, −1 padding) and scores. Blocks of users on every core.
    static func candidateLists(_ model: any ScoringModel, _ matrix: InteractionMatrix, k: Int) -> (ids: [Int32], scores: [Float]) {
        let users = matrix.userCount, n = matrix.itemCount
        var ids = [Int32](repeating: -1, count: users * k), scores = [Float](repeating: -.infinity, count: users * k)
        let block = max(1, min(256, (1 << 22) / max(n, 1)))
        ids.withUnsafeMutableBufferPointer { idp in
            scores.withUnsafeMutableBufferPointer { sp in
                let outIDs = SharedPointer(base: idp.baseAddress!), outScores = SharedPointer(base: sp.baseAddress!)
                Parallel.forEachBlock(users, blockSize: block) { range in
                    let rows = range.map { Int32($0) }
                    var buffer = [Float](repeating: 0, count: rows.count * n)
                    buffer.withUnsafeMutableBufferPointer { model.scores(forUsers: rows[...], training: matrix, into: $0) }
                    let first = matrix.rowStart[range.lowerBound]
                    let offsets = (range.lowerBound...range.upperBound).map { Int64(matrix.rowStart[$0] - first) }
                    matrix.items.withUnsafeBufferPointer { items in
                        buffer.withUnsafeBufferPointer { b in
                            offsets.withUnsafeBufferPointer { o in
                                RecKernels.topK(ids: outIDs.base + range.lowerBound * k, scores: outScores.base + range.lowerBound * k,
                                                from: b.baseAddress!, rows: rows.count, columns: n, k: k,
                                                excludeOffsets: o.baseAddress!, excludeItems: items.baseAddress.map { $0 + first })
                            }
                        }
                    }
                }
            }
        }
        return (ids, scores)
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

    /// One MLP input row: profile, item vector, their product, popularity, then the base
    /// evidence (z-score, reciprocal rank) and the user's list inputs.
    func writeInput(profile: UnsafePointer<Float>, item: Int, popularity: Float, z: Float, reciprocalRank: Float,
                    user: RerankUserInputs, into out: UnsafeMutablePointer<Float>) {
        let w = width
        out.update(from: profile, count: w)
        features.writeVector(ofItem: item, into: out + w)
        for f in 0..<w { out[2 * w + f] = profile[f] * out[w + f] }
        out[3 * w] = popularity
        out[3 * w + 1] = z
        out[3 * w + 2] = reciprocalRank
        out[3 * w + 3] = user.topZ
        out[3 * w + 4] = user.history
        out[3 * w + 5] = user.meanPopularity
    }
}

/// Inputs shared by every candidate of one user's list.
struct RerankUserInputs: Sendable {
    /// The z-score of the base's best candidate: how far the list's head stands out.
    var topZ: Float
    /// `log(1 + n_u) / log(1 + items)` for a history of `n_u` items.
    var history: Float
    /// The mean popularity input of the history's items (how mainstream the user is).
    var meanPopularity: Float
}

/// A fitted ``MLPReranker``: the base model, the features and the MLP's weights as plain
/// arrays, scored by its own forward pass (GEMMs through ``RecKernels``), so it is
/// immutable and can be queried from many threads at once.
struct MLPRerankerModel: ScoringModel {
    let base: any ScoringModel
    let inputs: RerankInputs
    let candidates: Int
    /// Per layer: kernel `[in × out]` (row-major) and bias `[out]`; ReLU on every layer
    /// but the last, a single unit whose logit orders the candidates.
    let kernels: [[Float]]
    let biases: [[Float]]

    var name: String { "rerank" }
    var itemCount: Int { inputs.itemCount }
    var widths: [Int] { biases.map(\.count) }

    /// Buffers for re-ranking one user's candidates.
    struct Scratch {
        var ids: [Int32]
        var scores: [Float]
        var z: [Float]
        var reciprocalRank: [Float]
        /// Candidates × input width.
        var x: [Float]
        /// Every layer's output for the candidates, one after the other.
        var hidden: [Float]
        var profile: [Float]
        var order: [Int]
        init(_ m: MLPRerankerModel) {
            let c = max(1, min(m.candidates, m.itemCount))
            ids = [Int32](repeating: -1, count: c)
            scores = [Float](repeating: 0, count: c)
            z = scores
            reciprocalRank = scores
            x = [Float](repeating: 0, count: c * m.inputs.inputWidth)
            hidden = [Float](repeating: 0, count: c * m.widths.reduce(0, +))
            profile = [Float](repeating: 0, count: m.inputs.width)
            order = Array(0..<c)
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

    /// Lifts the best `candidates` items of `row` outside `seen` (ascending) above every
    /// other item, in the MLP's order, given the user's profile in `scratch.profile`.
    func rerank(_ row: UnsafeMutablePointer<Float>, excluding seen: ArraySlice<Int32>, scratch: inout Scratch) {
        let n = itemCount, k = scratch.ids.count
        guard n > 0 else { return }
        var top = -Float.infinity
        for i in 0..<n where row[i].isFinite { top = max(top, row[i]) }
        if !top.isFinite { top = 0 }
        let lift = max(1, abs(top))
        let offsets: [Int64] = [0, Int64(seen.count)]
        scratch.ids.withUnsafeMutableBufferPointer { ids in
            scratch.scores.withUnsafeMutableBufferPointer { out in
                offsets.withUnsafeBufferPointer { o in
                    seen.withUnsafeBufferPointer { s in
                        RecKernels.topK(ids: ids.baseAddress!, scores: out.baseAddress!, from: row, rows: 1, columns: n, k: k,
                                        excludeOffsets: s.isEmpty ? nil : o.baseAddress!, excludeItems: s.baseAddress)
                    }
                }
            }
        }
        let m = scratch.ids.firstIndex(of: -1) ?? k
        guard m > 0 else { return }
        let d = inputs.inputWidth
        scratch.scores.withUnsafeBufferPointer { s in
            scratch.z.withUnsafeMutableBufferPointer { z in
                scratch.reciprocalRank.withUnsafeMutableBufferPointer {
                    RerankInputs.evidence(s.baseAddress!, count: m, z: z.baseAddress!, reciprocalRank: $0.baseAddress!)
                }
            }
        }
        let user = inputs.userInputs(history: seen, topZ: scratch.z[0])
        scratch.x.withUnsafeMutableBufferPointer { x in
            scratch.profile.withUnsafeBufferPointer { p in
                for c in 0..<m {
                    let item = Int(scratch.ids[c])
                    inputs.writeInput(profile: p.baseAddress!, item: item, popularity: inputs.popularity[item],
                                      z: scratch.z[c], reciprocalRank: scratch.reciprocalRank[c], user: user, into: x.baseAddress! + c * d)
                }
            }
        }
        var mlp = [Float](repeating: 0, count: m)
        scratch.x.withUnsafeBufferPointer { x in
            scratch.hidden.withUnsafeMutableBufferPointer { h in
                let out = logits(x.baseAddress!, rows: m, hidden: h.baseAddress!)
                for c in 0..<m { mlp[c] = out[c].isNaN ? -.infinity : out[c] }
            }
        }
        // Best logit first; ties keep the base order.
        for c in 0..<m { scratch.order[c] = c }
        scratch.order[0..<m].sort { mlp[$0] != mlp[$1] ? mlp[$0] > mlp[$1] : $0 < $1 }
        for place in 0..<m {
            row[Int(scratch.ids[scratch.order[place]])] = top + lift * (2 - Float(place) / Float(m))
        }
    }

    /// The MLP's logits (the last layer without its sigmoid, which is monotone) for `rows`
    /// input rows at `x`; `hidden` holds `rows` times the sum of the layer widths. Returns
    /// a pointer into `hidden` (`rows` values).
    func logits(_ x: UnsafePointer<Float>, rows: Int, hidden: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
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
                    y[r * out + j] = isLast ? z : max(z, 0)
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
