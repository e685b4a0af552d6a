internal import CKernels

/// The instruction-set variant that the matrix kernels use.
///
/// ```swift
/// print(KernelISA.active)          // automatic: avx512 or OpenBLAS per shape
/// KernelISA.setActive(.avx2)       // force one variant, e.g. for a benchmark
/// ```
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    case scalar, avx2, avx512, neon, openBLAS, automatic

    var raw: ck_isa {
        switch self {
        case .scalar: CK_ISA_SCALAR
        case .avx2: CK_ISA_AVX2
        case .avx512: CK_ISA_AVX512
        case .neon: CK_ISA_NEON
        case .openBLAS: CK_ISA_BLAS
        case .automatic: CK_ISA_AUTO
        }
    }

    /// The C enum's value, for the other targets of this package that call CKernels.
    package var kernelCode: UInt32 { raw.rawValue }

    init(raw: ck_isa) {
        self = KernelISA.allCases.first { $0.raw == raw } ?? .scalar
    }

    /// The best native variant this CPU supports.
    public static var native: KernelISA { ck_dispatch_init(); return KernelISA(raw: ck_native_isa()) }
    /// The variant GEMM uses now (``automatic`` unless changed).
    public static var active: KernelISA { ck_dispatch_init(); return KernelISA(raw: ck_active_isa()) }
    /// Variants this CPU can run.
    public static var available: [KernelISA] { allCases.filter(\.isAvailable) }
    /// Whether this CPU can run the variant.
    public var isAvailable: Bool { ck_dispatch_init(); return ck_isa_available(raw) != 0 }
    /// Makes GEMM use `isa`; returns `false` (and changes nothing) if the CPU lacks it.
    @discardableResult
    public static func setActive(_ isa: KernelISA) -> Bool {
        ck_dispatch_init()
        return ck_set_active_isa(isa.raw) != 0
    }
    /// The kernel library's own name for the variant.
    public var description: String { String(cString: ck_isa_name(raw)) }
}

/// Every crossing into CKernels. Swift checks shapes here; C trusts its caller.
enum Kernels {
    /// `c = alpha·op(a)·op(b) + beta·c` for row-major views.
    static func gemm(_ a: MatrixView, _ b: MatrixView, into c: MatrixView,
                     transposeA ta: Bool = false, transposeB tb: Bool = false,
                     alpha: Float = 1, beta: Float = 0) {
        let m = ta ? a.columns : a.rows
        let k = ta ? a.rows : a.columns
        let n = tb ? b.rows : b.columns
        precondition((tb ? b.columns : b.rows) == k && c.rows == m && c.columns == n,
                     "gemm: \(a.rows)×\(a.columns)\(ta ? "ᵀ" : "") · \(b.rows)×\(b.columns)\(tb ? "ᵀ" : "") → \(c.rows)×\(c.columns)")
        guard m > 0, n > 0 else { return }
        ck_sgemm(ta ? CK_TRANS : CK_NO_TRANS, tb ? CK_TRANS : CK_NO_TRANS, m, n, k, alpha,
                 a.base, max(a.columns, 1), b.base, max(b.columns, 1), beta, c.base, max(c.columns, 1))
    }

    /// The number of nonzero entries of `x`.
    static func nonzeroCount(_ x: MatrixView) -> Int { ck_count_nonzero(x.base, x.count) }

    /// `c = a·b` visiting only the nonzero entries of `a` (see `ck_sgemm_sparse_a`).
    static func sparseGemm(_ a: MatrixView, _ b: MatrixView, into c: MatrixView) {
        precondition(a.columns == b.rows && c.rows == a.rows && c.columns == b.columns, "sparse gemm: shapes")
        ck_sgemm_sparse_a(a.rows, b.columns, a.columns, a.base, b.base, c.base)
    }

    /// `c = aᵀ·d` visiting only the nonzero entries of `a` (see `ck_sgemm_sparse_at`).
    /// With `plus: (w, decay)`, `c = aᵀ·d + decay·w` in one sweep (a weight gradient with its
    /// L2 term), rounded as adding `decay·w` in a separate pass would round it.
    static func sparseGemmTransposedA(_ a: MatrixView, _ d: MatrixView, into c: MatrixView,
                                      plus decayed: (weights: MatrixView, decay: Float)? = nil) {
        precondition(a.rows == d.rows && c.rows == a.columns && c.columns == d.columns, "sparse gemmᵀ: shapes")
        if let decayed {
            precondition(decayed.weights.rows == c.rows && decayed.weights.columns == c.columns, "sparse gemmᵀ: weight shape")
        }
        ck_sgemm_sparse_at(a.rows, d.columns, a.columns, a.base, d.base, c.base,
                           decayed?.weights.base, decayed?.decay ?? 0)
    }

    /// `y[r, i] −= x[r, i] · w[i, i]`: removes the diagonal's share of `x·w` from `y`
    /// (a square layer whose diagonal is masked; see `ck_sub_diagonal_product`).
    static func subtractDiagonalProduct(_ y: MatrixView, _ x: MatrixView, weights w: MatrixView) {
        precondition(x.rows == y.rows && x.columns == y.columns && w.rows == w.columns && w.rows == x.columns,
                     "diagonal product: shapes")
        ck_sub_diagonal_product(y.base, x.base, w.base, y.rows, y.columns)
    }

    static func biasActivationForward(_ y: MatrixView, _ x: MatrixView,
                                      bias: UnsafePointer<Float>?, _ act: Activation) {
        precondition(x.rows == y.rows && x.columns == y.columns)
        ck_bias_act_forward(y.base, x.base, bias, y.rows, y.columns, act.raw)
    }

    /// `y = act(x·w + bias)` for a dense layer (`ck_linear_forward`: GEMM and bias +
    /// activation, fused on small products).
    static func linearForward(_ x: MatrixView, weights w: MatrixView, bias: UnsafePointer<Float>?,
                              _ act: Activation, into y: MatrixView) {
        precondition(w.rows == x.columns && y.rows == x.rows && y.columns == w.columns,
                     "linear: \(x.rows)×\(x.columns) · \(w.rows)×\(w.columns) → \(y.rows)×\(y.columns)")
        guard y.rows > 0 else { return }
        ck_linear_forward(y.base, x.base, w.base, bias, x.rows, x.columns, w.columns, act.raw)
    }

    /// `dz = dy ⊙ act′` (from the output `y`) and, with `dbias`, the bias gradient Σ_rows dz.
    static func activationBiasBackward(_ dz: MatrixView, _ dy: MatrixView, output y: MatrixView,
                                       dbias: UnsafeMutablePointer<Float>?, _ act: Activation) {
        precondition(dz.count == dy.count && dy.count == y.count)
        ck_act_bias_backward(dz.base, dy.base, y.base, dbias, y.rows, y.columns, act.raw)
    }

    static func activationBackward(_ dx: MatrixView, _ dy: MatrixView, output y: MatrixView,
                                   _ act: Activation) {
        precondition(dx.count == dy.count && dy.count == y.count)
        ck_act_backward(dx.base, dy.base, y.base, y.rows, y.columns, act.raw)
    }

    static func biasBackward(_ dbias: UnsafeMutablePointer<Float>, _ dz: MatrixView) {
        ck_bias_backward(dbias, dz.base, dz.rows, dz.columns)
    }

    static func allFinite(_ p: UnsafePointer<Float>, count: Int) -> Bool {
        ck_all_finite(p, count) != 0
    }

    /// Whether rows `rows[0..<count]` (each `width` floats of the table at `p`) are finite.
    static func rowsFinite(_ p: UnsafePointer<Float>, rows: UnsafePointer<Int32>, count: Int, width: Int) -> Bool {
        ck_rows_finite(p, rows, count, width) != 0
    }

    /// `y[i] += x[i]` for `count` floats (summing per-thread gradient arenas).
    static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        ck_add(y, x, count)
    }

    /// Atomic counters for coordinating the threads of a training step (see
    /// `ck_counter_add` in ckernels.h). `counterAdd` returns the new value.
    @discardableResult
    static func counterAdd(_ counter: UnsafeMutablePointer<Int64>, _ delta: Int64 = 1) -> Int64 {
        ck_counter_add(counter, delta)
    }

    static func counterStore(_ counter: UnsafeMutablePointer<Int64>, _ value: Int64) {
        ck_counter_store(counter, value)
    }

    /// Returns once `counter` ≥ `target` (spins briefly, then yields the core).
    static func counterWait(_ counter: UnsafePointer<Int64>, atLeast target: Int64) {
        ck_counter_wait(counter, target)
    }

    /// Huge pages: 2 MiB. Blocks at least `hugePageThreshold` bytes are placed on them.
    static let hugePage = 2 << 20
    static let hugePageThreshold = 1 << 20

    /// `bytes` (rounded up to whole huge pages when at least `hugePageThreshold`) of raw
    /// memory, huge-page aligned and advised as such when that large, else 64-byte aligned.
    /// Returns the pointer and the usable size.
    static func allocateLarge(_ bytes: Int) -> (UnsafeMutableRawPointer, Int) {
        guard bytes >= hugePageThreshold else {
            return (UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64), max(bytes, 1))
        }
        let size = (bytes + hugePage - 1) / hugePage * hugePage
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: hugePage)
        ck_advise_huge_pages(raw, size)
        return (raw, size)
    }

    static func gatherRows(_ dst: MatrixView, from src: UnsafePointer<Float>,
                           indices: UnsafePointer<Int64>) {
        ck_gather_rows(dst.base, src, indices, dst.rows, dst.columns)
    }

    /// `rows × cols` floats: dst row r (stride `ldd`) := src row r (stride `lds`).
    static func copyBlock(_ dst: UnsafeMutablePointer<Float>, ldd: Int, from src: UnsafePointer<Float>, lds: Int,
                          rows: Int, cols: Int) {
        ck_copy_block(dst, ldd, src, lds, rows, cols)
    }

    static func setBLASThreads(_ n: Int) { ck_dispatch_init(); ck_blas_set_threads(Int32(n)) }
}

extension Activation {
    var raw: ck_act {
        switch self {
        case .linear: CK_ACT_LINEAR
        case .relu: CK_ACT_RELU
        case .sigmoid: CK_ACT_SIGMOID
        case .tanh: CK_ACT_TANH
        case .softmax: CK_ACT_SOFTMAX
        }
    }
}
