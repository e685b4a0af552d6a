import AllocationCounter
@testable import DeepCore
import Foundation
import Testing

/// A graph with every join and a fan-out: two id inputs through embeddings (each vector
/// read by two layers, with duplicate ids in the batch), a feature input, Multiply,
/// Concatenate, Dot, Dense; and its Double mirror written from the formulas.
struct GraphFixture {
    let user = Input(shape: [1], name: "user")
    let item = Input(shape: [1], name: "item")
    let features = Input(shape: [3], name: "features")
    let model: Model

    init(update: EmbeddingUpdate = .dense, seed: UInt64 = 7) throws {
        let u = Embedding(inputDim: 5, outputDim: 4, initializer: .uniform(-0.5...0.5), update: update)(user)
        let i = Embedding(inputDim: 6, outputDim: 4, initializer: .uniform(-0.5...0.5), update: update)(item)
        let gmf = Multiply()([u, i])
        let hidden = Dense(units: 4, activation: .tanh)(Concatenate()([u, i, features.node]))
        let dot = Dot()([hidden, gmf])
        let out = Dense(units: 1, activation: .sigmoid)(Concatenate()([gmf, hidden, dot]))
        model = try Model(inputs: [user, item, features], outputs: out, seed: seed)
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossentropy)
    }

    static let users: [Float] = [0, 3, 3, 1, 4, 0]
    static let items: [Float] = [5, 2, 2, 0, 1, 3]
    static let feats: [[Float]] = [[0.5, -1, 2], [1, 0, -0.5], [0.2, 0.3, 0.1], [-1, 1, 1], [0, 0, 0.7], [2, -0.4, 0]]
    static let labels: [Float] = [1, 0, 1, 1, 0, 1]

    var inputs: [Tensor] {
        [Tensor(Self.users), Tensor(Self.items), Tensor(Self.feats)]
    }
    var targets: Tensor { Tensor(Self.labels) }

    /// The mean BCE of the graph in Double for parameters `t` (graph order).
    static func loss(_ t: [[Double]]) -> Double {
        let (eu, ei, wh, bh, wo, bo) = (t[0], t[1], t[2], t[3], t[4], t[5])
        var total = 0.0
        for r in 0..<users.count {
            let u = (0..<4).map { eu[Int(users[r]) * 4 + $0] }
            let i = (0..<4).map { ei[Int(items[r]) * 4 + $0] }
            let gmf = zip(u, i).map { $0 * $1 }
            let x: [Double] = u + i + feats[r].map { Double($0) }
            var h: [Double] = []
            for j in 0..<4 {
                var s = bh[j]
                for e in 0..<x.count { s += x[e] * wh[e * 4 + j] }
                h.append(Foundation.tanh(s))
            }
            var dot = 0.0
            for e in 0..<4 { dot += h[e] * gmf[e] }
            let z2: [Double] = gmf + h + [dot]
            var z = bo[0]
            for e in 0..<z2.count { z += z2[e] * wo[e] }
            let p = 1 / (1 + Foundation.exp(-z)), y = Double(labels[r])
            total -= y * log(p) + (1 - y) * log(1 - p)
        }
        return total / Double(users.count)
    }
}

/// Each parameter's analytic gradient against central differences (step 1e-6) of a Double
/// mirror `loss` of the model at `theta` (the parameters' values): the worst absolute error
/// under 1e-4 of the largest numeric gradient, which must not be trivially zero.
func expectGradientsMatchCentralDifferences(_ params: [Parameter], theta: [[Double]], loss: ([[Double]]) -> Double,
                                            sourceLocation: SourceLocation = #_sourceLocation) {
    var worst = 0.0, norm = 0.0
    for (k, p) in params.enumerated() {
        let analytic = UnsafeBufferPointer(start: p.gradient!, count: p.count).map(Double.init)
        for e in 0..<p.count {
            var plus = theta, minus = theta
            plus[k][e] += 1e-6
            minus[k][e] -= 1e-6
            let numeric = (loss(plus) - loss(minus)) / 2e-6
            worst = max(worst, abs(numeric - analytic[e]))
            norm = max(norm, abs(numeric))
        }
    }
    #expect(norm > 1e-3, "gradients are trivially zero", sourceLocation: sourceLocation)
    #expect(worst / norm < 1e-4, "worst gradient error \(worst) against scale \(norm)", sourceLocation: sourceLocation)
}

@Suite("Functional Model") struct FunctionalModelTests {
    @Test(arguments: [EmbeddingUpdate.dense, .lazy])
    func backwardMatchesFiniteDifferencesThroughEveryJoin(update: EmbeddingUpdate) throws {
        let f = try GraphFixture(update: update)
        let loss = try f.model.lossAndGradients(f.inputs, f.targets)
        let params = f.model.parameters
        #expect(params.map(\.shape) == [[5, 4], [6, 4], [11, 4], [4], [9, 1], [1]])
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        #expect(abs(GraphFixture.loss(theta) - loss) < 1e-5, "forward differs from the mirror")
        expectGradientsMatchCentralDifferences(params, theta: theta, loss: GraphFixture.loss)
    }

    @Test(arguments: [EmbeddingUpdate.dense, .lazy])
    func embeddingGradientIsZeroOutsideTheBatchRows(update: EmbeddingUpdate) throws {
        let f = try GraphFixture(update: update)
        _ = try f.model.lossAndGradients(f.inputs, f.targets)
        let table = f.model.parameters[0]     // users 0, 1, 3, 4 used; row 2 not
        let g = UnsafeBufferPointer(start: table.gradient!, count: table.count)
        #expect(g[8..<12].allSatisfy { $0 == 0 })
        #expect(g[0..<4].contains { $0 != 0 })
        // A second batch without user 0 clears its row.
        _ = try f.model.lossAndGradients([Tensor([1]), Tensor([0]), Tensor([[1, 1, 1]])], Tensor([1]))
        #expect(g[0..<4].allSatisfy { $0 == 0 })
        #expect(g[4..<8].contains { $0 != 0 })
    }

    /// An embedding regularizer adds 2·λ·w to the rows the batch looked up, and nothing to
    /// the others.
    @Test(arguments: [EmbeddingUpdate.dense, .lazy])
    func embeddingRegularizerAppliesToTouchedRows(update: EmbeddingUpdate) throws {
        func gradient(_ regularizer: Regularizer?) throws -> ([Float], [Float]) {
            let id = Input(shape: [1])
            let table = Embedding(inputDim: 6, outputDim: 3, initializer: .uniform(-0.5...0.5), update: update,
                                  regularizer: regularizer)
            let model = try Model(inputs: [id], outputs: Dense(units: 1, activation: .sigmoid)(table(id)), seed: 3)
            model.compile(optimizer: SGD(), loss: .binaryCrossentropy)
            _ = try model.lossAndGradients([Tensor([1, 4, 4])], Tensor([1, 0, 1]))
            let p = model.parameters[0]
            return (Array(UnsafeBufferPointer(start: p.gradient!, count: p.count)), p.tensor.scalars)
        }
        let (plain, w) = try gradient(nil), (regularized, _) = try gradient(.l2(0.1))
        for row in 0..<6 {
            for c in 0..<3 {
                let i = row * 3 + c
                let expected = row == 1 || row == 4 ? plain[i] + 0.2 * w[i] : 0
                #expect(abs(regularized[i] - expected) < 1e-6, "row \(row) col \(c): \(regularized[i]) vs \(expected)")
            }
        }
    }

    /// The NaN guard reads dense parameters whole and row-sparse ones at their touched rows
    /// (elsewhere their gradient is zero by construction): a non-finite value in a dense
    /// range or a touched row is found, one in an untouched row is not read.
    @Test(arguments: [EmbeddingUpdate.dense, .lazy])
    func nanGuardReadsDenseRangesAndTouchedRows(update: EmbeddingUpdate) {
        let dense = Parameter(name: "w", shape: [5], initializer: .zeros)
        let rows = TouchedRows(rowCount: 6, width: 3, lazy: update == .lazy)
        let table = Parameter(name: "t", shape: [6, 3], initializer: .zeros, touchedRows: rows)
        let after = Parameter(name: "b", shape: [2], initializer: .zeros)
        let arena = ParameterArena(parameters: [dense, table, after])
        rows.reset()
        _ = rows.touch(4); _ = rows.touch(1)
        // This step's gradient of a touched row: in the arena (dense update) or in the row's
        // compact slot (lazy: row 4 took slot 0).
        let row4 = update == .lazy ? rows.compactGradient! : table.gradient! + 4 * 3
        #expect(arena.gradientsFinite())
        table.gradient![0 * 3 + 2] = .nan                     // row 0: not touched
        #expect(arena.gradientsFinite())
        if update == .lazy {
            table.gradient![4 * 3 + 2] = .nan                 // a lazy table's arena slice is not its gradient
            #expect(arena.gradientsFinite())
        }
        row4[2] = .infinity                                   // row 4: touched
        #expect(!arena.gradientsFinite())
        row4[2] = 0
        #expect(arena.gradientsFinite())
        dense.gradient![4] = .nan
        #expect(!arena.gradientsFinite())
        dense.gradient![4] = 0
        after.gradient![1] = -.infinity
        #expect(!arena.gradientsFinite())
    }

    @Test func lazyUpdatesStepOnlyTouchedRows() throws {
        func run(_ update: EmbeddingUpdate) throws -> (before: [Float], after: [Float]) {
            let f = try GraphFixture(update: update)
            f.model.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossentropy)
            // Step 1 touches user 0, step 2 only user 1 (batch size 1, no shuffling).
            let x = [Tensor([0, 1]), Tensor([1, 2]), Tensor([[1, 0, 0], [0, 1, 0]])]
            try f.model.fit(x, Tensor([1, 0]), epochs: 1, batchSize: 1, shuffle: false, verbose: .silent)
            let before = f.model.parameters[0].tensor.scalars
            try f.model.fit([Tensor([1]), Tensor([2]), Tensor([[0, 1, 0]])], Tensor([0]),
                            epochs: 1, batchSize: 1, shuffle: false, verbose: .silent)
            return (before, f.model.parameters[0].tensor.scalars)
        }
        let dense = try run(.dense), lazy = try run(.lazy)
        // Row 0 was touched in step 1 only: dense Adam's momentum still moves it, lazy does not.
        #expect(Array(dense.before[0..<4]) != Array(dense.after[0..<4]))
        #expect(Array(lazy.before[0..<4]) == Array(lazy.after[0..<4]))
        // Rows never touched stay at their initial values in lazy mode.
        #expect(Array(lazy.before[8..<12]) == Array(lazy.after[8..<12]))
        #expect(Array(lazy.before[4..<8]) != Array(lazy.after[4..<8]))
    }

    /// From a fresh optimizer state, one lazy step moves the touched rows exactly as the
    /// dense step does (an untouched row's gradient is zero) for every optimizer, not only
    /// Adam's C row kernel: SGD, SGD with Nesterov momentum and Adagrad step rows through
    /// the generic `applyRows`, reading the compact gradient. The batch touches rows out of
    /// row order (first touch: users 0, 3, 1, 4), so a row reading another's gradient shows.
    @Test(arguments: ["sgd", "nesterov", "adagrad"])
    func oneLazyStepMatchesTheDenseStep(optimizer: String) throws {
        func step(_ update: EmbeddingUpdate) throws -> [[Float]] {
            let f = try GraphFixture(update: update)
            let opt: Optimizer = switch optimizer {
            case "sgd": SGD(learningRate: 0.1)
            case "nesterov": SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
            default: Adagrad(learningRate: 0.1)
            }
            f.model.compile(optimizer: opt, loss: .binaryCrossentropy)
            try f.model.fit(f.inputs, f.targets, epochs: 1, batchSize: 6, shuffle: false, verbose: .silent)
            return f.model.parameters.map(\.tensor.scalars)
        }
        let before = try GraphFixture(update: .dense).model.parameters.map(\.tensor.scalars)
        let dense = try step(.dense), lazy = try step(.lazy)
        #expect(lazy == dense)
        #expect(lazy[0] != before[0] && lazy[1] != before[1])   // the tables did move
    }

    /// A lazy table's compact gradient grows when a batch touches more rows than any before
    /// (batch 2, then 6): the larger step's gradient is still the full one.
    @Test func compactGradientGrowsWithALargerBatch() throws {
        let f = try GraphFixture(update: .lazy)
        try f.model.fit([Tensor([0, 3]), Tensor([5, 2]), Tensor([[0.5, -1, 2], [1, 0, -0.5]])], Tensor([1, 0]),
                        epochs: 1, batchSize: 2, shuffle: false, verbose: .silent)
        let loss = try f.model.lossAndGradients(f.inputs, f.targets)
        let params = f.model.parameters
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        #expect(abs(GraphFixture.loss(theta) - loss) < 1e-5)
        expectGradientsMatchCentralDifferences(params, theta: theta, loss: GraphFixture.loss)
    }

    /// Users and items in 4 taste groups; a user likes an item of the same group. A GMF
    /// model must learn it (known answer).
    @Test func matrixFactorisationLearnsTasteGroups() throws {
        let users = 40, items = 30
        var rng = SeededGenerator(seed: 3)
        var u: [Float] = [], i: [Float] = [], y: [Float] = []
        for _ in 0..<6000 {
            let a = rng.nextIndex(below: users), b = rng.nextIndex(below: items)
            u.append(Float(a)); i.append(Float(b)); y.append(a % 4 == b % 4 ? 1 : 0)
        }
        let user = Input(shape: [1], name: "user"), item = Input(shape: [1], name: "item")
        let gmf = Multiply()([Embedding(inputDim: users, outputDim: 8, update: .lazy)(user),
                              Embedding(inputDim: items, outputDim: 8, update: .lazy)(item)])
        let model = try Model(inputs: [user, item], outputs: Dense(units: 1, activation: .sigmoid)(gmf))
        model.compile(optimizer: Adam(learningRate: 0.02), loss: .binaryCrossentropy, metrics: [.accuracy])
        try model.fit([Tensor(u), Tensor(i)], Tensor(y), epochs: 15, batchSize: 64, verbose: .silent)
        let accuracy = try model.evaluate([Tensor(u), Tensor(i)], Tensor(y))["accuracy"]!
        #expect(accuracy > 0.97, "accuracy \(accuracy)")
        let p = try model.predict([Tensor([0, 0]), Tensor([4, 5])])
        #expect(p[0, 0] > 0.9 && p[1, 0] < 0.1)
    }

    @Test func sameSeedGivesIdenticalWeightsAndWeightsRoundTrip() throws {
        func train() throws -> Model {
            let f = try GraphFixture(seed: 11)
            try f.model.fit(f.inputs, f.targets, epochs: 3, batchSize: 4, seed: 5, verbose: .silent)
            return f.model
        }
        let a = try train(), b = try train()
        #expect(a.parameters.map { $0.tensor.scalars } == b.parameters.map { $0.tensor.scalars })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("graph-\(UInt64.random(in: 0...UInt64.max)).weights").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.saveWeights(to: path)
        let c = try GraphFixture(seed: 99).model
        #expect(c.parameters.map { $0.tensor.scalars } != a.parameters.map { $0.tensor.scalars })
        try c.loadWeights(from: path)
        #expect(c.parameters.map { $0.tensor.scalars } == a.parameters.map { $0.tensor.scalars })
    }

    @Test func badGraphsAndBadDataAreTypedErrors() throws {
        let a = Input(shape: [1], name: "a"), b = Input(shape: [2], name: "b")
        // Multiply of different widths names the layer.
        let bad = Multiply()([Embedding(inputDim: 3, outputDim: 4)(a), Dense(units: 3)(b)])
        #expect(throws: DeepCoreError.self) { try Model(inputs: [a, b], outputs: bad) }
        // An input the output does not use; an output needing an unlisted input.
        let onlyA = Dense(units: 1)(Embedding(inputDim: 3, outputDim: 2)(a))
        #expect(throws: DeepCoreError.self) { try Model(inputs: [a, b], outputs: onlyA) }
        let needsB = Dense(units: 1)(b)
        #expect(throws: DeepCoreError.self) { try Model(inputs: [a], outputs: needsB) }
        // A layer called twice.
        let shared = Dense(units: 2)
        let twice = Concatenate()([shared(b), shared(b)])
        #expect(throws: DeepCoreError.self) { try Model(inputs: [b], outputs: twice) }

        let f = try GraphFixture()
        // Wrong number of tensors, mismatched rows, wrong width, an id out of range, a fractional id.
        #expect(throws: DeepCoreError.self) { try f.model.fit(Array(f.inputs.prefix(2)), f.targets, verbose: .silent) }
        var x = f.inputs
        x[1] = Tensor([1, 2])
        #expect(throws: DeepCoreError.self) { try f.model.fit(x, f.targets, verbose: .silent) }
        x = f.inputs
        x[2] = Tensor(GraphFixture.feats.map { Array($0.prefix(2)) })
        #expect(throws: DeepCoreError.self) { try f.model.fit(x, f.targets, verbose: .silent) }
        x = f.inputs
        x[0] = Tensor([0, 1, 2, 3, 4, 5])
        do {
            try f.model.fit(x, f.targets, verbose: .silent)
            Issue.record("an id beyond the table was accepted")
        } catch let DeepCoreError.invalidInput(message) {
            #expect(message.contains("'user'") && message.contains("5.0") && message.contains("0..<5"), "\(message)")
        }
        x[0] = Tensor([0, 1, 2.5, 3, 4, 0])
        #expect(throws: DeepCoreError.self) { try f.model.predict(x) }
    }

    @Test func summaryListsConnections() throws {
        let f = try GraphFixture()
        let s = f.model.summaryDescription
        #expect(s.contains("embedding (Embedding)") && s.contains("embedding_1 (Embedding)"))
        #expect(s.contains("multiply (Multiply)") && s.contains("embedding, embedding_1"))
        #expect(s.contains("Total params: \(f.model.parameterCount)"))
        #expect(f.model.parameterCount == 20 + 24 + 44 + 4 + 9 + 1)
    }

    @Test func trainingStepAllocatesNothingAfterWarmUp() throws {
        guard allocation_counter_supported() != 0 else { return }
        let user = Input(shape: [1]), item = Input(shape: [1]), feats = Input(shape: [4])
        let u = Embedding(inputDim: 50, outputDim: 8, update: .lazy)(user)
        let i = Embedding(inputDim: 50, outputDim: 8)(item)
        let h = Dense(units: 8, activation: .relu)(Concatenate()([u, i, feats.node]))
        let model = try Model(inputs: [user, item, feats],
                              outputs: Dense(units: 1, activation: .sigmoid)(Concatenate()([Multiply()([u, i]), h])))
        model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
        var rng = SeededGenerator(seed: 1)
        let n = 32 * 60
        let ids = (0..<n).map { _ in Float(rng.nextIndex(below: 50)) }
        let f = Tensor(shape: [n, 4], scalars: (0..<(n * 4)).map { _ in rng.nextFloat(in: -1...1) })
        let probe = AllocationProbe()
        try model.fit([Tensor(ids), Tensor(ids.reversed()), f], Tensor(ids.map { $0 < 25 ? 1 : 0 }),
                      epochs: 1, batchSize: 32, callbacks: [probe], verbose: .silent)
        #expect(probe.atBatch50 - probe.atBatch10 == 0, "\(probe.atBatch50 - probe.atBatch10) allocations in 40 steps")
    }
}
