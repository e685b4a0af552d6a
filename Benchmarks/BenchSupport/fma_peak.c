/*
 * FP32 peak of one core: a loop of independent vector FMAs whose operands stay in
 * registers. 12 accumulators (AVX2) cover 2 FMA pipes × 5–6 cycles latency on Zen 1–4
 * and Intel cores; the AVX-512 loop uses 16.
 */
#include "bench_support.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define AVX2_ACC 12
#define AVX512_ACC 16

__attribute__((target("avx2,fma"), noinline))
static float fma_avx2(uint64_t iterations) {
    __m256 acc[AVX2_ACC];
    for (int i = 0; i < AVX2_ACC; i++) acc[i] = _mm256_set1_ps(1.0f + 0.001f * (float)i);
    /* x·a + b with a slightly below 1 and b small: values stay finite for any count. */
    const __m256 a = _mm256_set1_ps(0.999999f);
    const __m256 b = _mm256_set1_ps(1e-7f);
    for (uint64_t it = 0; it < iterations; it++) {
        /* Written out so the compiler keeps 12 independent chains in registers. */
        acc[0] = _mm256_fmadd_ps(acc[0], a, b);
        acc[1] = _mm256_fmadd_ps(acc[1], a, b);
        acc[2] = _mm256_fmadd_ps(acc[2], a, b);
        acc[3] = _mm256_fmadd_ps(acc[3], a, b);
        acc[4] = _mm256_fmadd_ps(acc[4], a, b);
        acc[5] = _mm256_fmadd_ps(acc[5], a, b);
        acc[6] = _mm256_fmadd_ps(acc[6], a, b);
        acc[7] = _mm256_fmadd_ps(acc[7], a, b);
        acc[8] = _mm256_fmadd_ps(acc[8], a, b);
        acc[9] = _mm256_fmadd_ps(acc[9], a, b);
        acc[10] = _mm256_fmadd_ps(acc[10], a, b);
        acc[11] = _mm256_fmadd_ps(acc[11], a, b);
    }
    __m256 s = acc[0];
    for (int i = 1; i < AVX2_ACC; i++) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

__attribute__((target("avx512f"), noinline))
static float fma_avx512(uint64_t iterations) {
    __m512 acc[AVX512_ACC];
    for (int i = 0; i < AVX512_ACC; i++) acc[i] = _mm512_set1_ps(1.0f + 0.001f * (float)i);
    const __m512 a = _mm512_set1_ps(0.999999f);
    const __m512 b = _mm512_set1_ps(1e-7f);
    for (uint64_t it = 0; it < iterations; it++) {
        acc[0] = _mm512_fmadd_ps(acc[0], a, b);
        acc[1] = _mm512_fmadd_ps(acc[1], a, b);
        acc[2] = _mm512_fmadd_ps(acc[2], a, b);
        acc[3] = _mm512_fmadd_ps(acc[3], a, b);
        acc[4] = _mm512_fmadd_ps(acc[4], a, b);
        acc[5] = _mm512_fmadd_ps(acc[5], a, b);
        acc[6] = _mm512_fmadd_ps(acc[6], a, b);
        acc[7] = _mm512_fmadd_ps(acc[7], a, b);
        acc[8] = _mm512_fmadd_ps(acc[8], a, b);
        acc[9] = _mm512_fmadd_ps(acc[9], a, b);
        acc[10] = _mm512_fmadd_ps(acc[10], a, b);
        acc[11] = _mm512_fmadd_ps(acc[11], a, b);
        acc[12] = _mm512_fmadd_ps(acc[12], a, b);
        acc[13] = _mm512_fmadd_ps(acc[13], a, b);
        acc[14] = _mm512_fmadd_ps(acc[14], a, b);
        acc[15] = _mm512_fmadd_ps(acc[15], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < AVX512_ACC; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

int bench_fma_available(bench_fma_isa isa) {
    __builtin_cpu_init();
    switch (isa) {
    case BENCH_FMA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case BENCH_FMA_AVX512: return __builtin_cpu_supports("avx512f");
    }
    return 0;
}

double bench_fma_flops(bench_fma_isa isa, uint64_t iterations) {
    if (!bench_fma_available(isa)) return 0;
    double per = isa == BENCH_FMA_AVX2 ? AVX2_ACC * 8.0 * 2.0 : AVX512_ACC * 16.0 * 2.0;
    return per * (double)iterations;
}

float bench_fma_loop(bench_fma_isa isa, uint64_t iterations) {
    if (!bench_fma_available(isa)) return 0;
    return isa == BENCH_FMA_AVX2 ? fma_avx2(iterations) : fma_avx512(iterations);
}
#else
int bench_fma_available(bench_fma_isa isa) { (void)isa; return 0; }
double bench_fma_flops(bench_fma_isa isa, uint64_t iterations) { (void)isa; (void)iterations; return 0; }
float bench_fma_loop(bench_fma_isa isa, uint64_t iterations) { (void)isa; (void)iterations; return 0; }
#endif
