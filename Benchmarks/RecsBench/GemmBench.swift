import CKernels

/// GEMM GFLOP/s (2·m·n·k / t) per kernel variant, for NN, NT and TN, beside OpenBLAS
/// (`cblas_sgemm`, one thread) in the same run. Every variant is checked before timing.
enum GemmBench {
    struct Shape { let m, n, k: Int; var label: String { "\(m)×\(n)×\(k)" } }

    /// The three training shapes of the seed model and two large squares.
    static let defaultShapes = [Shape(m: 32, n: 128, k: 64), Shape(m: 256, n: 128, k: 64),
                                Shape(m: 256, n: 64, k: 128), Shape(m: 1024, n: 1024, k: 1024),
                                Shape(m: 2048, n: 2048, k: 2048)]
    /// The scalar kernel runs ≈ 10× slower than AVX2 (≈ 3 GFLOP/s here); above this many
    /// FLOPs (i.e. at 2048³: ≈ 6 s per call, minutes per case) it is skipped.
    static let scalarMaxFlops = 2.0 * 1024 * 1024 * 1024
    static let tolerance = 1e-5         // normwise, each variant against OpenBLAS
    static let blasTolerance = 1e-6     // normwise, OpenBLAS against a Double reference

    /// NN, NT, TN (TT is not used by training).
    static let cases: [(ck_trans, ck_trans, String)] = [(CK_NO_TRANS, CK_NO_TRANS, "NN"),
                                                         (CK_NO_TRANS, CK_TRANS, "NT"),
                                                         (CK_TRANS, CK_NO_TRANS, "TN")]

    static var variants: [ck_isa] {
        [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_NEON, CK_ISA_BLAS, CK_ISA_AUTO]
            .filter { ck_isa_available($0) != 0 }
    }

    static func name(_ isa: ck_isa) -> String { String(cString: ck_isa_name(isa)) }

    static func run(shapes: [Shape], repeats: Int) -> [BenchResult] {
        ck_dispatch_init()
        ck_blas_set_threads(1)
        checkBLASAgainstDouble()
        var out: [BenchResult] = []
        for s in shapes {
            let flops = 2.0 * Double(s.m * s.n * s.k)
            let a = Buffer(s.m * s.k, seed: 1), b = Buffer(s.k * s.n, seed: 2)
            let ref = Buffer(s.m * s.n, seed: 0)
            for (ta, tb, tname) in cases {
                let lda = ta == CK_TRANS ? s.m : s.k, ldb = tb == CK_TRANS ? s.k : s.n
                func gemm(_ isa: ck_isa, _ into: Buffer) {
                    let ok = ck_sgemm_isa(isa, ta, tb, s.m, s.n, s.k, 1, a.p, lda, b.p, ldb, 0, into.p, s.n)
                    precondition(ok != 0, "\(name(isa)) is not available")
                }
                gemm(CK_ISA_BLAS, ref)
                // Every variant checked against OpenBLAS first, then all timed in turns
                // (OpenBLAS, then each variant, per round), so the ratios share the host's
                // drift.
                let isas = [CK_ISA_BLAS] + variants.filter { $0 != CK_ISA_BLAS && !($0 == CK_ISA_SCALAR && flops > scalarMaxFlops) }
                let outputs = isas.map { _ in Buffer(s.m * s.n, seed: 0) }
                for (isa, c) in zip(isas, outputs) {
                    c.fill(.nan)
                    gemm(isa, c)
                    let err = normwiseError(c.p, ref.p, s.m * s.n)
                    precondition(err <= tolerance,
                                 "gemm \(name(isa)) \(s.label) \(tname): normwise error \(err) vs OpenBLAS")
                }
                let rates = measureInTurns(repeats: repeats, work: flops / 1e9,
                                           zip(isas, outputs).map { isa, c in { gemm(isa, c) } })
                let blasMedian = median(rates[0])
                for (isa, r) in zip(isas, rates) {
                    var row = result("gemm", name(isa), "\(s.label) \(tname)", "GFLOP/s", r)
                    if isa != CK_ISA_BLAS {
                        row.reference = blasMedian
                        row.against = "openblas"
                    }
                    out.append(row)
                }
            }
        }
        return out
    }

    /// OpenBLAS itself against a Double triple loop, on small shapes with awkward sizes.
    static func checkBLASAgainstDouble() {
        for (m, n, k) in [(32, 128, 64), (65, 67, 129)] {
            let a = Buffer(m * k, seed: 3), b = Buffer(k * n, seed: 4), c = Buffer(m * n, seed: 0)
            for (ta, tb, tname) in cases {
                let lda = ta == CK_TRANS ? m : k, ldb = tb == CK_TRANS ? k : n
                _ = ck_sgemm_isa(CK_ISA_BLAS, ta, tb, m, n, k, 1, a.p, lda, b.p, ldb, 0, c.p, n)
                var num = 0.0, den = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let x = ta == CK_TRANS ? a.p[p * lda + i] : a.p[i * lda + p]
                            let y = tb == CK_TRANS ? b.p[j * ldb + p] : b.p[p * ldb + j]
                            s += Double(x) * Double(y)
                        }
                        let d = Double(c.p[i * n + j]) - s
                        num += d * d
                        den += s * s
                    }
                }
                let err = (num / den).squareRoot()
                precondition(err <= blasTolerance, "OpenBLAS \(m)×\(n)×\(k) \(tname): normwise error \(err) vs Double")
            }
        }
    }

    /// ‖x − y‖_F / ‖y‖_F in Double (NaN in x gives NaN, which fails every check).
    static func normwiseError(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<n {
            let d = Double(x[i]) - Double(y[i])
            num += d * d
            den += Double(y[i]) * Double(y[i])
        }
        return (num / Swift.max(den, .leastNormalMagnitude)).squareRoot()
    }

    /// A 64-byte aligned Float buffer filled with uniform values in [−1, 1) (seed 0: zeros).
    final class Buffer {
        let p: UnsafeMutablePointer<Float>
        let count: Int
        init(_ count: Int, seed: UInt64) {
            self.count = count
            p = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: Swift.max(count, 1))
            var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
            for i in 0..<count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                p[i] = seed == 0 ? 0 : Float(Int64(bitPattern: state >> 40) - (1 << 23)) / Float(1 << 23)
            }
        }
        func fill(_ v: Float) { p.update(repeating: v, count: count) }
        deinit { p.deallocate() }
    }
}
