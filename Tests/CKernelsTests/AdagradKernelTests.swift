import CKernels
import Testing

@Suite("Adagrad step") struct AdagradKernelTests {
    /// Keras 3's formula in Double: acc += g²; p −= lr·g/√(acc + ε), over several steps and
    /// sizes around the vector widths (1, 7, 8, 16, 17, 63, 65, 1000).
    @Test(arguments: [1, 7, 8, 16, 17, 63, 65, 1000])
    func matchesKerasFormula(n: Int) {
        let lr = 0.05, eps = 1e-7, initial = 0.1
        var rng = TestRNG(UInt64(41 + n))
        var p = rng.floats(n), acc = [Float](repeating: Float(initial), count: n)
        var pd = p.map(Double.init), accd = [Double](repeating: initial, count: n)
        for _ in 0..<6 {
            let g = rng.floats(n, -2, 2)
            ck_adagrad_step(&p, &acc, g, n, Float(lr), Float(eps))
            for i in 0..<n {
                let gi = Double(g[i])
                accd[i] += gi * gi
                pd[i] -= lr * gi / (accd[i] + eps).squareRoot()
            }
        }
        expectClose(p, pd, relative: 1e-5, absolute: 1e-6, elementwise: true, "parameters, n = \(n)")
        expectClose(acc, accd, relative: 1e-5, absolute: 1e-7, elementwise: true, "accumulator, n = \(n)")
    }

    @Test func epsilonIsInsideTheSquareRoot() {
        // acc 0 → 1 after g = 1; with ε = 3 the step is lr/√(1 + 3) = lr/2 (not lr/(1 + 3)).
        var p: [Float] = [1, 1, 1], acc: [Float] = [0, 0, 0]
        ck_adagrad_step(&p, &acc, [1, -1, 0], 3, 0.5, 3)
        #expect(acc == [1, 1, 0])
        #expect(p == [0.75, 1.25, 1])
    }

    @Test func firstStepFromKerasDefaults() {
        // acc = 0.1 + 0.3² = 0.19; p = 0.5 − 0.001·0.3/√(0.19 + 1e-7).
        var p: [Float] = [0.5], acc: [Float] = [0.1]
        ck_adagrad_step(&p, &acc, [0.3], 1, 0.001, 1e-7)
        expectClose(p, [0.5 - 0.001 * 0.3 / (0.19 + 1e-7).squareRoot()], relative: 3e-7, elementwise: true)
        expectClose(acc, [0.19], relative: 3e-7, elementwise: true)
    }

    @Test func emptyArrayIsANoOp() {
        ck_adagrad_step(nil, nil, nil, 0, 0.1, 1e-7)
    }
}
