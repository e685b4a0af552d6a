@testable import DeepCore
import Foundation
import Testing

/// NeuMF's shape of graph, where embeddings are read by nothing but a `Concatenate` and so
/// write straight into its columns (and read their gradient from there): an MLP branch over
/// [user vector, features, two item vectors], a GMF branch, ReLU layers; the backward pass
/// against central differences of a Double mirror.
struct ConcatenatedEmbeddingFixture {
    let model: Model
    static let users: [Float] = [0, 3, 3, 1, 4, 0, 2]
    static let items: [Float] = [5, 2, 2, 0, 1, 3, 5]
    static let pairs: [[Float]] = [[1, 4], [0, 0], [5, 2], [3, 1], [2, 2], [4, 5], [1, 0]]
    static let feats: [[Float]] = [[0.5, -1], [1, 0], [0.2, 0.3], [-1, 1], [0, 0.7], [2, -0.4], [0.1, 0.1]]
    static let labels: [Float] = [1, 0, 1, 1, 0, 1, 0]

    init(update: EmbeddingUpdate = .dense) throws {
        let user = Input(shape: [1], name: "user"), item = Input(shape: [1], name: "item")
        let pair = Input(shape: [2], name: "pair"), features = Input(shape: [2], name: "features")
        let init0 = Initializer.uniform(-0.5...0.5)
        let gmf = Multiply()([Embedding(inputDim: 5, outputDim: 3, initializer: init0, update: update)(user),
                              Embedding(inputDim: 6, outputDim: 3, initializer: init0, update: update)(item)])
        let um = Embedding(inputDim: 5, outputDim: 4, initializer: init0, update: update)(user)
        let pm = Embedding(inputDim: 6, outputDim: 2, initializer: init0, update: update)(pair)   // two ids → 4
        let h1 = Dense(units: 5, activation: .relu)(Concatenate()([um, features.node, pm]))
        let h2 = Dense(units: 3, activation: .relu)(h1)
        let out = Dense(units: 1, activation: .sigmoid)(Concatenate()([gmf, h2]))
        model = try Model(inputs: [user, item, pair, features], outputs: out, seed: 11)
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossentropy)
    }

    var inputs: [Tensor] { [Tensor(Self.users), Tensor(Self.items), Tensor(Self.pairs), Tensor(Self.feats)] }
    var targets: Tensor { Tensor(Self.labels) }

    static func dense(_ x: [Double], _ w: [Double], _ b: [Double], units: Int, relu: Bool) -> [Double] {
        (0..<units).map { j in
            var s = b[j]
            for e in 0..<x.count { s += x[e] * w[e * units + j] }
            return relu ? max(s, 0) : s
        }
    }

    /// The mean BCE in Double for parameters `t` (graph order).
    static func loss(_ t: [[Double]]) -> Double {
        var total = 0.0
        for r in 0..<users.count {
            let u = Int(users[r]), i = Int(items[r])
            let gmf = (0..<3).map { t[0][u * 3 + $0] * t[1][i * 3 + $0] }
            var x = (0..<4).map { t[2][u * 4 + $0] }
            x += feats[r].map(Double.init)
            for id in pairs[r] { x += (0..<2).map { t[3][Int(id) * 2 + $0] } }
            let h1 = dense(x, t[4], t[5], units: 5, relu: true)
            let h2 = dense(h1, t[6], t[7], units: 3, relu: true)
            let z = dense(gmf + h2, t[8], t[9], units: 1, relu: false)[0]
            let p = 1 / (1 + Foundation.exp(-z)), y = Double(labels[r])
            total -= y * log(p) + (1 - y) * log(1 - p)
        }
        return total / Double(users.count)
    }
}

@Suite("Embeddings written into a concatenation") struct ConcatenatedEmbeddingTests {
    @Test(arguments: [EmbeddingUpdate.dense, .lazy])
    func backwardMatchesFiniteDifferences(update: EmbeddingUpdate) throws {
        let f = try ConcatenatedEmbeddingFixture(update: update)
        let params = f.model.parameters
        // Non-zero biases: a row whose ReLU inputs are all zero would otherwise sit on the
        // next layer's kink (pre-activation = bias = 0), where central differences halve.
        params[5].assign(Tensor([0.05, -0.02, 0.03, 0.01, -0.04]))
        params[7].assign(Tensor([0.02, 0.04, -0.01]))
        let loss = try f.model.lossAndGradients(f.inputs, f.targets)
        #expect(params.map(\.shape) == [[5, 3], [6, 3], [5, 4], [6, 2], [10, 5], [5], [5, 3], [3], [6, 1], [1]])
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        #expect(abs(ConcatenatedEmbeddingFixture.loss(theta) - loss) < 1e-5, "forward differs from the mirror")
        expectGradientsMatchCentralDifferences(params, theta: theta, loss: ConcatenatedEmbeddingFixture.loss)
    }

    @Test func gradientRowsOfALaterBatchReplaceTheEarlierOnes() throws {
        let f = try ConcatenatedEmbeddingFixture()
        _ = try f.model.lossAndGradients(f.inputs, f.targets)
        let table = f.model.parameters[3]                 // pair table, 6 × 2: every row used
        let g = UnsafeBufferPointer(start: table.gradient!, count: table.count)
        #expect(g[0..<2].contains { $0 != 0 })
        // One row, pair ids (2, 2): only row 2 may be non-zero now.
        _ = try f.model.lossAndGradients([Tensor([1]), Tensor([0]), Tensor([[2, 2]]), Tensor([[1, 1]])], Tensor([1]))
        for r in 0..<6 where r != 2 { #expect(g[(r * 2)..<(r * 2 + 2)].allSatisfy { $0 == 0 }, "row \(r)") }
    }

    /// Two models share an embedding → concatenation: in one the concatenation feeds a
    /// layer (so the embeddings write into it in place), in the other it is the output (no
    /// aliasing there). Whichever is built last, the second still returns the embedding rows.
    @Test(arguments: [false, true])
    func aConcatenationSharedWithAnotherModelIsStillFilled(featuresFirst: Bool) throws {
        let user = Input(shape: [1], name: "user"), item = Input(shape: [1], name: "item")
        let ue = Embedding(inputDim: 4, outputDim: 2, initializer: .uniform(-1...1))
        let ie = Embedding(inputDim: 3, outputDim: 3, initializer: .uniform(-1...1))
        let joined = Concatenate()([ue(user), ie(item)])
        func train() throws -> Model {
            let m = try Model(inputs: [user, item], outputs: Dense(units: 1)(joined), seed: 2)
            m.compile(optimizer: Adam(), loss: .meanSquaredError)
            return m
        }
        var trainModel: Model?
        if !featuresFirst { trainModel = try train() }
        let features = try Model(inputs: [user, item], outputs: joined, seed: 3)
        if featuresFirst { trainModel = try train() }
        let users: [Float] = [0, 3, 1], items: [Float] = [2, 0, 1]
        _ = try trainModel!.predict([Tensor(users), Tensor(items)])
        let out = try features.predict([Tensor(users), Tensor(items)])
        let u = ue.parameters[0].tensor.scalars, i = ie.parameters[0].tensor.scalars
        for r in 0..<3 {
            let expected = Array(u[(Int(users[r]) * 2)..<(Int(users[r]) * 2 + 2)]) + Array(i[(Int(items[r]) * 3)..<(Int(items[r]) * 3 + 3)])
            #expect(Array(out.scalars[(r * 5)..<(r * 5 + 5)]) == expected, "row \(r)")
        }
    }

    @Test func predictionsMatchTheMirrorAndBadIdsAreNamed() throws {
        let f = try ConcatenatedEmbeddingFixture()
        try f.model.fit(f.inputs, f.targets, epochs: 2, batchSize: 3, verbose: .silent)
        let theta = f.model.parameters.map { $0.tensor.scalars.map(Double.init) }
        let p = try f.model.predict(f.inputs)
        #expect(p.shape == [7, 1])
        // The mirror's loss from the trained weights equals the loss of the predictions.
        var bce = 0.0
        for (r, y) in ConcatenatedEmbeddingFixture.labels.enumerated() {
            let q = Double(p.scalars[r])
            bce -= Double(y) * log(q) + (1 - Double(y)) * log(1 - q)
        }
        #expect(abs(bce / 7 - ConcatenatedEmbeddingFixture.loss(theta)) < 1e-5)
        // An id outside the pair table (column 1 of row 1) is a typed error naming it.
        var pairs = ConcatenatedEmbeddingFixture.pairs
        pairs[1][1] = 6
        #expect(throws: DeepCoreError.self) {
            try f.model.fit([Tensor(ConcatenatedEmbeddingFixture.users), Tensor(ConcatenatedEmbeddingFixture.items),
                             Tensor(pairs), Tensor(ConcatenatedEmbeddingFixture.feats)], f.targets, verbose: .silent)
        }
        var users = ConcatenatedEmbeddingFixture.users
        users[4] = 2.5
        do {
            try f.model.fit([Tensor(users), Tensor(ConcatenatedEmbeddingFixture.items), Tensor(ConcatenatedEmbeddingFixture.pairs),
                             Tensor(ConcatenatedEmbeddingFixture.feats)], f.targets, verbose: .silent)
            Issue.record("a fractional id was accepted")
        } catch let error as DeepCoreError {
            #expect("\(error)".contains("row 4") && "\(error)".contains("2.5"), "\(error)")
        }
    }
}
