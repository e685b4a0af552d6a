import CKernels
import Testing

/// The iALS row solvers (ck_ials_solve_cg_isa, ck_ials_solve_cholesky_isa), every variant
/// this CPU runs, against the same algorithms written plainly in Double.
@Suite("iALS row solvers") struct IALSKernelTests {
    /// A small half-step: `rows` rows over `cols` columns with the given row lengths (cycled),
    /// distinct random columns per row, confidences in [1, 5), factors in [−0.5, 0.5).
    struct Problem {
        let k: Int, rows: Int, cols: Int
        var rowStart: [Int64] = [0]
        var columns: [Int32] = []
        var confidence: [Float] = []
        var y: [Float] = []
        var x0: [Float] = []
        var ytyReg: [Float] = []

        init(k: Int, lengths: [Int], cols: Int = 300, lambda: Float = 1, seed: UInt64) {
            self.k = k
            rows = lengths.count
            self.cols = cols
            var rng = TestRNG(seed)
            for n in lengths {
                var chosen = Set<Int32>()
                while chosen.count < n { chosen.insert(Int32(rng.next() % UInt64(cols))) }
                for c in chosen.sorted() { columns.append(c); confidence.append(rng.float(1, 5)) }
                rowStart.append(Int64(columns.count))
            }
            y = rng.floats(cols * k, -0.5, 0.5)
            x0 = rng.floats(rows * k, -0.1, 0.1)
            // The last row, when empty, starts at 0: its residual is 0 and CG leaves it alone.
            if lengths.last == 0 { for j in 0..<k { x0[(rows - 1) * k + j] = 0 } }
            ytyReg = [Float](repeating: 0, count: k * k)
            for i in 0..<cols { for p in 0..<k { for q in 0..<k { ytyReg[p * k + q] += y[i * k + p] * y[i * k + q] } } }
            for p in 0..<k { ytyReg[p * k + p] += lambda }
        }

        /// Row u's system A = YᵀY + λI + Σ (c − 1) y yᵀ and b = Σ c y, in Double.
        func system(_ u: Int) -> (a: [[Double]], b: [Double]) {
            var a = (0..<k).map { p in (0..<k).map { q in Double(ytyReg[p * k + q]) } }
            var b = [Double](repeating: 0, count: k)
            for e in Int(rowStart[u])..<Int(rowStart[u + 1]) {
                let i = Int(columns[e]), c = Double(confidence[e])
                for p in 0..<k {
                    let yp = Double(y[i * k + p])
                    b[p] += c * yp
                    for q in 0..<k { a[p][q] += (c - 1) * yp * Double(y[i * k + q]) }
                }
            }
            return (a, b)
        }

        /// `implicit`'s conjugate gradient, warm-started from x0, in Double.
        func cgReference(steps: Int) -> [Double] {
            var out = x0.map(Double.init)
            for u in 0..<rows {
                let (a, b) = system(u)
                var x = Array(out[(u * k)..<((u + 1) * k)])
                func mul(_ v: [Double]) -> [Double] { a.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }
                func dot(_ s: [Double], _ t: [Double]) -> Double { zip(s, t).reduce(0) { $0 + $1.0 * $1.1 } }
                var r = zip(b, mul(x)).map { $0 - $1 }
                var p = r
                var rsOld = dot(r, r)
                if rsOld >= 1e-20 {
                    for _ in 0..<steps {
                        let ap = mul(p)
                        let alpha = rsOld / dot(p, ap)
                        for j in 0..<k { x[j] += alpha * p[j]; r[j] -= alpha * ap[j] }
                        let rsNew = dot(r, r)
                        if rsNew < 1e-20 { break }
                        for j in 0..<k { p[j] = r[j] + rsNew / rsOld * p[j] }
                        rsOld = rsNew
                    }
                }
                for j in 0..<k { out[u * k + j] = x[j] }
            }
            return out
        }

        /// The exact solutions, by Gaussian elimination with partial pivoting in Double.
        func exactReference() -> [Double] {
            var out: [Double] = []
            for u in 0..<rows {
                var (a, b) = system(u)
                for c in 0..<k {
                    let piv = (c..<k).max { abs(a[$0][c]) < abs(a[$1][c]) }!
                    a.swapAt(c, piv); b.swapAt(c, piv)
                    for r in (c + 1)..<k {
                        let f = a[r][c] / a[c][c]
                        for q in c..<k { a[r][q] -= f * a[c][q] }
                        b[r] -= f * b[c]
                    }
                }
                var x = [Double](repeating: 0, count: k)
                for c in stride(from: k - 1, through: 0, by: -1) {
                    var s = b[c]
                    for q in (c + 1)..<k { s -= a[c][q] * x[q] }
                    x[c] = s / a[c][c]
                }
                out += x
            }
            return out
        }
    }

    /// Variants to test: generic, AVX2 (when this CPU has it) and the automatic choice.
    static let variants: [ck_isa] = [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AUTO].filter { ck_isa_available($0) != 0 }

    /// Row lengths around the kernels' blocks: empty, shorter than, equal to and just past
    /// the eight-row groups, and rows past the 96-row chunks of the exact solver's build.
    static let lengths = [1, 7, 8, 9, 17, 0, 3, 130, 250, 16, 5, 0]

    @Test(arguments: variants, [3, 8, 16, 24, 64, 72])
    func conjugateGradientMatchesDouble(isa: ck_isa, k: Int) {
        for steps in [1, 3] {
            let prob = Problem(k: k, lengths: Self.lengths, seed: UInt64(17 * k + steps))
            var x = prob.x0
            let status = ck_ials_solve_cg_isa(isa, &x, prob.y, prob.ytyReg, prob.rowStart, prob.columns,
                                              prob.confidence, 0, prob.rows, k, Int32(steps))
            if isa == CK_ISA_AVX2 && k % 8 != 0 {
                #expect(status == -2, "AVX2 refuses k = \(k)")
                continue
            }
            #expect(status == 0)
            expectClose(x, prob.cgReference(steps: steps), relative: 1e-5, absolute: 1e-5, elementwise: true,
                        "\(isa) k = \(k), \(steps) steps")
        }
    }

    /// Many CG steps reach the exact solution; a sub-range of rows leaves the others alone.
    @Test(arguments: variants)
    func conjugateGradientConvergesOnARange(isa: ck_isa) {
        let k = 16
        let prob = Problem(k: k, lengths: Self.lengths, seed: 5)
        var x = prob.x0
        #expect(ck_ials_solve_cg_isa(isa, &x, prob.y, prob.ytyReg, prob.rowStart, prob.columns, prob.confidence,
                                     2, 9, k, 40) == 0)
        let exact = prob.exactReference()
        let solved = Array(x[(2 * k)..<(9 * k)]), want = Array(exact[(2 * k)..<(9 * k)])
        expectClose(solved, want, relative: 1e-4, absolute: 1e-5, elementwise: true, "\(isa) rows 2..<9")
        #expect(Array(x[..<(2 * k)]) == Array(prob.x0[..<(2 * k)]))
        #expect(Array(x[(9 * k)...]) == Array(prob.x0[(9 * k)...]))
    }

    @Test(arguments: variants, [3, 16, 48, 64, 72])
    func choleskyMatchesDouble(isa: ck_isa, k: Int) {
        let prob = Problem(k: k, lengths: Self.lengths, seed: UInt64(31 * k))
        var x = [Float](repeating: 0, count: prob.rows * k)
        // Scratch starts as NaN: the solvers may use its lower triangle but never read it unset.
        var scratch = [Float](repeating: .nan, count: k * k + k)
        let status = ck_ials_solve_cholesky_isa(isa, &x, prob.y, prob.ytyReg, prob.rowStart, prob.columns,
                                                prob.confidence, 0, prob.rows, k, &scratch)
        if isa == CK_ISA_AVX2 && k % 16 != 0 {
            #expect(status == -2, "AVX2 refuses k = \(k)")
            return
        }
        #expect(status == 0)
        expectClose(x, prob.exactReference(), relative: 1e-4, absolute: 1e-5, elementwise: true, "\(isa) k = \(k)")
    }

    /// A system that is not positive definite reports LAPACK-style info (its order) and
    /// leaves that row's x alone.
    @Test(arguments: variants)
    func choleskyReportsAnIndefiniteSystem(isa: ck_isa) {
        let k = 16
        var prob = Problem(k: k, lengths: [0], seed: 3)
        for p in 0..<k { prob.ytyReg[p * k + p] = p == 5 ? -1 : 1 }
        for p in 0..<k { for q in 0..<k where p != q { prob.ytyReg[p * k + q] = 0 } }
        var x = [Float](repeating: 7, count: k)
        var scratch = [Float](repeating: 0, count: k * k + k)
        let status = ck_ials_solve_cholesky_isa(isa, &x, prob.y, prob.ytyReg, prob.rowStart, prob.columns,
                                                prob.confidence, 0, 1, k, &scratch)
        #expect(status == 6)
        #expect(x == [Float](repeating: 7, count: k))
    }
}
