import CKernels
import Foundation
import Testing

/// Double references for bias + activation and their derivatives.
enum ActRef {
    static func forward(_ x: [Double], bias: [Double]?, rows: Int, cols: Int, _ act: ck_act) -> [Double] {
        var y = x
        for r in 0..<rows { for c in 0..<cols { y[r * cols + c] += bias?[c] ?? 0 } }
        switch act {
        case CK_ACT_RELU: y = y.map { max($0, 0) }
        case CK_ACT_SIGMOID: y = y.map { 1 / (1 + exp(-$0)) }
        case CK_ACT_TANH: y = y.map { tanh($0) }
        case CK_ACT_SOFTMAX:
            for r in 0..<rows {
                let row = y[(r * cols)..<((r + 1) * cols)]
                let mx = row.max() ?? 0
                let e = row.map { exp($0 - mx) }
                let s = e.reduce(0, +)
                for c in 0..<cols { y[r * cols + c] = e[c] / s }
            }
        default: break
        }
        return y
    }

    /// dx = J(x)ᵀ·dy computed from the forward in closed form.
    static func backward(_ dy: [Double], y: [Double], rows: Int, cols: Int, _ act: ck_act) -> [Double] {
        switch act {
        case CK_ACT_RELU: return zip(dy, y).map { $1 > 0 ? $0 : 0 }
        case CK_ACT_SIGMOID: return zip(dy, y).map { $0 * $1 * (1 - $1) }
        case CK_ACT_TANH: return zip(dy, y).map { $0 * (1 - $1 * $1) }
        case CK_ACT_SOFTMAX:
            var dx = dy
            for r in 0..<rows {
                var dot = 0.0
                for c in 0..<cols { dot += dy[r * cols + c] * y[r * cols + c] }
                for c in 0..<cols { dx[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot) }
            }
            return dx
        default: return dy
        }
    }
}

let activations: [ck_act] = [CK_ACT_LINEAR, CK_ACT_RELU, CK_ACT_SIGMOID, CK_ACT_TANH, CK_ACT_SOFTMAX]
let elementShapes: [(Int, Int)] = [(1, 1), (1, 7), (7, 17), (17, 65), (3, 64), (65, 1)]

extension ck_act: @retroactive CustomTestStringConvertible {
    public var testDescription: String {
        ["linear", "relu", "sigmoid", "tanh", "softmax"][Int(rawValue)]
    }
}

@Suite("Bias and activations") struct ActivationTests {
    @Test(arguments: activations)
    func forwardMatchesReference(act: ck_act) {
        var rng = TestRNG(3)
        for (rows, cols) in elementShapes {
            // Keep ReLU inputs away from the kink at 0.
            let x = rng.floats(rows * cols, -3, 3).map { abs($0) < 1e-3 ? 0.5 : $0 }
            let bias = rng.floats(cols, -0.5, 0.5)
            var y = [Float](repeating: .nan, count: rows * cols)
            ck_bias_act_forward(&y, x, bias, rows, cols, act)
            let ref = ActRef.forward(x.map(Double.init), bias: bias.map(Double.init), rows: rows, cols: cols, act)
            expectClose(y, ref, relative: 1e-5, absolute: 1e-7, elementwise: true,
                        "\(act.testDescription) \(rows)×\(cols)")
            // In place, without bias.
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { p in
                ck_bias_act_forward(p.baseAddress, p.baseAddress, nil, rows, cols, act)
            }
            let refNoBias = ActRef.forward(x.map(Double.init), bias: nil, rows: rows, cols: cols, act)
            // Without a bias, linear and ReLU are exact.
            let exact = act == CK_ACT_RELU || act == CK_ACT_LINEAR
            expectClose(inPlace, refNoBias, relative: exact ? 0 : 1e-5, absolute: exact ? 0 : 1e-7, elementwise: true)
        }
    }

    /// Step 1 of the gradient check: the Double reference's backward against central
    /// differences of its forward, on L = Σ w ⊙ act(x).
    @Test(arguments: activations)
    func referenceBackwardMatchesFiniteDifferences(act: ck_act) {
        var rng = TestRNG(5)
        let rows = 3, cols = 5
        let x = rng.floats(rows * cols, -2, 2).map { Double(abs($0) < 0.05 ? 0.7 : $0) }
        let w = rng.floats(rows * cols).map(Double.init)
        let loss = { (x: [Double]) in zip(w, ActRef.forward(x, bias: nil, rows: rows, cols: cols, act)).map(*).reduce(0, +) }
        let analytic = ActRef.backward(w, y: ActRef.forward(x, bias: nil, rows: rows, cols: cols, act), rows: rows, cols: cols, act)
        let h = 1e-5
        for i in x.indices {
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            let numeric = (loss(xp) - loss(xm)) / (2 * h)
            #expect(abs(numeric - analytic[i]) <= 1e-6 * max(1, abs(analytic[i])), "\(act.testDescription) index \(i)")
        }
    }

    /// Step 2: the Float kernel's backward against the Double reference.
    @Test(arguments: activations)
    func backwardMatchesReference(act: ck_act) {
        var rng = TestRNG(7)
        for (rows, cols) in elementShapes {
            let x = rng.floats(rows * cols, -3, 3).map { abs($0) < 1e-3 ? 0.5 : $0 }
            var y = [Float](repeating: 0, count: rows * cols)
            ck_bias_act_forward(&y, x, nil, rows, cols, act)
            let dy = rng.floats(rows * cols)
            var dx = [Float](repeating: .nan, count: rows * cols)
            ck_act_backward(&dx, dy, y, rows, cols, act)
            let ref = ActRef.backward(dy.map(Double.init), y: y.map(Double.init), rows: rows, cols: cols, act)
            expectClose(dx, ref, relative: 1e-5, absolute: 1e-7, elementwise: true, "\(act.testDescription) \(rows)×\(cols)")
        }
    }

    @Test func biasBackwardSumsColumns() {
        var rng = TestRNG(9)
        for (rows, cols) in elementShapes {
            let dz = rng.floats(rows * cols)
            var db = [Float](repeating: .nan, count: cols)
            ck_bias_backward(&db, dz, rows, cols)
            let ref = (0..<cols).map { c in (0..<rows).reduce(0.0) { $0 + Double(dz[$1 * cols + c]) } }
            expectClose(db, ref, "\(rows)×\(cols)")
        }
    }

    @Test func sigmoidIsStableAtExtremes() {
        let x: [Float] = [-1e4, -100, -20, 0, 20, 100, 1e4, -Float.greatestFiniteMagnitude]
        var y = [Float](repeating: .nan, count: x.count)
        ck_sigmoid_forward(&y, x, x.count)
        #expect(y.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        #expect(y[0] == 0 && y[3] == 0.5 && y[6] == 1)
        let softIn: [Float] = [1e4, -1e4, 0]
        var soft = [Float](repeating: 0, count: 3)
        ck_bias_act_forward(&soft, softIn, nil, 1, 3, CK_ACT_SOFTMAX)
        #expect(soft == [1, 0, 0])
    }

    @Test func emptySizesDoNothing() {
        var y: [Float] = [42]
        y.withUnsafeMutableBufferPointer { p in
            ck_bias_act_forward(p.baseAddress, p.baseAddress, nil, 0, 5, CK_ACT_SOFTMAX)
            ck_act_backward(p.baseAddress, p.baseAddress, p.baseAddress, 5, 0, CK_ACT_RELU)
        }
        #expect(y == [42])
    }
}
