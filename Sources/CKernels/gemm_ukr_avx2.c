/*
 * gemm_ukr_avx2.c: AVX2+FMA SGEMM micro-kernels 6×16 and 8×8 (narrow B) and an AVX
 * transposing packer.
 *
 * Micro-kernel: C(mr×nr) := alpha·Σ_p a[p*6 + r]·b[p*rsb + j] + beta·C, mr ≤ 6, nr ≤ 16;
 * 12 ymm accumulators (two per row) hide the FMA latency, 2 ymm for B, 1 broadcast.
 * Row counts below 6 get their own unrolled copy (no wasted FMAs on padding rows);
 * columns below 16 go through a small tile on the stack. beta == 0 never reads C.
 * Packer: gathers up to 8 rows of a row-major matrix into k steps of 8 floats with
 * 8×8 in-register transposes (for op(A) not transposed and op(B) transposed).
 * Every function is compiled for avx2,fma by attribute; callers check the CPU.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "ck_internal.h"

#define CK_INLINE static inline __attribute__((always_inline))

/* C row := tile row + beta·C row for the first nr columns (beta == 0 never reads C): the
   partial-column edge of both kernels, which compute into a tile on the stack. */
CK_INLINE void merge_tile_row(float *restrict crow, const float *restrict trow, size_t nr,
                              float beta) {
    if (beta == 0.0f) {
        for (size_t j = 0; j < nr; ++j) crow[j] = trow[j];
    } else {
        for (size_t j = 0; j < nr; ++j) crow[j] = trow[j] + beta * crow[j];
    }
}

/* The 6×16 epilogue of the packed and the direct kernels: C rows := alpha·acc + beta·C,
   then (direct kernels, beta == 0) + bias and ReLU in registers; partial columns go
   through a tile on the stack. */
CK_INLINE CK_TARGET_AVX2 void store_6x16_rows(const __m256 *c0, const __m256 *c1, float alpha,
                                              float beta, float *restrict c, size_t ldc,
                                              size_t nr, const float *restrict bias, int relu,
                                              const int R) {
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 vb = _mm256_set1_ps(beta);
    const __m256 zero = _mm256_setzero_ps();
    float tile[6 * 16];
    float *dst = c;
    size_t ld = ldc;
    if (nr < 16) { /* partial columns: compute into the tile, merge below */
        dst = tile;
        ld = 16;
    }
    for (int r = 0; r < R; ++r) {
        float *row = dst + (size_t)r * ld;
        __m256 v0 = _mm256_mul_ps(va, c0[r]);
        __m256 v1 = _mm256_mul_ps(va, c1[r]);
        if (beta != 0.0f && nr == 16) {
            v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), v0);
            v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), v1);
        }
        if (bias) {
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(bias));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(bias + 8));
            if (relu) { /* max(v, +0): +0 for −0 and NaN, as `v > 0 ? v : 0` */
                v0 = _mm256_max_ps(v0, zero);
                v1 = _mm256_max_ps(v1, zero);
            }
        }
        _mm256_storeu_ps(row, v0);
        _mm256_storeu_ps(row + 8, v1);
    }
    if (nr < 16) {
        for (int r = 0; r < R; ++r) merge_tile_row(c + (size_t)r * ldc, tile + r * 16, nr, beta);
    }
}

/* The 8×8 epilogue, likewise. */
CK_INLINE CK_TARGET_AVX2 void store_8x8_rows(const __m256 *acc, float alpha, float beta,
                                             float *restrict c, size_t ldc, size_t nr,
                                             const float *restrict bias, int relu, const int R) {
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 zero = _mm256_setzero_ps();
    __m256 vbias = zero;
    if (bias) vbias = _mm256_loadu_ps(bias);
    if (nr == 8) {
        const __m256 vb = _mm256_set1_ps(beta);
        for (int r = 0; r < R; ++r) {
            float *row = c + (size_t)r * ldc;
            __m256 v = _mm256_mul_ps(va, acc[r]);
            if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), v);
            if (bias) {
                v = _mm256_add_ps(v, vbias);
                if (relu) v = _mm256_max_ps(v, zero);
            }
            _mm256_storeu_ps(row, v);
        }
        return;
    }
    float tile[8];
    for (int r = 0; r < R; ++r) {
        __m256 v = _mm256_mul_ps(va, acc[r]);
        if (bias) {
            v = _mm256_add_ps(v, vbias);
            if (relu) v = _mm256_max_ps(v, zero);
        }
        _mm256_storeu_ps(tile, v);
        merge_tile_row(c + (size_t)r * ldc, tile, nr, beta);
    }
}

/* One row count R (compile-time after inlining) of the 6×16 kernel. */
CK_INLINE CK_TARGET_AVX2 void ukr_6x16_rows(size_t k, float alpha, const float *restrict a,
                                            const float *restrict b, size_t rsb, float beta,
                                            float *restrict c, size_t ldc, size_t nr,
                                            const int R) {
    __m256 c0[6], c1[6];
    for (int r = 0; r < R; ++r) {
        c0[r] = _mm256_setzero_ps();
        c1[r] = _mm256_setzero_ps();
        /* C rows are far apart in big problems: start their misses before the k loop. */
        _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)r * ldc + 15), _MM_HINT_T0);
    }
#pragma GCC unroll 4
    for (size_t p = 0; p < k; ++p) {
        const __m256 b0 = _mm256_loadu_ps(b);
        const __m256 b1 = _mm256_loadu_ps(b + 8);
        for (int r = 0; r < R; ++r) {
            const __m256 ar = _mm256_broadcast_ss(a + r);
            c0[r] = _mm256_fmadd_ps(ar, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(ar, b1, c1[r]);
        }
        a += 6;
        b += rsb;
    }
    store_6x16_rows(c0, c1, alpha, beta, c, ldc, nr, NULL, 0, R);
}

CK_TARGET_AVX2 void sgemm_ukr_avx2_6x16(size_t k, float alpha, const float *restrict a,
                                        const float *restrict b, size_t rsb, float beta,
                                        float *restrict c, size_t ldc, size_t mr, size_t nr) {
    switch (mr) {
    case 6: ukr_6x16_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 6); break;
    case 5: ukr_6x16_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 5); break;
    case 4: ukr_6x16_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 4); break;
    case 3: ukr_6x16_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 3); break;
    case 2: ukr_6x16_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 2); break;
    case 1: ukr_6x16_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 1); break;
    default: break;
    }
}

/*
 * The narrow kernel, 8×8, for op(B) at most 8 columns wide (NeuMF's 16 → 8 layer, narrow
 * towers, rank-8 factors), where the 6×16 kernel would waste half of every FMA on
 * padding: one ymm accumulator per row, eight rows so that eight independent FMA chains
 * cover the FMA latency, one B load and eight broadcasts per k step.
 */
CK_INLINE CK_TARGET_AVX2 void ukr_8x8_rows(size_t k, float alpha, const float *restrict a,
                                          const float *restrict b, size_t rsb, float beta,
                                          float *restrict c, size_t ldc, size_t nr,
                                          const int R) {
    __m256 acc[8];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (size_t p = 0; p < k; ++p) {
        const __m256 bv = _mm256_loadu_ps(b);
        for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), bv, acc[r]);
        a += 8;
        b += rsb;
    }
    store_8x8_rows(acc, alpha, beta, c, ldc, nr, NULL, 0, R);
}

CK_TARGET_AVX2 void sgemm_ukr_avx2_8x8(size_t k, float alpha, const float *restrict a,
                                       const float *restrict b, size_t rsb, float beta,
                                       float *restrict c, size_t ldc, size_t mr, size_t nr) {
    switch (mr) {
    case 8: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 8); break;
    case 7: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 7); break;
    case 6: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 6); break;
    case 5: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 5); break;
    case 4: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 4); break;
    case 3: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 3); break;
    case 2: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 2); break;
    case 1: ukr_8x8_rows(k, alpha, a, b, rsb, beta, c, ldc, nr, 1); break;
    default: break;
    }
}

/*
 * Direct kernels (small products, see gemm_direct in gemm.c): the same k loops as the
 * packed 6×16 and 8×8 kernels, but A is read in place, element (r, p) of the sliver at
 * a[r*lda + p] (TA = 0) or a[p*lda + r] (TA = 1, op(A) = Aᵀ): one broadcast per row and
 * k step either way, so a product whose A fits in L2 skips packing A. Each C element is
 * the same single FMA chain over p as in the packed kernels (bit-identical results). The
 * epilogue is the packed kernels' (alpha, then beta), then optionally + bias (16 or 8
 * floats, padded by the caller) and ReLU in registers; bias is only used with beta == 0.
 */
CK_INLINE CK_TARGET_AVX2 void direct_6x16_rows(size_t k, float alpha, const float *restrict a,
                                               size_t lda, const float *restrict b, size_t rsb,
                                               float beta, float *restrict c, size_t ldc,
                                               size_t nr, const float *restrict bias, int relu,
                                               const int R, const int TA) {
    __m256 c0[6], c1[6];
    const float *ar[6];
    for (int r = 0; r < R; ++r) {
        c0[r] = _mm256_setzero_ps();
        c1[r] = _mm256_setzero_ps();
        ar[r] = TA ? a + r : a + (size_t)r * lda;
    }
    if (TA) {
#pragma GCC unroll 4
        for (size_t p = 0; p < k; ++p) {
            const __m256 b0 = _mm256_loadu_ps(b);
            const __m256 b1 = _mm256_loadu_ps(b + 8);
            for (int r = 0; r < R; ++r) {
                const __m256 av = _mm256_broadcast_ss(a + r);
                c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
            }
            a += lda;
            b += rsb;
        }
    } else {
#pragma GCC unroll 4
        for (size_t p = 0; p < k; ++p) {
            const __m256 b0 = _mm256_loadu_ps(b);
            const __m256 b1 = _mm256_loadu_ps(b + 8);
            for (int r = 0; r < R; ++r) {
                const __m256 av = _mm256_broadcast_ss(ar[r] + p);
                c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
                c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
            }
            b += rsb;
        }
    }
    store_6x16_rows(c0, c1, alpha, beta, c, ldc, nr, bias, relu, R);
}

/* The kernel F for the row count mr (≤ MAXR) and the transposition ta, each a
   compile-time constant after inlining. */
#define CK_DIRECT_ROW(F, R, ...)                                  \
    case R:                                                       \
        if (ta) F(__VA_ARGS__, R, 1); else F(__VA_ARGS__, R, 0);  \
        break;

CK_TARGET_AVX2 void sgemm_direct_avx2_6x16(size_t k, float alpha, const float *restrict a,
                                           size_t lda, int ta, const float *restrict b,
                                           size_t rsb, float beta, float *restrict c,
                                           size_t ldc, size_t mr, size_t nr,
                                           const float *restrict bias, int relu) {
    switch (mr) {
    CK_DIRECT_ROW(direct_6x16_rows, 6, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_6x16_rows, 5, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_6x16_rows, 4, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_6x16_rows, 3, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_6x16_rows, 2, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_6x16_rows, 1, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    default: break;
    }
}

CK_INLINE CK_TARGET_AVX2 void direct_8x8_rows(size_t k, float alpha, const float *restrict a,
                                              size_t lda, const float *restrict b, size_t rsb,
                                              float beta, float *restrict c, size_t ldc,
                                              size_t nr, const float *restrict bias, int relu,
                                              const int R, const int TA) {
    __m256 acc[8];
    const float *ar[8];
    for (int r = 0; r < R; ++r) {
        acc[r] = _mm256_setzero_ps();
        ar[r] = a + (size_t)r * lda;
    }
    if (TA) {
#pragma GCC unroll 4
        for (size_t p = 0; p < k; ++p) {
            const __m256 bv = _mm256_loadu_ps(b);
            for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + r), bv, acc[r]);
            a += lda;
            b += rsb;
        }
    } else {
#pragma GCC unroll 4
        for (size_t p = 0; p < k; ++p) {
            const __m256 bv = _mm256_loadu_ps(b);
            for (int r = 0; r < R; ++r) acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(ar[r] + p), bv, acc[r]);
            b += rsb;
        }
    }
    store_8x8_rows(acc, alpha, beta, c, ldc, nr, bias, relu, R);
}

CK_TARGET_AVX2 void sgemm_direct_avx2_8x8(size_t k, float alpha, const float *restrict a,
                                          size_t lda, int ta, const float *restrict b,
                                          size_t rsb, float beta, float *restrict c,
                                          size_t ldc, size_t mr, size_t nr,
                                          const float *restrict bias, int relu) {
    switch (mr) {
    CK_DIRECT_ROW(direct_8x8_rows, 8, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 7, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 6, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 5, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 4, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 3, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 2, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    CK_DIRECT_ROW(direct_8x8_rows, 1, k, alpha, a, lda, b, rsb, beta, c, ldc, nr, bias, relu)
    default: break;
    }
}

/*
 * dst[p*dst_stride + r] := a[r*lda + p] for r < rows (0…8), 0 for rows ≤ r < 8, p < k.
 * Each k step stores 8 floats, so with dst_stride < 8 the next step (or the caller's
 * next panel, packed after this one) overwrites the surplus: the caller leaves
 * 8 − dst_stride floats of slack after the buffer.
 */
CK_TARGET_AVX2 void sgemm_pack_rows8_avx2(size_t k, size_t rows, const float *restrict a,
                                          size_t lda, float *restrict dst,
                                          size_t dst_stride) {
    /* Missing rows read a zero vector that never advances. */
    const float *src[8];
    static const float zeros[8] = {0};
    for (size_t r = 0; r < 8; ++r) src[r] = r < rows ? a + r * lda : zeros;
    size_t p = 0;
    for (; p + 8 <= k; p += 8) {
        const __m256 r0 = _mm256_loadu_ps(src[0] + (rows > 0 ? p : 0));
        const __m256 r1 = _mm256_loadu_ps(src[1] + (rows > 1 ? p : 0));
        const __m256 r2 = _mm256_loadu_ps(src[2] + (rows > 2 ? p : 0));
        const __m256 r3 = _mm256_loadu_ps(src[3] + (rows > 3 ? p : 0));
        const __m256 r4 = _mm256_loadu_ps(src[4] + (rows > 4 ? p : 0));
        const __m256 r5 = _mm256_loadu_ps(src[5] + (rows > 5 ? p : 0));
        const __m256 r6 = _mm256_loadu_ps(src[6] + (rows > 6 ? p : 0));
        const __m256 r7 = _mm256_loadu_ps(src[7] + (rows > 7 ? p : 0));
        const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
        const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
        const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
        const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *d = dst + p * dst_stride;
        _mm256_storeu_ps(d + 0 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(d + 1 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(d + 2 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(d + 3 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(d + 4 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(d + 5 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(d + 6 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(d + 7 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; p < k; ++p) {
        float *d = dst + p * dst_stride;
        size_t r = 0;
        for (; r < rows; ++r) d[r] = src[r][p];
        for (; r < 8 && r < dst_stride; ++r) d[r] = 0.0f;
    }
}
#endif
