import CKernels
import Testing

/// ‖got − ref‖ / ‖ref‖ in Double (‖ref‖ floored at 1e-30 so all-zero references work).
func normwiseError(_ got: [Float], _ ref: [Double]) -> Double {
    precondition(got.count == ref.count)
    var num = 0.0, den = 0.0
    for (g, r) in zip(got, ref) {
        num += (Double(g) - r) * (Double(g) - r)
        den += r * r
    }
    return (num.squareRoot()) / max(den.squareRoot(), 1e-30)
}

/// Expects `got` close to `ref`: normwise relative error ≤ `relative`, or, with
/// `elementwise`, every element within `relative·|ref| + absolute`. Reports the worst index.
func expectClose(_ got: [Float], _ ref: [Double], relative: Double = 1e-5, absolute: Double = 0,
                 elementwise: Bool = false, _ what: @autoclosure () -> String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.count == ref.count, "\(what()): count \(got.count) vs \(ref.count)", sourceLocation: sourceLocation)
    guard got.count == ref.count, !got.isEmpty else { return }
    var worst = 0, worstErr = -1.0
    for i in got.indices {
        let err = abs(Double(got[i]) - ref[i]) / max(abs(ref[i]), 1e-30)
        if err > worstErr || err.isNaN { worst = i; worstErr = err.isNaN ? .infinity : err }
    }
    if elementwise {
        let ok = got.indices.allSatisfy { abs(Double(got[$0]) - ref[$0]) <= relative * abs(ref[$0]) + absolute }
        #expect(ok, "\(what()): worst index \(worst): got \(got[worst]), expected \(ref[worst])",
                sourceLocation: sourceLocation)
    } else {
        let e = normwiseError(got, ref)
        #expect(e <= relative, "\(what()): normwise error \(e); worst index \(worst): got \(got[worst]), expected \(ref[worst])",
                sourceLocation: sourceLocation)
    }
}

/// A small deterministic generator for test data (SplitMix64).
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func float(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func floats(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0..<n).map { _ in float(lo, hi) }
    }
}

/// Every native GEMM variant this CPU runs, plus OpenBLAS and the automatic choice.
let availableISAs: [ck_isa] = {
    ck_dispatch_init()
    return [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_NEON, CK_ISA_BLAS, CK_ISA_AUTO]
        .filter { ck_isa_available($0) != 0 }
}()

extension ck_isa: @retroactive CustomTestStringConvertible {
    public var testDescription: String { String(cString: ck_isa_name(self)) }
}
