import CKernels
import Foundation
import Testing

@Suite("Optimizer steps") struct OptimizerTests {
    @Test(arguments: [(0.0, false, 0.0), (0.9, false, 0.0), (0.9, true, 0.0), (0.0, false, 0.01), (0.5, true, 0.1)])
    func sgdMatchesReference(config: (Double, Bool, Double)) {
        let (momentum, nesterov, decay) = config
        let n = 67, lr = 0.05
        var rng = TestRNG(31)
        var p = rng.floats(n), v = [Float](repeating: 0, count: n)
        var pd = p.map(Double.init), vd = [Double](repeating: 0, count: n)
        for _ in 0..<4 {
            let g = rng.floats(n)
            ck_sgd_step(&p, &v, g, n, Float(lr), Float(momentum), nesterov ? 1 : 0, Float(decay))
            for i in 0..<n {
                let gi = Double(g[i])
                pd[i] -= lr * decay * pd[i]
                if momentum == 0 { pd[i] -= lr * gi; continue }
                vd[i] = momentum * vd[i] - lr * gi
                pd[i] += nesterov ? momentum * vd[i] - lr * gi : vd[i]
            }
        }
        expectClose(p, pd, relative: 1e-5, absolute: 1e-7, elementwise: true)
    }

    @Test(arguments: [0.0, 0.004])
    func adamMatchesKerasFormula(weightDecay: Double) {
        let n = 65, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7
        var rng = TestRNG(37)
        var p = rng.floats(n), m = [Float](repeating: 0, count: n), v = m
        var pd = p.map(Double.init), md = [Double](repeating: 0, count: n), vd = md
        for step in 1...5 {
            let g = rng.floats(n)
            ck_adam_step(&p, &m, &v, g, n, Float(lr), Float(b1), Float(b2), Float(eps), UInt64(step), Float(weightDecay))
            let alpha = lr * (1 - pow(b2, Double(step))).squareRoot() / (1 - pow(b1, Double(step)))
            for i in 0..<n {
                let gi = Double(g[i])
                pd[i] -= lr * weightDecay * pd[i]
                md[i] += (1 - b1) * (gi - md[i])
                vd[i] += (1 - b2) * (gi * gi - vd[i])
                pd[i] -= alpha * md[i] / (vd[i].squareRoot() + eps)
            }
        }
        expectClose(p, pd, relative: 1e-5, absolute: 1e-6, elementwise: true)
        expectClose(m, md, relative: 1e-5, absolute: 1e-7, elementwise: true)
    }

    @Test func firstAdamStepMovesEachWeightByTheLearningRate() {
        // With bias correction, step 1 moves every weight by lr·sign(g), up to ε's share
        // (ε is added to the uncorrected √v, as Keras does: 0.3% at g = 1e-3).
        var p: [Float] = [0, 0, 0], m: [Float] = [0, 0, 0], v: [Float] = [0, 0, 0]
        ck_adam_step(&p, &m, &v, [2, -0.5, 1e-3], 3, 0.1, 0.9, 0.999, 1e-7, 1, 0)
        expectClose(p, [-0.1, 0.1, -0.1], relative: 5e-3, elementwise: true)
    }
}

@Suite("Utilities") struct UtilityTests {
    @Test func allFiniteFindsNaNAndInfinity() {
        for n in [1, 7, 17, 65, 1000] {
            var x = [Float](repeating: 1e30, count: n)
            #expect(ck_all_finite(x, n) == 1)
            x[n - 1] = .infinity
            #expect(ck_all_finite(x, n) == 0)
            x[n - 1] = .nan
            #expect(ck_all_finite(x, n) == 0)
        }
        #expect(ck_all_finite(nil, 0) == 1)
    }

    @Test func gatherCopiesRowsExactly() {
        let src: [Float] = (0..<12).map(Float.init)  // 4 rows × 3
        var dst = [Float](repeating: .nan, count: 9)
        ck_gather_rows(&dst, src, [3, 0, 3], 3, 3)
        #expect(dst == [9, 10, 11, 0, 1, 2, 9, 10, 11])
    }
}
