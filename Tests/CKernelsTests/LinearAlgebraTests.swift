import CKernels
import Testing

/// The sparse × dense product (ck_csr_dense_rows) and the SPD solve (ck_spd_solve) that EASE
/// builds on, against plain Double loops.
@Suite("Sparse rows and SPD solves") struct LinearAlgebraTests {
    /// A CSR matrix with the given row lengths (cycled over `rows`), distinct random
    /// columns below `cols`, values in [−2, 2).
    static func csr(rows: Int, cols: Int, lengths: [Int], rng: inout TestRNG) -> (start: [Int64], col: [Int32], val: [Float]) {
        var start: [Int64] = [0], col: [Int32] = [], val: [Float] = []
        for r in 0..<rows {
            var chosen = Set<Int32>()
            while chosen.count < min(lengths[r % lengths.count], cols) { chosen.insert(Int32(rng.next() % UInt64(cols))) }
            // Unsorted on purpose: the kernel must not depend on column order.
            for c in chosen { col.append(c); val.append(rng.float(-2, 2)) }
            start.append(Int64(col.count))
        }
        return (start, col, val)
    }

    /// Row lengths 0…9 (the 4-term unrolled body and every remainder), widths on both
    /// sides of the 2,048-column block, unit values (vals NULL), a row range that starts
    /// past 0, and an output stride wider than the row: only rows in the range and only
    /// their first n columns are written.
    @Test(arguments: [(n: 5, unit: false), (n: 67, unit: true), (n: 2_100, unit: false), (n: 4_096, unit: true)])
    func csrDenseRowsMatchesDouble(n: Int, unit: Bool) {
        var rng = TestRNG(UInt64(n) &* 31 &+ (unit ? 1 : 0))
        let rows = 12, inner = 40, ldo = n + 3, begin = 2, end = 11
        let (start, col, val) = Self.csr(rows: rows, cols: inner, lengths: Array(0...9) + [1, 40], rng: &rng)
        let dense = rng.floats(inner * n)
        let sentinel: Float = -7777
        var out = [Float](repeating: sentinel, count: rows * ldo)
        val.withUnsafeBufferPointer { v in
            ck_csr_dense_rows(&out, ldo, start, col, unit ? nil : v.baseAddress, begin, end, dense, n, n)
        }
        for r in 0..<rows {
            for j in 0..<ldo {
                let got = out[r * ldo + j]
                guard (begin..<end).contains(r), j < n else {
                    #expect(got == sentinel, "row \(r) column \(j) was written")
                    continue
                }
                var ref: Double = 0, magnitude: Double = 0
                for p in Int(start[r])..<Int(start[r + 1]) {
                    let term = Double(unit ? 1 : val[p]) * Double(dense[Int(col[p]) * n + j])
                    ref += term; magnitude += abs(term)
                }
                #expect(abs(Double(got) - ref) <= 1e-6 * max(1, magnitude), "row \(r) column \(j): \(got) vs \(ref)")
            }
        }
    }

    /// A·X = B for a random SPD A (MᵀM + I), several right-hand sides, against Gaussian
    /// elimination in Double; the factor is left in A's lower triangle (row-major).
    @Test(arguments: [(n: 1, rhs: 3), (n: 9, rhs: 5), (n: 40, rhs: 130)])
    func spdSolveMatchesDouble(n: Int, rhs: Int) {
        var rng = TestRNG(UInt64(n * 1000 + rhs))
        let m = rng.floats(n * n)
        var a = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            var s: Float = i == j ? 1 : 0
            for p in 0..<n { s += m[p * n + i] * m[p * n + j] }
            a[i * n + j] = s
        } }
        let b = rng.floats(n * rhs)
        var factor = a, x = b
        #expect(ck_spd_solve(&factor, n, &x, rhs) == 0)
        // Reference: solve in Double by elimination with partial pivoting.
        var aug = (0..<n).map { i in (0..<n).map { Double(a[i * n + $0]) } + (0..<rhs).map { Double(b[i * rhs + $0]) } }
        for c in 0..<n {
            let p = (c..<n).max { abs(aug[$0][c]) < abs(aug[$1][c]) }!
            aug.swapAt(c, p)
            for r in 0..<n where r != c {
                let f = aug[r][c] / aug[c][c]
                for j in c..<(n + rhs) { aug[r][j] -= f * aug[c][j] }
            }
        }
        for i in 0..<n { for j in 0..<rhs {
            let ref = aug[i][n + j] / aug[i][i]
            #expect(abs(Double(x[i * rhs + j]) - ref) <= 1e-4 * max(1, abs(ref)), "x[\(i), \(j)]")
        } }
        // L·Lᵀ reproduces A.
        for i in 0..<n { for j in 0...i {
            var s: Double = 0
            for p in 0...j { s += Double(factor[i * n + p]) * Double(factor[j * n + p]) }
            #expect(abs(s - Double(a[i * n + j])) <= 1e-4 * max(1, abs(Double(a[i * n + j]))), "(L·Lᵀ)[\(i), \(j)]")
        } }
    }

    /// A matrix that is not positive definite is reported by the order of the failing
    /// leading minor, and the right-hand sides are left alone.
    @Test func spdSolveReportsAnIndefiniteMatrix() {
        var a: [Float] = [1, 2, 2, 1]   // eigenvalues 3 and −1
        var b: [Float] = [5, 6]
        #expect(ck_spd_solve(&a, 2, &b, 1) == 2)
        #expect(b == [5, 6])
    }
}
