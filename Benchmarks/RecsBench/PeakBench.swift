import BenchSupport
import Foundation

/// The machine's FP32 peak, measured in this run: independent vector FMAs in registers
/// (Benchmarks/BenchSupport/fma_peak.c), per core and over all cores at once.
enum PeakBench {
    /// Results, and the single-core peak in GFLOP/s (the reference for "% of peak"): the best
    /// repeat, not the median, because a ceiling can only be lowered by other load.
    static func run(repeats: Int) -> (results: [BenchResult], perCore: Double) {
        var out: [BenchResult] = []
        var best = 0.0
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        for (isa, name) in [(BENCH_FMA_AVX2, "avx2"), (BENCH_FMA_AVX512, "avx512")] {
            guard bench_fma_available(isa) != 0 else { continue }
            // Check before timing: the loop runs, and the FLOP count is what we expect.
            precondition(bench_fma_loop(isa, 1000).isFinite && bench_fma_flops(isa, 1) > 0)
            let iterations = calibrate(isa)
            let flops = bench_fma_flops(isa, iterations)
            let one = measure(repeats: repeats, work: flops / 1e9) { blackHole(bench_fma_loop(isa, iterations)) }
            out.append(result("peak", name, "fma loop", "GFLOP/s", one))
            best = max(best, one.last ?? 0)
            if cores > 1 {
                let all = measure(repeats: repeats, work: Double(cores) * flops / 1e9) {
                    DispatchQueue.concurrentPerform(iterations: cores) { _ in
                        blackHole(bench_fma_loop(isa, iterations))
                    }
                }
                out.append(result("peak", name, "fma loop", "GFLOP/s", all, threads: cores))
            }
        }
        return (out, best)
    }

    /// Iterations that take about 0.2 s on one core.
    static func calibrate(_ isa: bench_fma_isa) -> UInt64 {
        var n: UInt64 = 1 << 20
        while true {
            let start = ContinuousClock.now
            blackHole(bench_fma_loop(isa, n))
            let t = seconds(ContinuousClock.now - start)
            if t >= 0.05 { return UInt64(Double(n) * 0.2 / t) }
            n *= 4
        }
    }
}
