import DeepCore
import Foundation

/// A two-tower retrieval model with item side features: a user tower (an embedding) and an
/// item tower that joins the item's own embedding with its features (genres, tags, title
/// words) through a ReLU layer, scored by their dot product; trained with binary
/// cross-entropy on each interaction and sampled negatives, on DeepCore's functional
/// ``Model``. Because the item tower reads features, items nobody has interacted with
/// (cold start) still get a vector from their features and can be recommended.
///
/// ```swift
/// let features = ItemFeatures(itemCount: data.itemCount) { data.items[$0].genres }
/// let model = try TwoTower(features: features, factors: 64).fit(matrix)
/// ```
public struct TwoTower: FeatureAwareAlgorithm {
    public var features: ItemFeatures
    /// Width of both towers' output vectors.
    public var factors: Int
    /// Width of the item tower's feature layer.
    public var featureUnits: Int
    public var negatives: Int
    public var negativeDistribution: NegativeSampler.Distribution
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Pointwise, BPR, or sampled softmax with in-batch negatives.
    public var objective: RankingObjective
    /// Dropout on the item id embedding during training (0 disables).
    public var idDropout: Float
    public var seed: UInt64
    public var verbose: Bool

    public init(features: ItemFeatures, factors: Int = 64, featureUnits: Int = 64, negatives: Int = 4,
                negativeDistribution: NegativeSampler.Distribution = .uniform, epochs: Int = 10,
                batchSize: Int = 256, learningRate: Float = 0.002, objective: RankingObjective = .pointwise,
                idDropout: Float = 0.5, seed: UInt64 = 42, verbose: Bool = false) {
        self.objective = objective
        self.idDropout = idDropout
        self.features = features
        self.factors = factors
        self.featureUnits = featureUnits
        self.negatives = negatives
        self.negativeDistribution = negativeDistribution
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.verbose = verbose
    }

    /// A two-tower model whose features come from the catalog: for the domain
    /// recommenders (`FilmRecommender(algorithm: TwoTower.fromCatalog())`), which pass
    /// their catalog's tags and title words.
    public static func fromCatalog(factors: Int = 64, featureUnits: Int = 64, epochs: Int = 10,
                                   learningRate: Float = 0.002, objective: RankingObjective = .pointwise,
                                   seed: UInt64 = 42) -> TwoTower {
        TwoTower(features: ItemFeatures(itemCount: 0) { _ in [] }, factors: factors, featureUnits: featureUnits,
                 epochs: epochs, learningRate: learningRate, objective: objective, seed: seed)
    }

    /// Trains with features built from `itemTokens` (the 512 most frequent tokens on at
    /// least two items).
    public func fit(_ matrix: InteractionMatrix, itemTokens: [[String]]) throws -> any ScoringModel {
        var copy = self
        copy.features = ItemFeatures(itemCount: itemTokens.count, minimumCount: 1) { itemTokens[$0] }
        return try copy.fit(matrix)
    }

    public var name: String { "twotower" }
    public var description: String {
        "twotower(factors: \(factors), features: \(features.width)→\(featureUnits), negatives: \(negatives) \(negativeDistribution.rawValue), \(objective), epochs: \(epochs), lr: \(learningRate))"
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        if features.itemCount == 0 && matrix.itemCount > 0 {
            // `fromCatalog()` used without a catalog: no features, ids alone.
            var copy = self
            copy.features = ItemFeatures(itemCount: matrix.itemCount) { _ in [] }
            return try copy.fit(matrix)
        }
        guard features.itemCount == matrix.itemCount else {
            throw RecommenderError.invalidArgument("item features cover \(features.itemCount) items; the matrix has \(matrix.itemCount)")
        }
        guard factors > 0, factors <= 1024, featureUnits > 0, featureUnits <= 4096 else {
            throw RecommenderError.invalidArgument("factors must be in 1...1024 and featureUnits in 1...4096; got \(factors), \(featureUnits)")
        }
        guard idDropout >= 0, idDropout < 1 else { throw RecommenderError.invalidArgument("idDropout must be in [0, 1), got \(idDropout)") }
        guard negatives >= 1, epochs >= 0, batchSize >= 1, learningRate > 0, learningRate.isFinite else {
            throw RecommenderError.invalidArgument("negatives ≥ 1, epochs ≥ 0, batch ≥ 1 and learning rate > 0 required")
        }
        guard matrix.userCount <= Embedding.maximumInputDim, matrix.itemCount <= Embedding.maximumInputDim else {
            throw RecommenderError.tooLarge("TwoTower embeds at most \(Embedding.maximumInputDim) users and items")
        }
        let sampler = try NegativeSampler(matrix, distribution: negativeDistribution)
        var rng = SeededGenerator(seed: seed)
        let width = max(features.width, 1)
        let user = Input(shape: [1], name: "user"), item = Input(shape: [1], name: "item")
        let initial = Initializer.normal(standardDeviation: 0.01)
        let userTower = Embedding(inputDim: matrix.userCount, outputDim: factors, initializer: initial, update: .lazy)
        let itemID = Embedding(inputDim: matrix.itemCount, outputDim: factors, initializer: initial, update: .lazy)
        let lookup = Embedding(inputDim: matrix.itemCount, outputDim: width, trainable: false)
        let featureLayer = Dense(units: featureUnits, activation: .relu)
        let itemLayer = Dense(units: factors)
        // Dropping half of the id embedding's values in training makes the tower lean on
        // features too, which is what scores items with no interactions (cold start).
        let itemVector = itemLayer(Concatenate()([Dropout(rate: idDropout)(itemID(item)), featureLayer(lookup(item))]))
        let output = Dense(units: 1, activation: objective == .pointwise ? .sigmoid : .linear)
        let userVector = userTower(user)
        let loss: Loss
        let top: Node
        switch objective {
        case .pointwise: (loss, top) = (.binaryCrossentropy, output(Dot()([userVector, itemVector])))
        case .bpr: (loss, top) = (.bpr, output(Dot()([userVector, itemVector])))
        case .inBatchSoftmax(let t): (loss, top) = (.inBatchSoftmax(temperature: t), Concatenate()([userVector, itemVector]))
        }
        if objective == .bpr && batchSize % 2 != 0 { throw RecommenderError.invalidArgument("bpr needs an even batch size, got \(batchSize)") }
        if case .inBatchSoftmax(let t) = objective, !(t > 0 && t.isFinite) {
            throw RecommenderError.invalidArgument("temperature must be positive, got \(t)")
        }
        let model = try Model(inputs: [user, item], outputs: top, name: "twotower", seed: seed)
        lookup.embeddings!.assign(features.matrix())
        model.compile(optimizer: Adam(learningRate: learningRate), loss: loss)
        for epoch in 0..<epochs {
            let start = ContinuousClock.now
            let data = objective.epoch(sampler, negatives: negatives, rng: &rng)
            let h = try model.fit([Tensor(data.users), Tensor(data.items)], Tensor(data.labels), epochs: 1,
                                  batchSize: batchSize, seed: rng.next(), verbose: .silent)
            if verbose {
                FileHandle.standardError.write("  twotower epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.4f", h["loss"].last ?? .nan)), \(ContinuousClock.now - start)\n".data(using: .utf8)!)
            }
        }
        // Item vectors once, from the trained tower: v = W·[id embedding ; relu(F·W_f + b_f)] + b.
        let n = matrix.itemCount, k = factors, hUnits = featureUnits
        let idTable = itemID.embeddings!.tensor.scalars
        let fW = featureLayer.kernel!.tensor.scalars, fB = featureLayer.bias!.tensor.scalars
        let iW = itemLayer.kernel!.tensor.scalars, iB = itemLayer.bias!.tensor.scalars
        let featureMatrix = features.matrix().scalars
        var hidden = [Float](repeating: 0, count: n * hUnits)
        featureMatrix.withUnsafeBufferPointer { f in
            fW.withUnsafeBufferPointer { w in
                hidden.withUnsafeMutableBufferPointer { out in
                    RecKernels.gemm(f.baseAddress!, w.baseAddress!, out.baseAddress!, m: n, n: hUnits, k: width)
                }
            }
        }
        for i in 0..<n { for j in 0..<hUnits { hidden[i * hUnits + j] = max(hidden[i * hUnits + j] + fB[j], 0) } }
        // An item without training interactions (cold) has only been a sampled negative:
        // its id embedding says nothing about it, so it is scored from its features alone.
        let counts = matrix.itemCounts()
        var vectors = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            let warm: Float = counts[i] > 0 ? 1 : 0
            for j in 0..<k {
                var s = iB[j]
                for f in 0..<k { s += warm * idTable[i * k + f] * iW[f * k + j] }
                for f in 0..<hUnits { s += hidden[i * hUnits + f] * iW[(k + f) * k + j] }
                vectors[i * k + j] = s
            }
        }
        var (scale, bias): (Float, Float) = (1, 0)
        switch objective {
        case .inBatchSoftmax(let t): scale = 1 / t
        default: (scale, bias) = (output.kernel!.tensor.scalars[0], output.bias!.tensor.scalars[0])
        }
        return TwoTowerModel(itemCount: n, factors: k, userVectors: userTower.embeddings!.tensor.scalars,
                             itemVectors: vectors, scale: scale, bias: bias)
    }
}

/// Fitted two-tower vectors: score(u, i) = a·(p_u · v_i) + c (a logit).
struct TwoTowerModel: ScoringModel {
    let itemCount: Int
    let factors: Int
    let userVectors: [Float]
    let itemVectors: [Float]
    let scale: Float
    let bias: Float
    /// VᵀV of the item vectors, for fold-in.
    let gram: [Double]
    var name: String { "twotower" }

    init(itemCount: Int, factors: Int, userVectors: [Float], itemVectors: [Float], scale: Float, bias: Float) {
        self.itemCount = itemCount
        self.factors = factors
        self.userVectors = userVectors
        self.itemVectors = itemVectors
        self.scale = scale
        self.bias = bias
        gram = Self.gram(itemVectors, items: itemCount, k: factors)
    }

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        let k = factors
        var block = [Float](repeating: 0, count: users.count * k)
        for (r, u) in users.enumerated() { for j in 0..<k { block[r * k + j] = userVectors[Int(u) * k + j] } }
        score(block, rows: users.count, into: scores.baseAddress!)
    }

    private func score(_ x: [Float], rows: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: bias, count: rows * itemCount)
        x.withUnsafeBufferPointer { xb in
            itemVectors.withUnsafeBufferPointer { v in
                RecKernels.gemm(xb.baseAddress!, v.baseAddress!, transposeB: true, out, m: rows, n: itemCount, k: factors,
                                alpha: scale, beta: 1)
            }
        }
    }

    /// Fold-in in closed form, as implicit ALS does for a new user with the item side
    /// fixed: x = (VᵀV + α·V_hᵀV_h + λI)⁻¹ (1 + α)·V_hᵀ1 over the history's vectors V_h,
    /// every other item a zero-target at confidence 1; λ = 0.1·trace(VᵀV)/k. The sign of
    /// the output scale orients x so that higher logits mean the history's direction.
    func userVector(for history: UserHistory) -> [Float] {
        let k = factors
        guard !history.items.isEmpty else { return [Float](repeating: 0, count: k) }
        let alpha = 10.0
        var a = gram
        var trace = 0.0
        for f in 0..<k { trace += a[f * k + f] }
        let lambda = max(0.1 * trace / Double(k), 1e-6)
        var rhs = [Double](repeating: 0, count: k)
        for item in history.items {
            let v = Int(item) * k
            for f in 0..<k {
                rhs[f] += (1 + alpha) * Double(itemVectors[v + f])
                for g in 0..<k { a[f * k + g] += alpha * Double(itemVectors[v + f]) * Double(itemVectors[v + g]) }
            }
        }
        for f in 0..<k { a[f * k + f] += lambda }
        let x = Self.solve(a, rhs, k)
        let sign: Double = scale < 0 ? -1 : 1
        return x.map { Float(sign * $0) }
    }

    /// VᵀV over every item (k × k, Double).
    static func gram(_ v: [Float], items: Int, k: Int) -> [Double] {
        var g = [Double](repeating: 0, count: k * k)
        for i in 0..<items {
            for f in 0..<k { let a = Double(v[i * k + f]); for h in 0..<k { g[f * k + h] += a * Double(v[i * k + h]) } }
        }
        return g
    }

    /// Solves the symmetric positive definite system `a·x = b` (Cholesky, Double).
    static func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for p in 0..<j { s -= l[i * n + p] * l[j * n + p] }
                l[i * n + j] = i == j ? max(s, 1e-12).squareRoot() : s / l[j * n + j]
            }
        }
        var y = b
        for i in 0..<n { for p in 0..<i { y[i] -= l[i * n + p] * y[p] }; y[i] /= l[i * n + i] }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for p in (i + 1)..<max(n, i + 1) { y[i] -= l[p * n + i] * y[p] }
            y[i] /= l[i * n + i]
        }
        return y
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        score(userVector(for: history), rows: 1, into: scores.baseAddress!)
    }

    /// Cosine similarity of the item vectors.
    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        cosineSimilarities(toRow: Int(item), of: itemVectors, width: factors, rows: itemCount, into: scores)
    }
}

extension TwoTowerModel: PersistableModel {
    static var kind: String { "twotower" }
    var factorUsers: Int? { userVectors.count / factors }
    func encode(to w: inout ByteWriter) {
        w.write(UInt64(itemCount)); w.write(UInt64(factors)); w.write(scale); w.write(bias)
        w.write(userVectors); w.write(itemVectors)
    }
    static func decode(from r: inout ByteReader) throws -> TwoTowerModel {
        let n = try r.readSize("item count"), k = try r.readSize("factors")
        let scale = try r.readFloat(), bias = try r.readFloat()
        let u = try r.readFloats(), v = try r.readFloats()
        guard k > 0, k <= 1024, u.count % k == 0 else { throw RecommenderError.invalidModelFile(path: "", reason: "two-tower factors \(k) do not fit") }
        try checkCount(v, n * k, "two-tower item vectors")
        return TwoTowerModel(itemCount: n, factors: k, userVectors: u, itemVectors: v, scale: scale, bias: bias)
    }
}
