@testable import DeepCore
import Foundation
import Testing

/// `Dense(zeroDiagonal: true)` (the item-item layer of EASE/EDLAE-style autoencoders) and
/// the sparse-input products `Dense` uses for mostly-zero inputs.
@Suite("Zero-diagonal and sparse-input Dense") struct ZeroDiagonalDenseTests {
    /// The Double mirror of `Dense` with a masked diagonal: `act(x·(W ⊙ (1 − I)) + b)`.
    static func dense(_ rows: [[Double]], _ w: [Double], _ b: [Double]?, units: Int, masked: Bool,
                      _ act: Activation) -> [[Double]] {
        rows.map { r in
            let z = (0..<units).map { j in
                (0..<r.count).reduce(b?[j] ?? 0) { $0 + (masked && $1 == j ? 0 : r[$1] * w[$1 * units + j]) }
            }
            return Reference.activate(z, act)
        }
    }

    static func mse(_ out: [[Double]], _ y: [[Double]]) -> Double {
        var sum = 0.0
        for (o, t) in zip(out.flatMap { $0 }, y.flatMap { $0 }) { sum += (o - t) * (o - t) }
        return sum / Double(out.count * out[0].count)
    }

    /// L2 on the off-diagonal weights only: the penalty the layer reports and differentiates.
    static func offDiagonalPenalty(_ w: [Double], units: Int, l2: Double) -> Double {
        var s = 0.0
        for (k, v) in w.enumerated() where k / units != k % units { s += v * v }
        return l2 * s
    }

    /// tanh → zero-diagonal linear (L2) → linear, MSE: the kernel gradient (diagonal exactly 0,
    /// penalty on the rest), the bias gradient and dX through the masked layer, against
    /// central differences of the Double mirror; the diagonal's stored values do not matter.
    @Test func zeroDiagonalGradientsMatchCentralDifferences() throws {
        let l2 = 0.05
        let model = Sequential([Input(shape: [3]), Dense(units: 4, activation: .tanh),
                                Dense(units: 4, kernelRegularizer: .l2(Float(l2)), zeroDiagonal: true),
                                Dense(units: 2)], seed: 7)
        model.compile(optimizer: SGD(), loss: .meanSquaredError)
        for p in model.parameters where p.name == "bias" { p.assign(Tensor.uniform(p.shape, in: -0.3...0.3, seed: 5)) }
        let masked = model.steps[1] as! Dense
        #expect(masked.kernel!.tensor.scalars[0] != 0, "the stored diagonal starts non-zero (Glorot)")
        let x = Tensor.normal([5, 3], seed: 3), y = Tensor.normal([5, 2], seed: 6)
        let value = try model.lossAndGradients(x, y)
        let params = model.parameters
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        let xs = (0..<5).map { r in (0..<3).map { Double(x[r, $0]) } }
        let ys = (0..<5).map { r in (0..<2).map { Double(y[r, $0]) } }
        func forward(_ t: [[Double]]) -> [[Double]] {
            let h = Self.dense(xs, t[0], t[1], units: 4, masked: false, .tanh)
            let m = Self.dense(h, t[2], t[3], units: 4, masked: true, .linear)
            return Self.dense(m, t[4], t[5], units: 2, masked: false, .linear)
        }
        let data = { (t: [[Double]]) in Self.mse(forward(t), ys) }
        #expect(abs(value - data(theta)) < 1e-5, "forward differs from the mirror")
        #expect(abs(masked.regularizationPenalty - Self.offDiagonalPenalty(theta[2], units: 4, l2: l2)) < 1e-6)
        let g = UnsafeBufferPointer(start: masked.kernel!.gradient!, count: 16)
        #expect((0..<4).allSatisfy { g[$0 * 5] == 0 }, "diagonal gradient")
        expectGradientsMatchCentralDifferences(params, theta: theta) { t in
            data(t) + Self.offDiagonalPenalty(t[2], units: 4, l2: l2)
        }
    }

    /// A bag-of-items input (2 of 80 entries per row) takes the sparse products, forward and
    /// for the kernel's gradient, through a zero-diagonal layer with a bias and L2.
    @Test func sparseInputGradientsMatchCentralDifferences() throws {
        let n = 80, rows = 4, l2 = 0.01
        let model = Sequential([Input(shape: [n]), Dense(units: n, kernelRegularizer: .l2(Float(l2)), zeroDiagonal: true, sparseInputs: true)],
                               seed: 3)
        model.compile(optimizer: SGD(), loss: .meanSquaredError)
        var xs = [[Double]](repeating: [Double](repeating: 0, count: n), count: rows)
        for r in 0..<rows { xs[r][(r * 37 + 5) % n] = 1; xs[r][(r * 11 + 3) % n] = 0.5 }
        let x = Tensor(shape: [rows, n], scalars: xs.flatMap { $0.map(Float.init) })
        let y = Tensor(shape: [rows, n], scalars: xs.flatMap { $0.map { Float($0 > 0 ? 1 : 0) } })
        x.withUnsafeBufferPointer { p in
            #expect(Dense.isSparse(MatrixView(base: UnsafeMutablePointer(mutating: p.baseAddress!), rows: rows, columns: n)))
        }
        let value = try model.lossAndGradients(x, y)
        let params = model.parameters
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        let ys = (0..<rows).map { r in (0..<n).map { Double(y[r, $0]) } }
        let data = { (t: [[Double]]) in Self.mse(Self.dense(xs, t[0], t[1], units: n, masked: true, .linear), ys) }
        #expect(abs(value - data(theta)) < 1e-5)
        // Central differences over the kernel rows the inputs read, the diagonal included.
        let g = UnsafeBufferPointer(start: params[0].gradient!, count: n * n)
        let active = Set(xs.flatMap { r in r.indices.filter { r[$0] != 0 } })
        var worst = 0.0, scale = 0.0
        for i in active.sorted() {
            for j in 0..<n {
                var plus = theta, minus = theta
                plus[0][i * n + j] += 1e-6; minus[0][i * n + j] -= 1e-6
                let f = { (t: [[Double]]) in data(t) + Self.offDiagonalPenalty(t[0], units: n, l2: l2) }
                let numeric = (f(plus) - f(minus)) / 2e-6
                worst = max(worst, abs(numeric - Double(g[i * n + j])))
                scale = max(scale, abs(numeric))
            }
            #expect(g[i * n + i] == 0)
        }
        #expect(scale > 1e-3 && worst / scale < 1e-3, "worst \(worst) against \(scale)")
        // Rows no input reads carry only the penalty's gradient, 2·l2·w off the diagonal.
        let w = params[0].tensor.scalars
        let idle = (0..<n).first { !active.contains($0) }!
        for j in 0..<n where j != idle { #expect(abs(g[idle * n + j] - Float(2 * l2) * w[idle * n + j]) < 1e-7) }
    }

    /// The sparse products equal the dense GEMM, and a zero input entry adds nothing even
    /// against an infinite weight.
    @Test func sparseInputProductsMatchDenseGEMM() {
        let (m, k, n) = (6, 160, 5)
        var a = [Float](repeating: 0, count: m * k)
        for r in 0..<m { a[r * k + (r * 37) % k] = Float(r + 1) / 4; a[r * k + (r * 11 + 3) % k] = -0.5 }
        var b = Tensor.normal([k, n], seed: 3).scalars, d = Tensor.normal([m, n], seed: 4).scalars
        var decayed = Tensor.normal([k, n], seed: 8).scalars
        var c = [Float](repeating: .nan, count: m * n), reference = [Float](repeating: 0, count: m * n)
        var ct = [Float](repeating: .nan, count: k * n), referenceT = [Float](repeating: 0, count: k * n)
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                d.withUnsafeMutableBufferPointer { pd in
                    decayed.withUnsafeMutableBufferPointer { pw in
                        let av = MatrixView(base: pa.baseAddress!, rows: m, columns: k)
                        let bv = MatrixView(base: pb.baseAddress!, rows: k, columns: n)
                        let dv = MatrixView(base: pd.baseAddress!, rows: m, columns: n)
                        #expect(Dense.isSparse(av))
                        reference.withUnsafeMutableBufferPointer { Kernels.gemm(av, bv, into: MatrixView(base: $0.baseAddress!, rows: m, columns: n)) }
                        c.withUnsafeMutableBufferPointer { Kernels.sparseGemm(av, bv, into: MatrixView(base: $0.baseAddress!, rows: m, columns: n)) }
                        referenceT.withUnsafeMutableBufferPointer {
                            Kernels.gemm(av, dv, into: MatrixView(base: $0.baseAddress!, rows: k, columns: n), transposeA: true)
                        }
                        ct.withUnsafeMutableBufferPointer { Kernels.sparseGemmTransposedA(av, dv, into: MatrixView(base: $0.baseAddress!, rows: k, columns: n)) }
                        // With an L2 term in the same sweep: bit for bit the product plus a separate
                        // pass of the regularizer, on rows the inputs read and rows they do not
                        // (160 columns: two full blocks of 64 and a short one).
                        var separate = ct
                        Regularizer.l2(0.01).addGradient(values: pw.baseAddress!, gradient: &separate, count: k * n)
                        var fused = [Float](repeating: .nan, count: k * n)
                        fused.withUnsafeMutableBufferPointer {
                            Kernels.sparseGemmTransposedA(av, dv, into: MatrixView(base: $0.baseAddress!, rows: k, columns: n),
                                                          plus: (MatrixView(base: pw.baseAddress!, rows: k, columns: n), 2 * Float(0.01)))
                        }
                        #expect(fused == separate)
                        #expect(fused != ct)
                        // A weight row that no nonzero input reads may hold anything.
                        pb[1 * n] = .infinity
                        var again = [Float](repeating: 0, count: m * n)
                        again.withUnsafeMutableBufferPointer { Kernels.sparseGemm(av, bv, into: MatrixView(base: $0.baseAddress!, rows: m, columns: n)) }
                        #expect(again == c)
                    }
                }
            }
        }
        for (x, y) in zip(c, reference) { #expect(abs(x - y) <= 1e-5) }
        for (x, y) in zip(ct, referenceT) { #expect(abs(x - y) <= 1e-5) }
        // A dense input keeps the GEMM.
        var dense = Tensor.normal([4, 100], seed: 5).scalars
        dense.withUnsafeMutableBufferPointer { #expect(!Dense.isSparse(MatrixView(base: $0.baseAddress!, rows: 4, columns: 100))) }
    }

    /// A masked diagonal needs a square layer; `predict` (layer by layer, never the fused
    /// dense chain) ignores whatever the stored diagonal holds.
    @Test func zeroDiagonalIsSquareAndPredictIgnoresTheDiagonal() throws {
        let bad = Sequential([Dense(units: 3, zeroDiagonal: true)])
        #expect(throws: DeepCoreError.self) { try bad.build(inputShape: [4]) }
        let model = Sequential([Input(shape: [3]), Dense(units: 3, usesBias: false, zeroDiagonal: true)])
        let layer = model.steps[0] as! Dense
        layer.kernel!.assign(Tensor([[100, 1, 2], [3, 100, 4], [5, 6, 100]]))
        #expect(model.denseChain() == nil)
        let y = try model.predict(Tensor([[1, 0, 0], [1, 1, 1]]))
        #expect(y.scalars == [0, 1, 2, 8, 7, 6])
    }
}
