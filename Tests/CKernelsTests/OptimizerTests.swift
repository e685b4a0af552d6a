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

    /// The lazy row update is the dense step restricted to the listed rows, with the
    /// gradient of listed row r at compact row r: on the CPU's ISA listed rows move exactly
    /// as `ck_adam_step` moves them; every other row (and its moments) stays.
    @Test(arguments: [1, 3, 8, 32, 33])
    func adamRowsMatchTheDenseStepOnTheirRows(width: Int) {
        let rowCount = 40, n = rowCount * width
        var rng = TestRNG(41 + UInt64(width))
        let p0 = rng.floats(n)
        let m0 = rng.floats(n).map { $0 * 0.1 }, v0 = rng.floats(n).map { $0 * $0 * 0.01 }
        // More rows than the prefetch distance, in no particular order.
        let rows: [Int32] = [39, 0, 7, 21, 3, 38, 12, 5, 30, 16, 1, 25, 2, 9, 33, 17, 26, 11, 4, 35, 28, 13, 6, 22,
                             37, 19, 8, 31]
        let compact = rng.floats(rows.count * width)
        var p = p0, m = m0, v = v0
        ck_adam_rows(&p, &m, &v, compact, rows, rows.count, width, 0.01, 0.9, 0.999, 1e-7, 3, 0.004)
        for r in 0..<rowCount {
            let range = r * width..<(r + 1) * width
            var pe = Array(p0[range]), me = Array(m0[range]), ve = Array(v0[range])
            if let slot = rows.firstIndex(of: Int32(r)) {
                ck_adam_step(&pe, &me, &ve, Array(compact[(slot * width)..<((slot + 1) * width)]), width,
                             0.01, 0.9, 0.999, 1e-7, 3, 0.004)
            }
            #expect(Array(p[range]) == pe && Array(m[range]) == me && Array(v[range]) == ve, "row \(r)")
        }
    }

    /// Every variant of the lazy row step against Adam in Double on the listed rows (compact
    /// gradient), over several steps; unlisted rows stay bit for bit.
    @Test(arguments: [1, 8, 32, 33])
    func adamRowsVariantsMatchTheDoubleFormula(width: Int) {
        let variants: [ck_isa] = [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_AUTO].filter { ck_isa_available($0) != 0 }
        let rowCount = 30, n = rowCount * width, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7, decay = 0.004
        let rows: [Int32] = [29, 0, 7, 21, 3, 28, 12, 5, 20, 16, 1, 25, 14, 9, 27, 2, 18, 11, 4, 24, 6, 13, 22, 8, 19, 10]
        for isa in variants {
            var rng = TestRNG(97 + UInt64(width))
            let p0 = rng.floats(n)
            var p = p0, m = [Float](repeating: 0, count: n), v = m
            var pd = p.map(Double.init), md = [Double](repeating: 0, count: n), vd = md
            for step in 1...4 {
                let compact = rng.floats(rows.count * width)
                #expect(ck_adam_rows_isa(isa, &p, &m, &v, compact, rows, rows.count, width, Float(lr), Float(b1), Float(b2),
                                         Float(eps), UInt64(step), Float(decay)) == 0)
                let alpha = lr * (1 - pow(b2, Double(step))).squareRoot() / (1 - pow(b1, Double(step)))
                for (slot, row) in rows.enumerated() {
                    for e in 0..<width {
                        let i = Int(row) * width + e, g = Double(compact[slot * width + e])
                        pd[i] -= lr * decay * pd[i]
                        md[i] += (1 - b1) * (g - md[i])
                        vd[i] += (1 - b2) * (g * g - vd[i])
                        pd[i] -= alpha * md[i] / (vd[i].squareRoot() + eps)
                    }
                }
            }
            let name = String(cString: ck_isa_name(isa))
            expectClose(p, pd, relative: 1e-5, absolute: 1e-6, elementwise: true, "adam rows \(name) width \(width)")
            expectClose(m, md, relative: 1e-5, absolute: 1e-7, elementwise: true, "adam rows m \(name) width \(width)")
            for r in 0..<rowCount where !rows.contains(Int32(r)) {
                let range = r * width..<(r + 1) * width
                #expect(Array(p[range]) == Array(p0[range]) && m[range].allSatisfy { $0 == 0 }, "\(name) row \(r) moved")
            }
        }
        if ck_isa_available(CK_ISA_NEON) == 0 {
            #expect(ck_adam_rows_isa(CK_ISA_NEON, nil, nil, nil, nil, nil, 0, width, 0.01, 0.9, 0.999, 1e-7, 1, 0) == -1)
        }
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

    @Test(arguments: [1, 5, 8, 32])
    func rowsFiniteReadsOnlyTheListedRows(width: Int) {
        var x = [Float](repeating: 1, count: 30 * width)
        let rows: [Int32] = [2, 29, 11, 0, 17, 4, 23, 9, 14, 26]
        #expect(ck_rows_finite(x, rows, rows.count, width) == 1)
        x[5 * width] = .nan                        // an unlisted row: not read
        #expect(ck_rows_finite(x, rows, rows.count, width) == 1)
        for bad in [Float.nan, .infinity, -.infinity] {
            var y = x
            y[26 * width + width - 1] = bad        // the last element of a listed row
            #expect(ck_rows_finite(y, rows, rows.count, width) == 0)
        }
        #expect(ck_rows_finite(x, rows, 0, width) == 1)
    }

    /// Row copies take an inline path for 1, 2, 4, 8, 16, 32 and 64 floats and memcpy
    /// otherwise; every width must copy exactly the row and nothing beyond it.
    @Test(arguments: [1, 2, 3, 4, 7, 8, 9, 16, 31, 32, 33, 64, 65, 100])
    func rowCopiesAreExactForEveryWidth(width: Int) {
        let rows = 12
        let src = (0..<rows * width).map { Float($0) + 0.5 }
        let index: [Int64] = (0..<Int64(rows + 3)).map { ($0 * 7) % Int64(rows) }
        var dst = [Float](repeating: .nan, count: index.count * width + 1)
        ck_gather_rows(&dst, src, index, index.count, width)
        for (r, i) in index.enumerated() {
            #expect(Array(dst[r * width..<(r + 1) * width]) == Array(src[Int(i) * width..<(Int(i) + 1) * width]))
        }
        #expect(dst.last!.isNaN)
        // A column block out of a wider matrix, into a strided destination.
        let lds = width + 3, ldd = width + 2
        let wide = (0..<rows * lds).map(Float.init)
        var block = [Float](repeating: -1, count: rows * ldd)
        ck_copy_block(&block, ldd, Array(wide[2...]), lds, rows, width)
        for r in 0..<rows {
            #expect(Array(block[r * ldd..<r * ldd + width]) == Array(wide[r * lds + 2..<r * lds + 2 + width]))
            #expect(block[r * ldd + width..<(r + 1) * ldd].allSatisfy { $0 == -1 })
        }
        // The embedding lookup uses the same row copy.
        let ids: [Float] = index.map { Float($0) }
        var looked = [Float](repeating: .nan, count: ids.count * width)
        ck_embedding_forward(src, width, ids, ids.count, &looked)
        #expect(Array(looked[..<(index.count * width)]) == Array(dst[..<(index.count * width)]))
    }

    @Test func gatherCopiesRowsExactly() {
        let src: [Float] = (0..<12).map(Float.init)  // 4 rows × 3
        var dst = [Float](repeating: .nan, count: 9)
        ck_gather_rows(&dst, src, [3, 0, 3], 3, 3)
        #expect(dst == [9, 10, 11, 0, 1, 2, 9, 10, 11])
    }
}
