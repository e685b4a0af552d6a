import DeepCore
import Foundation

/// Trained NeuMF weights, scoring without DeepCore's training graph: the item half of the
/// first MLP layer is precomputed for every item at load time, so scoring a user over the
/// whole catalog is a few GEMMs (items × layer widths), thread-safe and allocation-bounded.
/// Scores are logits (the sigmoid is monotone, and saturating probabilities would tie).
struct NeuMFModel: ScoringModel {
    let users: Int
    let itemCount: Int
    let gmfFactors: Int
    let mlpLayers: [Int]
    let userGMF: [Float], itemGMF: [Float]
    let userMLP: [Float], itemMLP: [Float]
    /// Hidden layers: kernels `[in × out]` and biases.
    let kernels: [[Float]], biases: [[Float]]
    /// `[gmf + last hidden]` weights of the output unit, and its bias.
    let outputKernel: [Float]
    let outputBias: Float
    /// `itemMLP · W₁[item half]`: items × first hidden width.
    let itemFirst: [Float]
    /// Mean user vectors: fold-in's starting point.
    let meanGMF: [Float], meanMLP: [Float]

    var name: String { "neumf" }
    var half: Int { mlpLayers.isEmpty ? 0 : mlpLayers[0] / 2 }
    var widths: [Int] { Array(mlpLayers.dropFirst()) }

    init(users: Int, itemCount: Int, gmfFactors: Int, mlpLayers: [Int], userGMF: [Float], itemGMF: [Float],
         userMLP: [Float], itemMLP: [Float], kernels: [[Float]], biases: [[Float]], outputKernel: [Float], outputBias: Float) {
        self.users = users
        self.itemCount = itemCount
        self.gmfFactors = gmfFactors
        self.mlpLayers = mlpLayers
        self.userGMF = userGMF
        self.itemGMF = itemGMF
        self.userMLP = userMLP
        self.itemMLP = itemMLP
        self.kernels = kernels
        self.biases = biases
        self.outputKernel = outputKernel
        self.outputBias = outputBias
        let half = mlpLayers.isEmpty ? 0 : mlpLayers[0] / 2
        var first: [Float] = []
        if let w1 = kernels.first {
            let h1 = mlpLayers[1]
            first = [Float](repeating: 0, count: itemCount * h1)
            itemMLP.withUnsafeBufferPointer { q in
                w1.withUnsafeBufferPointer { w in
                    first.withUnsafeMutableBufferPointer { out in
                        RecKernels.gemm(q.baseAddress!, w.baseAddress! + half * h1, out.baseAddress!, m: itemCount, n: h1, k: half)
                    }
                }
            }
        }
        itemFirst = first
        func mean(_ table: [Float], _ k: Int) -> [Float] {
            guard k > 0, users > 0 else { return [] }
            var m = [Float](repeating: 0, count: k)
            for u in 0..<users { for f in 0..<k { m[f] += table[u * k + f] } }
            return m.map { $0 / Float(users) }
        }
        meanGMF = mean(userGMF, gmfFactors)
        meanMLP = mean(userMLP, half)
    }

    func scores(forUsers list: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        var scratch = Scratch(self)
        for (r, u) in list.enumerated() {
            let g = gmfFactors, h = half
            userGMF.withUnsafeBufferPointer { pg in
                userMLP.withUnsafeBufferPointer { pm in
                    score(gmf: pg.baseAddress.map { $0 + Int(u) * g }, mlp: pm.baseAddress.map { $0 + Int(u) * h },
                          into: scores.baseAddress! + r * itemCount, scratch: &scratch)
                }
            }
        }
    }

    /// Buffers for one user's pass over the catalog.
    struct Scratch {
        var a: [Float], b: [Float], userFirst: [Float], gmfWeights: [Float]
        init(_ m: NeuMFModel) {
            let widest = m.widths.max() ?? 1
            a = [Float](repeating: 0, count: m.itemCount * widest)
            b = a
            userFirst = [Float](repeating: 0, count: max(widest, 1))
            gmfWeights = [Float](repeating: 0, count: max(m.gmfFactors, 1))
        }
    }

    /// Logits of every item for one user's vectors.
    func score(gmf pg: UnsafePointer<Float>?, mlp pm: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>,
               scratch: inout Scratch) {
        let n = itemCount, g = gmfFactors
        out.update(repeating: outputBias, count: n)
        if g > 0, let pg {
            for f in 0..<g { scratch.gmfWeights[f] = pg[f] * outputKernel[f] }
            itemGMF.withUnsafeBufferPointer { q in
                scratch.gmfWeights.withUnsafeBufferPointer { v in
                    RecKernels.gemm(q.baseAddress!, v.baseAddress!, out, m: n, n: 1, k: g, beta: 1)
                }
            }
        }
        guard let pm, !kernels.isEmpty else { return }
        let ws = widths, h = half
        // Layer 1: relu(itemFirst + pm·W₁[user half] + b₁).
        let h1 = ws[0]
        for j in 0..<h1 {
            var s = biases[0][j]
            for f in 0..<h { s += pm[f] * kernels[0][f * h1 + j] }
            scratch.userFirst[j] = s
        }
        scratch.a.withUnsafeMutableBufferPointer { a in
            scratch.b.withUnsafeMutableBufferPointer { b in
                var cur = a.baseAddress!, next = b.baseAddress!
                itemFirst.withUnsafeBufferPointer { first in
                    for i in 0..<n {
                        for j in 0..<h1 { cur[i * h1 + j] = max(first[i * h1 + j] + scratch.userFirst[j], 0) }
                    }
                }
                for l in 1..<ws.count {
                    let (wIn, wOut) = (ws[l - 1], ws[l])
                    kernels[l].withUnsafeBufferPointer { w in
                        RecKernels.gemm(cur, w.baseAddress!, next, m: n, n: wOut, k: wIn)
                    }
                    let bias = biases[l]
                    for i in 0..<n { for j in 0..<wOut { next[i * wOut + j] = max(next[i * wOut + j] + bias[j], 0) } }
                    swap(&cur, &next)
                }
                outputKernel.withUnsafeBufferPointer { w in
                    RecKernels.gemm(cur, w.baseAddress! + g, out, m: n, n: 1, k: ws[ws.count - 1], beta: 1)
                }
            }
        }
    }

    // MARK: Fold-in

    /// A new user's vectors: SGD on binary cross-entropy over the history (positives) and
    /// uniform negatives, every item-side weight fixed, starting from the mean user.
    func userVectors(for history: UserHistory) -> (gmf: [Float], mlp: [Float]) {
        var pg = meanGMF, pm = meanMLP
        guard !history.items.isEmpty, history.items.count < itemCount else { return (pg, pm) }
        let seen = Set(history.items)
        var rng = SeededGenerator(seed: UInt64(history.items.count) &* 0x9E37_79B9 &+ UInt64(history.items[0]))
        let rate: Float = 0.05
        let steps = max(200, 20 * history.items.count)
        var work = FoldInWork(self)
        for step in 0..<steps {
            let positive = step % 5 == 0
            var item = Int(history.items[rng.nextIndex(below: history.items.count)])
            if !positive {
                item = rng.nextIndex(below: itemCount)
                while seen.contains(Int32(item)) { item = rng.nextIndex(below: itemCount) }
            }
            let z = logit(item: item, pg: pg, pm: pm, work: &work)
            let dz = 1 / (1 + expf(-z)) - (positive ? 1 : 0)
            // GMF: ∂z/∂pg = w_gmf ⊙ q_i.
            for f in 0..<gmfFactors { pg[f] -= rate * dz * outputKernel[f] * itemGMF[item * gmfFactors + f] }
            guard !kernels.isEmpty else { continue }
            // MLP: back through the ReLU layers to the user half of the first input.
            let ws = widths
            var delta = (0..<ws[ws.count - 1]).map { dz * outputKernel[gmfFactors + $0] }
            for l in stride(from: ws.count - 1, through: 0, by: -1) {
                let act = work.activations[l]
                for j in 0..<ws[l] where act[j] <= 0 { delta[j] = 0 }
                let inputs = l == 0 ? half : ws[l - 1]
                var previous = [Float](repeating: 0, count: inputs)
                for f in 0..<inputs {
                    var s: Float = 0
                    for j in 0..<ws[l] { s += kernels[l][f * ws[l] + j] * delta[j] }
                    previous[f] = s
                }
                delta = previous
            }
            for f in 0..<half { pm[f] -= rate * delta[f] }
        }
        return (pg, pm)
    }

    struct FoldInWork {
        var activations: [[Float]]
        init(_ m: NeuMFModel) { activations = m.widths.map { [Float](repeating: 0, count: $0) } }
    }

    /// One (user vectors, item) logit, keeping each layer's activations for backward.
    func logit(item: Int, pg: [Float], pm: [Float], work: inout FoldInWork) -> Float {
        var z = outputBias
        for f in 0..<gmfFactors { z += pg[f] * itemGMF[item * gmfFactors + f] * outputKernel[f] }
        guard !kernels.isEmpty else { return z }
        let ws = widths
        var x = pm + itemMLP[(item * half)..<((item + 1) * half)]
        for l in 0..<ws.count {
            var y = biases[l]
            for f in 0..<x.count { let v = x[f]; for j in 0..<ws[l] { y[j] += v * kernels[l][f * ws[l] + j] } }
            for j in 0..<ws[l] { y[j] = max(y[j], 0) }
            work.activations[l] = y
            x = y
        }
        for j in 0..<x.count { z += x[j] * outputKernel[gmfFactors + j] }
        return z
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        let (pg, pm) = userVectors(for: history)
        var scratch = Scratch(self)
        pg.withUnsafeBufferPointer { g in
            pm.withUnsafeBufferPointer { m in
                score(gmf: gmfFactors > 0 ? g.baseAddress : nil, mlp: kernels.isEmpty ? nil : m.baseAddress,
                      into: scores.baseAddress!, scratch: &scratch)
            }
        }
    }

    /// Cosine similarity of the items' concatenated GMF and MLP embeddings.
    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        let i = Int(item), g = gmfFactors, h = half
        func vector(_ j: Int) -> [Float] { Array(itemGMF[(j * g)..<((j + 1) * g)]) + Array(itemMLP[(j * h)..<((j + 1) * h)]) }
        let a = vector(i)
        let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for j in 0..<itemCount {
            let b = vector(j)
            var d: Float = 0, nb: Float = 0
            for f in 0..<a.count { d += a[f] * b[f]; nb += b[f] * b[f] }
            scores[j] = na * nb > 0 ? d / (na * nb.squareRoot()) : 0
        }
    }
}

extension NeuMFModel: PersistableModel {
    static var kind: String { "neumf" }
    var factorUsers: Int? { users }

    func encode(to w: inout ByteWriter) {
        w.write(UInt64(users)); w.write(UInt64(itemCount)); w.write(UInt64(gmfFactors))
        w.write(UInt64(mlpLayers.count)); for l in mlpLayers { w.write(UInt64(l)) }
        w.write(userGMF); w.write(itemGMF); w.write(userMLP); w.write(itemMLP)
        for (k, b) in zip(kernels, biases) { w.write(k); w.write(b) }
        w.write(outputKernel); w.write(outputBias)
    }

    static func decode(from r: inout ByteReader) throws -> NeuMFModel {
        let users = try r.readSize("user count"), items = try r.readSize("item count"), g = try r.readSize("GMF factors")
        // Fold-in starts from the mean user, which needs at least one (training never
        // makes a model without users).
        guard users >= 1 else { throw RecommenderError.invalidModelFile(path: "", reason: "NeuMF model has no users") }
        let depth = try r.readSize("MLP depth")
        guard depth <= 64 else { throw RecommenderError.invalidModelFile(path: "", reason: "MLP depth \(depth) out of range") }
        let layers = try (0..<depth).map { _ in try r.readSize("MLP width") }
        guard g <= 4096, layers.allSatisfy({ $0 > 0 && $0 <= 4096 }), layers.first.map({ $0 % 2 == 0 }) ?? true,
              g > 0 || layers.count >= 2 else {
            throw RecommenderError.invalidModelFile(path: "", reason: "NeuMF shape gmf \(g), mlp \(layers) is not valid")
        }
        let half = layers.first.map { $0 / 2 } ?? 0
        let pg = try r.readFloats(), qg = try r.readFloats(), pm = try r.readFloats(), qm = try r.readFloats()
        try checkCount(pg, users * g, "NeuMF user GMF"); try checkCount(qg, items * g, "NeuMF item GMF")
        try checkCount(pm, users * (layers.count >= 2 ? half : 0), "NeuMF user MLP")
        try checkCount(qm, items * (layers.count >= 2 ? half : 0), "NeuMF item MLP")
        var kernels: [[Float]] = [], biases: [[Float]] = []
        if layers.count >= 2 {
            for l in 1..<layers.count {
                let k = try r.readFloats(), b = try r.readFloats()
                try checkCount(k, layers[l - 1] * layers[l], "NeuMF layer \(l) kernel")
                try checkCount(b, layers[l], "NeuMF layer \(l) bias")
                kernels.append(k); biases.append(b)
            }
        }
        let out = try r.readFloats()
        try checkCount(out, g + (layers.count >= 2 ? layers[layers.count - 1] : 0), "NeuMF output kernel")
        let bias = try r.readFloat()
        return NeuMFModel(users: users, itemCount: items, gmfFactors: g, mlpLayers: layers.count >= 2 ? layers : [],
                          userGMF: pg, itemGMF: qg, userMLP: pm, itemMLP: qm, kernels: kernels, biases: biases,
                          outputKernel: out, outputBias: bias)
    }
}
