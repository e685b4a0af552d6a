/*
 * gemm_ukr_avx512.c: AVX-512F SGEMM micro-kernel 8×32.
 *
 * C(mr×nr) := alpha·Σ_p a[p*8 + r]·b[p*rsb + j] + beta·C, mr ≤ 8, nr ≤ 32, with a packed
 * 8 rows per k step (zero-padded) and b 32 contiguous floats per k step.
 * 16 zmm accumulators (two per row): Zen 4 runs one zmm FMA per cycle with latency 4,
 * Intel two with latency 4, so 16 independent chains keep either busy; the A values
 * are broadcast straight from memory. Row counts below 8 get their own unrolled copy;
 * partial columns use masked loads and stores. beta == 0 never reads C.
 * Compiled for avx512f by attribute; callers check the CPU.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "ck_internal.h"

#define CK_INLINE static inline __attribute__((always_inline))

/* One row count R (compile-time after inlining) of the 8×32 kernel. */
CK_INLINE CK_TARGET_AVX512 void ukr_8x32_rows(size_t k, float alpha, const float *restrict a,
                                              const float *restrict b, size_t rsb, float beta,
                                              float *restrict c, size_t ldc, size_t nr,
                                              const int R) {
    __m512 c0[8], c1[8];
    for (int r = 0; r < R; ++r) {
        c0[r] = _mm512_setzero_ps();
        c1[r] = _mm512_setzero_ps();
    }
#pragma GCC unroll 4
    for (size_t p = 0; p < k; ++p) {
        const __m512 b0 = _mm512_loadu_ps(b);
        const __m512 b1 = _mm512_loadu_ps(b + 16);
        for (int r = 0; r < R; ++r) {
            const __m512 ar = _mm512_set1_ps(a[r]);
            c0[r] = _mm512_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(ar, b1, c1[r]);
        }
        a += 8;
        b += rsb;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    const __m512 vb = _mm512_set1_ps(beta);
    if (nr == 32) {
        for (int r = 0; r < R; ++r) {
            float *row = c + (size_t)r * ldc;
            __m512 v0 = _mm512_mul_ps(va, c0[r]);
            __m512 v1 = _mm512_mul_ps(va, c1[r]);
            if (beta != 0.0f) {
                v0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), v0);
                v1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), v1);
            }
            _mm512_storeu_ps(row, v0);
            _mm512_storeu_ps(row + 16, v1);
        }
        return;
    }
    /* Masked-off lanes are neither loaded (no fault past the row) nor stored. */
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
    const __mmask16 m1 = nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1u);
    for (int r = 0; r < R; ++r) {
        float *row = c + (size_t)r * ldc;
        __m512 v0 = _mm512_mul_ps(va, c0[r]);
        __m512 v1 = _mm512_mul_ps(va, c1[r]);
        if (beta != 0.0f) {
            v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), v0);
            v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), v1);
        }
        _mm512_mask_storeu_ps(row, m0, v0);
        _mm512_mask_storeu_ps(row + 16, m1, v1);
    }
}

CK_TARGET_AVX512 void sgemm_ukr_avx512_8x32(size_t k, float alpha, const float *restrict a,
                                            const float *restrict b, size_t rsb, float beta,
                                            float *restrict c, size_t ldc, size_t mr,
                                            size_t nr) {
    switch (mr) {
    case 8: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 8); break;
    case 7: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 7); break;
    case 6: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 6); break;
    case 5: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 5); break;
    case 4: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 4); break;
    case 3: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 3); break;
    case 2: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 2); break;
    case 1: ukr_8x32_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 1); break;
    default: break;
    }
}
#endif
