import CKernels
import PropertyBased
import Testing

/// One random GEMM case: the shape and scalars (``GEMMShape``), a padding per leading
/// dimension, and the seed of the matrix contents.
struct RandomGEMMCase: Sendable, CustomStringConvertible {
    var shape: GEMMShape
    var padA: Int, padB: Int, padC: Int
    var seed: UInt64

    var lda: Int { (shape.ta ? shape.m : shape.k) + padA }
    var ldb: Int { (shape.tb ? shape.k : shape.n) + padB }
    var ldc: Int { shape.n + padC }
    var description: String {
        "\(shape.testDescription) lda+\(padA) ldb+\(padB) ldc+\(padC) seed \(seed)"
    }
}

/// Random GEMM cases: m, n, k in 0...70 (so empty, k = 0, single rows and columns and every
/// micro-kernel edge occur), both transposes, alpha and beta among special values (0, ±1)
/// and random ones, each leading dimension padded by 0...7 floats.
let randomGEMMCases = zip(
    zip(Gen.int(in: 0...70), Gen.int(in: 0...70), Gen.int(in: 0...70)),
    zip(Gen.bool, Gen.bool),
    zip(Gen.int(in: 0...5), Gen.float(in: -2...2), Gen.int(in: 0...4), Gen.float(in: -2...2)),
    zip(Gen.int(in: 0...7), Gen.int(in: 0...7), Gen.int(in: 0...7)),
    Gen.uint64()
).map { sizes, transposes, scalars, pads, seed in
    // Special values half of the time: alpha 0, 1, −1; beta 0, 1.
    let alpha: Float = switch scalars.0 { case 0: 0; case 1: 1; case 2: -1; default: scalars.1 }
    let beta: Float = switch scalars.2 { case 0: 0; case 1: 1; default: scalars.3 }
    return RandomGEMMCase(
        shape: GEMMShape(m: sizes.0, n: sizes.1, k: sizes.2, ta: transposes.0, tb: transposes.1,
                         alpha: alpha, beta: beta),
        padA: pads.0, padB: pads.1, padC: pads.2, seed: seed)
}

@Suite("GEMM properties") struct GemmPropertyTests {
    /// Every variant (scalar, AVX2, AVX-512 where present, OpenBLAS, automatic) computes
    /// alpha·op(A)·op(B) + beta·C within the normwise tolerance of the fixed-shape tests,
    /// never reads C when beta is 0 (C starts as NaN), and never writes C's padding.
    @Test func everyVariantMatchesTheDoubleReferenceOnRandomShapes() async {
        await propertyCheck(count: 250, input: randomGEMMCases) { c in
            let s = c.shape
            var rng = TestRNG(c.seed)
            let (aRows, bRows) = (s.ta ? s.k : s.m, s.tb ? s.n : s.k)
            let a = rng.floats(aRows * c.lda), b = rng.floats(bRows * c.ldb)
            // beta == 0: C (padding included) is NaN and must not be read; else random.
            let c0 = s.beta == 0 ? [Float](repeating: .nan, count: s.m * c.ldc) : rng.floats(s.m * c.ldc)
            var ref = [Double](repeating: 0, count: s.m * s.n)
            for i in 0..<s.m {
                for j in 0..<s.n {
                    var acc = 0.0
                    for p in 0..<s.k {
                        let av = s.ta ? a[p * c.lda + i] : a[i * c.lda + p]
                        let bv = s.tb ? b[j * c.ldb + p] : b[p * c.ldb + j]
                        acc += Double(av) * Double(bv)
                    }
                    let old = s.beta == 0 ? 0 : Double(s.beta) * Double(c0[i * c.ldc + j])
                    ref[i * s.n + j] = Double(s.alpha) * acc + old
                }
            }
            for isa in availableISAs {
                var out = c0
                let ok = ck_sgemm_isa(isa, s.ta ? CK_TRANS : CK_NO_TRANS, s.tb ? CK_TRANS : CK_NO_TRANS,
                                      s.m, s.n, s.k, s.alpha, a, c.lda, b, c.ldb, s.beta, &out, c.ldc)
                #expect(ok == 1, "\(isa.testDescription) \(c)")
                var got = [Float](repeating: 0, count: s.m * s.n)
                var paddingKept = true
                for i in 0..<s.m {
                    for j in 0..<c.ldc {
                        if j < s.n {
                            got[i * s.n + j] = out[i * c.ldc + j]
                        } else if out[i * c.ldc + j].bitPattern != c0[i * c.ldc + j].bitPattern {
                            paddingKept = false
                        }
                    }
                }
                #expect(paddingKept, "\(isa.testDescription) \(c): C's padding was written")
                #expect(got.allSatisfy { $0.isFinite }, "\(isa.testDescription) \(c): non-finite result")
                expectClose(got, ref, relative: 1e-5, "\(isa.testDescription) \(c)")
            }
        }
    }
}
