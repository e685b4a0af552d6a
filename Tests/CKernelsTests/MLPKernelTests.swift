import CKernels
import Foundation
import Testing

/// A dense layer of a test chain: widths, activation, whether it has a bias.
struct MLPLayerShape: Sendable, CustomTestStringConvertible {
    let inputs: Int, units: Int, act: ck_act, usesBias: Bool
    var testDescription: String {
        "\(inputs)→\(units) \(act.testDescription)\(usesBias ? "" : " no-bias")"
    }
}

/// A chain of layers and the row counts to run it on.
struct MLPCase: Sendable, CustomTestStringConvertible {
    let layers: [MLPLayerShape]
    let rowCounts: [Int]
    var testDescription: String { layers.map(\.testDescription).joined(separator: ", ") }
}

private func layer(_ inputs: Int, _ units: Int, _ act: ck_act, bias: Bool = true) -> MLPLayerShape {
    MLPLayerShape(inputs: inputs, units: units, act: act, usesBias: bias)
}

/// Row counts around the 48-row block and 6-row tile: 1, partial tiles, one block ± 1, and
/// (for the seed chain) 1023 and 1025.
let mlpCases: [MLPCase] = [
    MLPCase(layers: [layer(64, 128, CK_ACT_RELU), layer(128, 64, CK_ACT_RELU), layer(64, 1, CK_ACT_SIGMOID)],
            rowCounts: [1, 7, 47, 48, 49, 1023, 1025]),
    MLPCase(layers: [layer(7, 17, CK_ACT_TANH), layer(17, 5, CK_ACT_LINEAR, bias: false),
                     layer(5, 33, CK_ACT_RELU), layer(33, 3, CK_ACT_SOFTMAX)],
            rowCounts: [1, 5, 11, 97]),
    MLPCase(layers: [layer(1, 16, CK_ACT_RELU, bias: false), layer(16, 1, CK_ACT_LINEAR)], rowCounts: [1, 9, 50]),
    MLPCase(layers: [layer(65, 1, CK_ACT_RELU)], rowCounts: [1, 8, 17]),
    MLPCase(layers: [layer(9, 2, CK_ACT_SIGMOID), layer(2, 24, CK_ACT_RELU), layer(24, 8, CK_ACT_LINEAR)],
            rowCounts: [3, 53]),
]

/// Weights, biases and the layer-by-layer Double reference of a chain.
struct MLPFixture {
    let shape: MLPCase
    let weights: [[Float]]
    let biases: [[Float]?]

    init(shape: MLPCase, weights: [[Float]], biases: [[Float]?]) {
        self.shape = shape
        self.weights = weights
        self.biases = biases
    }

    init(_ shape: MLPCase, seed: UInt64) {
        var rng = TestRNG(seed)
        self.shape = shape
        weights = shape.layers.map { rng.floats($0.inputs * $0.units, -0.5, 0.5) }
        biases = shape.layers.map { $0.usesBias ? rng.floats($0.units, -0.5, 0.5) : nil }
    }

    func reference(_ x: [Float], rows: Int) -> [Double] {
        var a = x.map(Double.init)
        for (i, l) in shape.layers.enumerated() {
            var z = [Double](repeating: 0, count: rows * l.units)
            for r in 0..<rows {
                for j in 0..<l.units {
                    var s = 0.0
                    for p in 0..<l.inputs { s += a[r * l.inputs + p] * Double(weights[i][p * l.units + j]) }
                    z[r * l.units + j] = s
                }
            }
            a = ActRef.forward(z, bias: biases[i]?.map(Double.init), rows: rows, cols: l.units, l.act)
        }
        return a
    }

    /// Runs ck_mlp_forward_isa on `x` with a workspace deliberately one float off alignment;
    /// returns the output, or nil if the variant is unavailable. Checks that nothing past
    /// the output is written.
    func run(_ x: [Float], rows: Int, isa: ck_isa) -> [Float]? {
        let outputs = rows * shape.layers.last!.units
        var y = [Float](repeating: .nan, count: outputs + 16)
        let done: Int = withChain { chain in
            let floats = ck_mlp_workspace_size(chain.baseAddress, chain.count)
            var workspace = [Float](repeating: .nan, count: floats + 1)
            return workspace.withUnsafeMutableBufferPointer { w in
                ck_mlp_pack(w.baseAddress! + 1, chain.baseAddress, chain.count)
                return y.withUnsafeMutableBufferPointer { out in
                    ck_mlp_forward_isa(isa, out.baseAddress, x, rows, chain.baseAddress, chain.count,
                                       w.baseAddress! + 1)
                }
            }
        }
        guard done >= 0 else { return nil }
        #expect(done == rows, "all inputs are finite")
        let untouched = y[outputs...].allSatisfy { $0.isNaN }
        #expect(untouched, "wrote past the output")
        return Array(y[..<outputs])
    }

    func withChain<R>(_ body: (UnsafeBufferPointer<ck_dense>) -> R) -> R {
        // The arrays outlive the call: the pointers are taken inside nested scopes.
        func nest(_ i: Int, _ built: [ck_dense]) -> R {
            if i == shape.layers.count { return built.withUnsafeBufferPointer(body) }
            let l = shape.layers[i]
            return weights[i].withUnsafeBufferPointer { w in
                if let b = biases[i] {
                    return b.withUnsafeBufferPointer { bp in
                        nest(i + 1, built + [ck_dense(weight: w.baseAddress, bias: bp.baseAddress,
                                                      inputs: l.inputs, units: l.units, act: l.act)])
                    }
                }
                return nest(i + 1, built + [ck_dense(weight: w.baseAddress, bias: nil,
                                                     inputs: l.inputs, units: l.units, act: l.act)])
            }
        }
        return nest(0, [])
    }
}

@Suite("Dense-chain inference") struct MLPKernelTests {
    @Test(arguments: availableISAs, mlpCases)
    func chainMatchesDoubleReference(isa: ck_isa, shape: MLPCase) throws {
        let fixture = MLPFixture(shape, seed: 11)
        var rng = TestRNG(12)
        for rows in shape.rowCounts {
            let x = rng.floats(rows * shape.layers[0].inputs, -2, 2)
            let y = try #require(fixture.run(x, rows: rows, isa: isa))
            expectClose(y, fixture.reference(x, rows: rows), relative: 1e-5, "\(rows) rows")
        }
    }

    /// Rows are independent with our own kernels: a slice of the rows gives exactly the full
    /// run's values, however it falls on the blocks and tiles (OpenBLAS picks its kernels by
    /// shape, so it promises no such thing).
    @Test(arguments: availableISAs.filter { [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512].contains($0) })
    func rowsAreIndependentOfTheirBlock(isa: ck_isa) throws {
        let fixture = MLPFixture(mlpCases[0], seed: 5)
        var rng = TestRNG(6)
        let rows = 100, inputs = 64
        let x = rng.floats(rows * inputs, -2, 2)
        let all = try #require(fixture.run(x, rows: rows, isa: isa))
        for (start, count) in [(0, 1), (5, 7), (47, 2), (53, 47)] {
            let part = try #require(fixture.run(Array(x[(start * inputs)..<((start + count) * inputs)]),
                                                rows: count, isa: isa))
            #expect(part == Array(all[start..<(start + count)]), "rows \(start)..<\(start + count)")
        }
    }

    /// A NaN or ±Inf in x stops the run at the first row of its 48-row block; the rows
    /// before are written, the rest is not.
    @Test(arguments: availableISAs)
    func nonFiniteInputStopsAtItsBlock(isa: ck_isa) {
        let fixture = MLPFixture(mlpCases[0], seed: 7)
        var rng = TestRNG(8)
        let rows = 150, inputs = 64
        for (row, value) in [(0, Float.nan), (47, .infinity), (48, -.infinity), (149, .nan)] {
            var x = rng.floats(rows * inputs, -2, 2)
            x[row * inputs + 5] = value
            var y = [Float](repeating: .nan, count: rows)
            let done = fixture.withChain { chain in
                var workspace = [Float](repeating: 0, count: ck_mlp_workspace_size(chain.baseAddress, chain.count))
                ck_mlp_pack(&workspace, chain.baseAddress, chain.count)
                return ck_mlp_forward_isa(isa, &y, x, rows, chain.baseAddress, chain.count, &workspace)
            }
            #expect(done == row / 48 * 48, "non-finite value in row \(row)")
            #expect(y[..<done].allSatisfy(\.isFinite) && y[done...].allSatisfy(\.isNaN))
        }
    }

    /// The one-output layer's sigmoid (its own vector e^x in the AVX2 kernel) against the
    /// Double logistic elementwise, over logits from −100 to 100 (e^x clamped below −87,
    /// where the logistic is under 2e-38).
    @Test(arguments: availableISAs)
    func oneOutputSigmoidIsAccurateOverTheWholeRange(isa: ck_isa) throws {
        let shape = MLPCase(layers: [layer(1, 1, CK_ACT_SIGMOID, bias: false)], rowCounts: [])
        let fixture = MLPFixture(shape: shape, weights: [[1]], biases: [nil])
        let x = (0...4000).map { Float($0 - 2000) / 20 } + [0, -0.0, 1e-8, -1e-8, 87, -87, -87.5, 88.7, -88.7]
        let y = try #require(fixture.run(x, rows: x.count, isa: isa))
        let ref = x.map { 1 / (1 + exp(-Double($0))) }
        expectClose(y, ref, relative: 1e-6, absolute: 1e-37, elementwise: true, "sigmoid")
    }

    @Test func workspaceSizeCoversPackedWeightsAndTwoBlocks() {
        let w = [Float](repeating: 0, count: 64 * 128)
        w.withUnsafeBufferPointer { p in
            let chain = [ck_dense(weight: p.baseAddress, bias: nil, inputs: 64, units: 128, act: CK_ACT_RELU),
                         ck_dense(weight: p.baseAddress, bias: nil, inputs: 128, units: 1, act: CK_ACT_LINEAR)]
            let floats = ck_mlp_workspace_size(chain, 2)
            #expect(floats >= 64 * 128 + 128 + 2 * 48 * 128)
            #expect(floats < 64 * 128 + 128 + 2 * 48 * 128 + 256)
        }
    }
}
