import CKernels
import Testing

struct GEMMShape: Sendable, CustomTestStringConvertible {
    let m: Int, n: Int, k: Int
    var ta = false, tb = false
    var alpha: Float = 1, beta: Float = 0
    var pad = 0   // extra columns in every leading dimension
    var testDescription: String {
        "\(m)×\(n)×\(k)\(ta ? " Aᵀ" : "")\(tb ? " Bᵀ" : "") α=\(alpha) β=\(beta)\(pad > 0 ? " ld+\(pad)" : "")"
    }
}

let gemmShapes: [GEMMShape] = {
    var shapes: [GEMMShape] = []
    let sizes = [(1, 1, 1), (7, 7, 7), (16, 16, 16), (17, 17, 17), (63, 65, 17), (65, 63, 65),
                 (1, 65, 7), (65, 1, 63), (100, 37, 129), (33, 129, 300), (8, 32, 1),
                 // Narrow B (n ≤ 8: the 8×8 kernel): full and partial tiles, short and long k.
                 (50, 8, 33), (19, 5, 70), (256, 8, 16), (13, 3, 300), (9, 2, 1),
                 // NeuMF's training shapes (the direct kernels: A read in place) and, past
                 // the direct path's limits, the packed path (k > kc; m·k > 64K floats).
                 (256, 32, 64), (64, 32, 256), (256, 64, 32), (256, 16, 32), (32, 16, 256), (256, 1, 16),
                 (20, 40, 500), (700, 24, 100), (690, 7, 100)]
    for (m, n, k) in sizes {
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            shapes.append(GEMMShape(m: m, n: n, k: k, ta: ta, tb: tb))
        }
    }
    shapes.append(GEMMShape(m: 17, n: 33, k: 9, alpha: 0.5, beta: 2, pad: 3))
    shapes.append(GEMMShape(m: 17, n: 33, k: 9, ta: true, tb: true, alpha: -1.5, beta: -0.25, pad: 5))
    shapes.append(GEMMShape(m: 64, n: 64, k: 64, ta: true, alpha: 1, beta: 1, pad: 1))
    shapes.append(GEMMShape(m: 300, n: 520, k: 70, tb: true))
    shapes.append(GEMMShape(m: 23, n: 8, k: 41, alpha: 0.5, beta: 2, pad: 3))
    shapes.append(GEMMShape(m: 23, n: 6, k: 41, ta: true, tb: true, alpha: -1.5, beta: -0.25, pad: 5))
    return shapes
}()

/// Runs one variant: C starts as NaN when beta == 0 (it must not be read), else random.
func runGemm(_ s: GEMMShape, isa: ck_isa, seed: UInt64 = 1) -> (got: [Float], ref: [Double]) {
    var rng = TestRNG(seed)
    let (aRows, aCols) = s.ta ? (s.k, s.m) : (s.m, s.k)
    let (bRows, bCols) = s.tb ? (s.n, s.k) : (s.k, s.n)
    let lda = aCols + s.pad, ldb = bCols + s.pad, ldc = s.n + s.pad
    let a = rng.floats(aRows * lda), b = rng.floats(bRows * ldb)
    var c = s.beta == 0 ? [Float](repeating: .nan, count: s.m * ldc) : rng.floats(s.m * ldc)
    var ref = [Double](repeating: 0, count: s.m * s.n)
    var got = [Float](repeating: 0, count: s.m * s.n)
    for i in 0..<s.m {
        for j in 0..<s.n {
            var acc = 0.0
            for p in 0..<s.k {
                let av = s.ta ? a[p * lda + i] : a[i * lda + p]
                let bv = s.tb ? b[j * ldb + p] : b[p * ldb + j]
                acc += Double(av) * Double(bv)
            }
            ref[i * s.n + j] = Double(s.alpha) * acc + (s.beta == 0 ? 0 : Double(s.beta) * Double(c[i * ldc + j]))
        }
    }
    let ok = ck_sgemm_isa(isa, s.ta ? CK_TRANS : CK_NO_TRANS, s.tb ? CK_TRANS : CK_NO_TRANS,
                          s.m, s.n, s.k, s.alpha, a, lda, b, ldb, s.beta, &c, ldc)
    #expect(ok == 1)
    for i in 0..<s.m { for j in 0..<s.n { got[i * s.n + j] = c[i * ldc + j] } }
    // Padding columns of C must be untouched.
    if s.pad > 0 && s.beta == 0 { #expect(c[s.n].isNaN) }
    return (got, ref)
}

@Suite("GEMM") struct GEMMTests {
    @Test(arguments: availableISAs, gemmShapes)
    func sgemmMatchesDoubleReference(isa: ck_isa, shape: GEMMShape) {
        let (got, ref) = runGemm(shape, isa: isa)
        expectClose(got, ref, relative: 1e-5, "\(isa.testDescription) \(shape.testDescription)")
    }

    /// The direct kernels (A read in place, m·k ≤ 64K floats) and the packed path give the
    /// same bits: the first rows of a product too large for the direct path (packed) equal
    /// the product of those rows alone (direct), for every transposition, α ≠ 1, β ≠ 0,
    /// strides wider than the matrices and partial tiles.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func directAndPackedPathsAgreeBitForBit(transposes: (Bool, Bool)) {
        guard ck_isa_available(CK_ISA_AVX2) == 1 else { return }
        let (ta, tb) = transposes
        let (big, small, n, k) = (1_100, 29, 37, 64)   // 1,100 × 64 > 64K floats: packed
        var rng = TestRNG(UInt64(ta ? 1 : 0) + (tb ? 2 : 0) + 40)
        let lda = (ta ? big : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5
        let a = rng.floats((ta ? k : big) * lda), b = rng.floats((tb ? n : k) * ldb)
        let c0 = rng.floats(big * ldc)
        for isa in [CK_ISA_AVX2, CK_ISA_AUTO] {
            var packed = c0, direct = c0
            #expect(ck_sgemm_isa(isa, ta ? CK_TRANS : CK_NO_TRANS, tb ? CK_TRANS : CK_NO_TRANS, big, n, k, 0.75, a, lda,
                                 b, ldb, 0.5, &packed, ldc) == 1)
            #expect(ck_sgemm_isa(isa, ta ? CK_TRANS : CK_NO_TRANS, tb ? CK_TRANS : CK_NO_TRANS, small, n, k, 0.75, a, lda,
                                 b, ldb, 0.5, &direct, ldc) == 1)
            #expect(Array(direct[0..<(small * ldc)]).map(\.bitPattern) == Array(packed[0..<(small * ldc)]).map(\.bitPattern),
                    "\(isa.testDescription) ta \(ta) tb \(tb)")
            #expect(Array(direct[(small * ldc)...]) == Array(c0[(small * ldc)...]))
        }
    }

    @Test(arguments: availableISAs)
    func emptySizesAndZeroDepth(isa: ck_isa) {
        // k == 0: C := beta·C (and beta == 0 gives zeros, never NaN from C).
        var c: [Float] = [1, 2, 3, 4]
        #expect(ck_sgemm_isa(isa, CK_NO_TRANS, CK_NO_TRANS, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, &c, 2) == 1)
        #expect(c == [0.5, 1, 1.5, 2])
        var z: [Float] = [.nan, .nan, .nan, .nan]
        #expect(ck_sgemm_isa(isa, CK_NO_TRANS, CK_NO_TRANS, 2, 2, 0, 1, nil, 1, nil, 2, 0, &z, 2) == 1)
        #expect(z == [0, 0, 0, 0])
        // m == 0 or n == 0: nothing is touched.
        var untouched: [Float] = [7]
        #expect(ck_sgemm_isa(isa, CK_NO_TRANS, CK_NO_TRANS, 0, 1, 3, 1, nil, 3, nil, 1, 0, &untouched, 1) == 1)
        #expect(ck_sgemm_isa(isa, CK_NO_TRANS, CK_NO_TRANS, 1, 0, 3, 1, nil, 3, nil, 1, 0, &untouched, 1) == 1)
        #expect(untouched == [7])
    }

    @Test func everyVariantIsReportedAndSelectable() {
        ck_dispatch_init()
        let native = ck_native_isa()
        #expect(native != CK_ISA_BLAS && native != CK_ISA_AUTO)
        #expect(ck_isa_available(native) == 1)
        #expect(ck_isa_available(CK_ISA_SCALAR) == 1)
        #expect(String(cString: ck_isa_name(CK_ISA_BLAS)) == "openblas")
        let before = ck_active_isa()
        #expect(ck_set_active_isa(CK_ISA_SCALAR) == 1)
        #expect(ck_active_isa() == CK_ISA_SCALAR)
        let (got, ref) = runGemm(GEMMShape(m: 9, n: 9, k: 9), isa: ck_active_isa())
        expectClose(got, ref)
        #expect(ck_set_active_isa(before) == 1)
    }

    /// The automatic rule per shape, both ways: matrix-vector and very narrow products
    /// (n ≤ 4, m ≥ 16) go to OpenBLAS, everything else to our best native kernel (OpenBLAS everywhere on a CPU
    /// without SIMD kernels); and each side gives the reference result through CK_ISA_AUTO.
    @Test func automaticChoiceIsPerShapeAndCorrectBothWays() {
        let native = ck_native_isa()
        let ours: [GEMMShape] = [GEMMShape(m: 32, n: 128, k: 64), GEMMShape(m: 256, n: 300, k: 520, tb: true),
                                 GEMMShape(m: 1, n: 1682, k: 64), GEMMShape(m: 8, n: 1, k: 16),
                                 GEMMShape(m: 256, n: 8, k: 16), GEMMShape(m: 16, n: 5, k: 256, ta: true)]
        let blas: [GEMMShape] = [GEMMShape(m: 1682, n: 1, k: 8), GEMMShape(m: 300, n: 1, k: 70, ta: true),
                                 GEMMShape(m: 256, n: 4, k: 16), GEMMShape(m: 256, n: 2, k: 64, tb: true)]
        for s in ours {
            let chosen = ck_auto_isa(s.m, s.n, s.k)
            #expect(chosen == (native == CK_ISA_SCALAR ? CK_ISA_BLAS : native), "\(s.testDescription) → \(String(cString: ck_isa_name(chosen)))")
            let (got, ref) = runGemm(s, isa: CK_ISA_AUTO)
            expectClose(got, ref, "auto \(s.testDescription)")
        }
        for s in blas {
            #expect(ck_auto_isa(s.m, s.n, s.k) == CK_ISA_BLAS, "\(s.testDescription)")
            let (got, ref) = runGemm(s, isa: CK_ISA_AUTO)
            expectClose(got, ref, "auto \(s.testDescription)")
        }
    }
}
