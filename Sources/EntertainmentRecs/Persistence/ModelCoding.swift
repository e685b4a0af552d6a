import DeepCore

/// A fitted model that can be written to and read from a recommender file.
protocol PersistableModel: ScoringModel {
    /// The tag that identifies the model's kind in a file.
    static var kind: String { get }
    func encode(to w: inout ByteWriter)
    static func decode(from r: inout ByteReader) throws -> Self
    /// The users the model holds factors for (must match the file's user map); `nil` for
    /// item-based models.
    var factorUsers: Int? { get }
}

extension PersistableModel {
    var factorUsers: Int? { nil }
}

extension ByteReader {
    /// A count or size stored as u64. Everything a size counts takes at least one byte of
    /// the file, so a size beyond the file's length is damage, not a reason to trap or allocate.
    mutating func readSize(_ what: String) throws -> Int {
        let n: UInt64 = try read()
        guard n <= UInt64(bytes.count) else {
            throw RecommenderError.invalidModelFile(path: "", reason: "\(what) \(n) exceeds the file size")
        }
        return Int(n)
    }
}

enum ModelCoding {
    static let kinds: [any PersistableModel.Type] = [PopularityModel.self, ItemKNNModel.self, IALSModel.self, EASEModel.self, BPRModel.self, NeuMFModel.self, TwoTowerModel.self, MultDAEModel.self,
                                                  EDLAEModel.self, MLPRerankerModel.self]

    static func decode(kind: String, from r: inout ByteReader, path: String) throws -> any ScoringModel {
        guard let type = kinds.first(where: { $0.kind == kind }) else {
            throw RecommenderError.invalidModelFile(path: path, reason: "unknown model kind '\(kind)'")
        }
        return try type.decode(from: &r)
    }
}

extension InteractionMatrix {
    func encode(to w: inout ByteWriter) {
        w.write(UInt64(userCount)); w.write(UInt64(itemCount))
        w.write(rowStart.map(Int64.init)); w.write(items); w.write(weights)
    }

    /// Reads and validates a matrix: offsets monotone, indices in range, rows sorted.
    static func decode(from r: inout ByteReader, path: String) throws -> InteractionMatrix {
        let users = try r.readSize("user count"), itemCount = try r.readSize("item count")
        let rowStart = try r.readIntegers(Int64.self).map(Int.init)
        let items = try r.readIntegers(Int32.self), weights = try r.readFloats()
        let bad = { (why: String) in RecommenderError.invalidModelFile(path: path, reason: "interaction matrix: \(why)") }
        guard rowStart.count == users + 1, rowStart.first == 0, rowStart.last == items.count, items.count == weights.count else {
            throw bad("sizes do not agree")
        }
        for u in 0..<users {
            guard rowStart[u] <= rowStart[u + 1], rowStart[u + 1] <= items.count else {
                throw bad("row offsets decrease or pass the end at row \(u)")
            }
            var last: Int32 = -1
            for p in rowStart[u]..<rowStart[u + 1] {
                guard items[p] > last, Int(items[p]) < itemCount else { throw bad("row \(u) has an unsorted or out-of-range index") }
                last = items[p]
            }
        }
        return InteractionMatrix(userCount: users, itemCount: itemCount, rowStart: rowStart, items: items, weights: weights)
    }
}

func checkCount(_ values: [Float], _ expected: Int, _ what: String) throws {
    guard values.count == expected else {
        throw RecommenderError.invalidModelFile(path: "", reason: "\(what): \(values.count) values, expected \(expected)")
    }
}

extension PopularityModel: PersistableModel {
    static var kind: String { "popularity" }
    func encode(to w: inout ByteWriter) { w.write(counts) }
    static func decode(from r: inout ByteReader) throws -> PopularityModel { PopularityModel(counts: try r.readFloats()) }
}

extension ItemKNNModel: PersistableModel {
    static var kind: String { "itemknn" }
    func encode(to w: inout ByteWriter) { w.write(UInt8(binary ? 1 : 0)); neighbors.encode(to: &w) }
    static func decode(from r: inout ByteReader) throws -> ItemKNNModel {
        let binary = (try r.read() as UInt8) != 0
        let table = try InteractionMatrix.decode(from: &r, path: "")
        guard table.userCount == table.itemCount else { throw RecommenderError.invalidModelFile(path: "", reason: "neighbour table is not square") }
        return ItemKNNModel(neighbors: table, binary: binary)
    }
}

extension IALSModel: PersistableModel {
    static var kind: String { "ials" }
    var factorUsers: Int? { users }
    func encode(to w: inout ByteWriter) {
        w.write(UInt64(users)); w.write(UInt64(itemCount)); w.write(UInt64(factors))
        w.write(regularization); w.write(alpha); w.write(userFactors); w.write(itemFactors)
    }
    static func decode(from r: inout ByteReader) throws -> IALSModel {
        let users = try r.readSize("user count"), items = try r.readSize("item count"), k = try r.readSize("factors")
        let reg = try r.readFloat(), alpha = try r.readFloat()
        let x = try r.readFloats(), y = try r.readFloats()
        guard k > 0, k <= 512 else { throw RecommenderError.invalidModelFile(path: "", reason: "factors \(k) out of range") }
        try checkCount(x, users * k, "user factors")
        try checkCount(y, items * k, "item factors")
        return IALSModel(users: users, itemCount: items, factors: k, regularization: reg, alpha: alpha, userFactors: x, itemFactors: y)
    }
}

extension EASEModel: PersistableModel {
    static var kind: String { "ease" }
    func encode(to w: inout ByteWriter) { w.write(UInt64(itemCount)); w.write(UInt8(binary ? 1 : 0)); w.write(weights) }
    static func decode(from r: inout ByteReader) throws -> EASEModel {
        let n = try r.readSize("item count"), binary = (try r.read() as UInt8) != 0
        let b = try r.readFloats()
        let (nn, overflow) = n.multipliedReportingOverflow(by: n)
        guard !overflow else { throw RecommenderError.invalidModelFile(path: "", reason: "item count \(n) out of range") }
        try checkCount(b, nn, "EASE weights")
        return EASEModel(itemCount: n, weights: b, binary: binary)
    }
}

extension BPRModel: PersistableModel {
    static var kind: String { "bpr" }
    var factorUsers: Int? { userFactors.count / factors }
    func encode(to w: inout ByteWriter) {
        w.write(UInt64(itemCount)); w.write(UInt64(factors)); w.write(learningRate); w.write(regularization)
        w.write(userFactors); w.write(itemFactors); w.write(itemBias)
    }
    static func decode(from r: inout ByteReader) throws -> BPRModel {
        let n = try r.readSize("item count"), k = try r.readSize("factors")
        let lr = try r.readFloat(), reg = try r.readFloat()
        let u = try r.readFloats(), v = try r.readFloats(), b = try r.readFloats()
        guard k > 0, k <= 1024, u.count % k == 0 else { throw RecommenderError.invalidModelFile(path: "", reason: "BPR factors \(k) do not fit") }
        try checkCount(v, n * k, "BPR item factors")
        try checkCount(b, n, "BPR item bias")
        return BPRModel(itemCount: n, factors: k, userFactors: u, itemFactors: v, itemBias: b, learningRate: lr, regularization: reg)
    }
}

extension MLPRerankerModel {
    static func encode(_ f: ItemFeatures, to w: inout ByteWriter) {
        w.write(UInt64(f.itemCount)); w.write(UInt64(f.vocabulary.count))
        for name in f.vocabulary { w.write(name) }
        w.write(f.rowStart.map(Int64.init)); w.write(f.features)
    }

    /// Reads and validates features: offsets monotone from 0 to the end, each item's
    /// feature indices ascending, distinct and inside the vocabulary.
    static func decodeFeatures(from r: inout ByteReader) throws -> ItemFeatures {
        let bad = { (why: String) in RecommenderError.invalidModelFile(path: "", reason: "item features: \(why)") }
        let n = try r.readSize("feature item count"), size = try r.readSize("feature vocabulary size")
        var vocabulary: [String] = []
        for _ in 0..<size { vocabulary.append(try r.readString()) }
        let start = try r.readIntegers(Int64.self), features = try r.readIntegers(Int32.self)
        guard start.count == n + 1, start.first == 0, start.last == Int64(features.count) else { throw bad("sizes do not agree") }
        for i in 0..<n {
            // Checked against the end here, not only at the last offset: offsets that rise
            // past the end and come back down would otherwise index beyond `features`.
            guard start[i] <= start[i + 1], start[i + 1] <= Int64(features.count) else {
                throw bad("row offsets decrease or pass the end at item \(i)")
            }
            var last: Int32 = -1
            for p in Int(start[i])..<Int(start[i + 1]) {
                guard features[p] > last, Int(features[p]) < size else { throw bad("item \(i) has an unsorted or out-of-range feature") }
                last = features[p]
            }
        }
        return ItemFeatures(vocabulary: vocabulary, itemCount: n, rowStart: start.map(Int.init), features: features)
    }
}

extension MLPRerankerModel: PersistableModel {
    static var kind: String { "rerank" }
    var factorUsers: Int? { (base as? any PersistableModel)?.factorUsers }

    /// Base model kind and payload, item count, candidates, the number of base-evidence
    /// inputs (``RerankInputs/evidenceWidth``), features, popularity, then the MLP: depth,
    /// and per layer its kernel and bias.
    func encode(to w: inout ByteWriter) {
        // `MLPReranker.fit` wraps a reranker over a base that cannot be saved in
        // `UnsavableReranker`, which is not persistable, so this always holds.
        guard let saved = base as? any PersistableModel else { preconditionFailure("rerank: base model '\(base.name)' cannot be saved") }
        w.write(type(of: saved).kind); saved.encode(to: &w)
        w.write(UInt64(itemCount)); w.write(UInt64(candidates)); w.write(UInt64(RerankInputs.evidenceWidth))
        Self.encode(inputs.features, to: &w)
        w.write(inputs.popularity)
        w.write(UInt64(kernels.count))
        for (k, b) in zip(kernels, biases) { w.write(k); w.write(b) }
    }

    static func decode(from r: inout ByteReader) throws -> MLPRerankerModel {
        let bad = { (why: String) in RecommenderError.invalidModelFile(path: "", reason: "reranker: \(why)") }
        let kind = try r.readString()
        // One level only: nesting would let a crafted file recurse without bound.
        guard kind != Self.kind else { throw bad("the base model is itself a reranker") }
        let base = try ModelCoding.decode(kind: kind, from: &r, path: "")
        let n = try r.readSize("item count"), candidates = try r.readSize("candidates")
        guard base.itemCount == n else { throw bad("base model scores \(base.itemCount) items, the reranker \(n)") }
        guard candidates >= 1 else { throw bad("candidates must be ≥ 1") }
        let evidence = try r.readSize("evidence inputs")
        let features = try decodeFeatures(from: &r)
        guard features.itemCount == n else { throw bad("features describe \(features.itemCount) items, expected \(n)") }
        guard features.width <= RerankInputs.maximumFeatures else { throw bad("\(features.width) features exceed \(RerankInputs.maximumFeatures)") }
        let popularity = try r.readFloats()
        try checkCount(popularity, n, "reranker popularity")
        // Another layout of the MLP's input (a file of an earlier version).
        guard evidence == RerankInputs.evidenceWidth else {
            throw bad("\(evidence) base-evidence inputs, this version reads \(RerankInputs.evidenceWidth)")
        }
        let depth = try r.readSize("MLP depth")
        guard depth >= 1, depth <= 16 else { throw bad("MLP depth \(depth) out of range") }
        var kernels: [[Float]] = [], biases: [[Float]] = []
        var inWidth = RerankInputs.inputWidth(features: features.width)
        for l in 0..<depth {
            let k = try r.readFloats(), b = try r.readFloats()
            guard b.count >= 1, b.count <= 4096 else { throw bad("layer \(l) has \(b.count) units") }
            try checkCount(k, inWidth * b.count, "reranker layer \(l) kernel")
            kernels.append(k); biases.append(b)
            inWidth = b.count
        }
        guard inWidth == 1 else { throw bad("the last layer has \(inWidth) units, expected 1") }
        return MLPRerankerModel(base: base, inputs: RerankInputs(features: features, popularity: popularity),
                                candidates: candidates, kernels: kernels, biases: biases)
    }
}
