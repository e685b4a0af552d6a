/*
 * bench_support.h: C helpers for recs-bench only (never linked into the library).
 *
 * - An FMA-throughput loop that measures the FP32 peak of one core in the same run as
 *   the benchmarks (AVX2+FMA, and AVX-512F where the CPU has it).
 * (Heap allocations are counted by the AllocationCounter target that the tests use too.)
 */
#ifndef BENCH_SUPPORT_H
#define BENCH_SUPPORT_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which FMA loop to run.
typedef enum { BENCH_FMA_AVX2 = 0, BENCH_FMA_AVX512 = 1 } bench_fma_isa;

/// 1 if this CPU can run the loop for `isa`, else 0.
int bench_fma_available(bench_fma_isa isa);

/// FLOPs that one call of bench_fma_loop(isa, iterations) performs
/// (iterations × accumulators × lanes × 2), or 0 when the ISA is unavailable.
double bench_fma_flops(bench_fma_isa isa, uint64_t iterations);

/// Runs `iterations` rounds of independent vector FMAs (enough accumulators to cover the
/// FMA latency on every pipe) and returns a value derived from all accumulators, so the
/// work cannot be deleted. Returns 0 when the ISA is unavailable.
float bench_fma_loop(bench_fma_isa isa, uint64_t iterations);

#ifdef __cplusplus
}
#endif
#endif
