/*
 * mlp_avx2.c: AVX2+FMA kernels of dense-chain inference (driver in mlp.c).
 *
 * Tile: C(mr×nr) := act(A·B + bias), mr ≤ 6, nr ≤ 16, act ReLU or linear. A is read in
 * place (row r at a + r·lda, one broadcast per row and k step: the previous layer's
 * output, still in L1, needs no packing), B is a packed k×16 panel of the weights and
 * bias a 16-float slice padded with zeros. The k loop is the 6×16 GEMM kernel's (12 ymm
 * accumulators, 2 for B, 1 broadcast); the epilogue adds the bias and clamps in registers,
 * so the output is written once and never re-read for the activation. Columns past nr are
 * not stored (masked stores), so the edge panel of a layer needs no scratch tile.
 * Dot: y[r] := act(a row r · w + bias), act ReLU, sigmoid (own vector e^x) or linear,
 * for a layer with one output: eight rows at a time,
 * one accumulator each, summed across lanes by a tree of horizontal adds (the same tree
 * for a short last group, so a row's value does not depend on its neighbours).
 * Every function is compiled for avx2,fma by attribute; callers check the CPU.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "ck_internal.h"

#define CK_INLINE static inline __attribute__((always_inline))

/* Lanes j of the low (j < 8) or high (j ≥ 8) half of a 16-column tile with j < nr. */
CK_INLINE CK_TARGET_AVX2 __m256i column_mask(size_t nr, int high) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i limit = _mm256_set1_epi32((int)nr - (high ? 8 : 0));
    return _mm256_cmpgt_epi32(limit, lane);
}

/* One row count R (compile-time after inlining) of the tile kernel. */
CK_INLINE CK_TARGET_AVX2 void tile_rows(size_t k, const float *restrict a, size_t lda,
                                        const float *restrict b, const float *restrict bias,
                                        float *restrict c, size_t ldc, size_t nr, int relu,
                                        const int R) {
    __m256 c0[6], c1[6];
    const float *ar[6];
    for (int r = 0; r < R; ++r) {
        c0[r] = _mm256_setzero_ps();
        c1[r] = _mm256_setzero_ps();
        ar[r] = a + (size_t)r * lda;
    }
#pragma GCC unroll 4
    for (size_t p = 0; p < k; ++p) {
        const __m256 b0 = _mm256_loadu_ps(b);
        const __m256 b1 = _mm256_loadu_ps(b + 8);
        for (int r = 0; r < R; ++r) {
            const __m256 av = _mm256_broadcast_ss(ar[r] + p);
            c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
        }
        b += 16;
    }
    const __m256 bias0 = _mm256_loadu_ps(bias), bias1 = _mm256_loadu_ps(bias + 8);
    const __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < R; ++r) {
        c0[r] = _mm256_add_ps(c0[r], bias0);
        c1[r] = _mm256_add_ps(c1[r], bias1);
        if (relu) { /* max(v, +0) returns +0 for −0 and NaN, as `v > 0 ? v : 0` does */
            c0[r] = _mm256_max_ps(c0[r], zero);
            c1[r] = _mm256_max_ps(c1[r], zero);
        }
    }
    if (nr == 16) {
        for (int r = 0; r < R; ++r) {
            _mm256_storeu_ps(c + (size_t)r * ldc, c0[r]);
            _mm256_storeu_ps(c + (size_t)r * ldc + 8, c1[r]);
        }
        return;
    }
    const __m256i m0 = column_mask(nr, 0), m1 = column_mask(nr, 1);
    for (int r = 0; r < R; ++r) {
        _mm256_maskstore_ps(c + (size_t)r * ldc, m0, c0[r]);
        if (nr > 8) _mm256_maskstore_ps(c + (size_t)r * ldc + 8, m1, c1[r]);
    }
}

CK_TARGET_AVX2 void mlp_tile_avx2_6x16(size_t k, const float *restrict a, size_t lda,
                                       const float *restrict b, const float *restrict bias,
                                       float *restrict c, size_t ldc, size_t mr, size_t nr,
                                       int relu) {
    switch (mr) {
    case 6: tile_rows(k, a, lda, b, bias, c, ldc, nr, relu, 6); break;
    case 5: tile_rows(k, a, lda, b, bias, c, ldc, nr, relu, 5); break;
    case 4: tile_rows(k, a, lda, b, bias, c, ldc, nr, relu, 4); break;
    case 3: tile_rows(k, a, lda, b, bias, c, ldc, nr, relu, 3); break;
    case 2: tile_rows(k, a, lda, b, bias, c, ldc, nr, relu, 2); break;
    case 1: tile_rows(k, a, lda, b, bias, c, ldc, nr, relu, 1); break;
    default: break;
    }
}

/* Σ of each of eight vectors' lanes, as one vector: [Σv0, Σv1, …, Σv7]. */
CK_INLINE CK_TARGET_AVX2 __m256 lane_sums8(const __m256 v[8]) {
    const __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
    const __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    /* u0 = [lo sums of v0…v3 | hi sums of v0…v3], u1 likewise for v4…v7. */
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                         _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* e^x for x ≤ 0 (Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-5 polynomial; ~1 ulp).
 * x is clamped at −87 so that 2^n stays a normal float: below it e^x < 2e-38. */
CK_INLINE CK_TARGET_AVX2 __m256 exp_nonpositive(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f),
                                                     _mm256_set1_ps(0.5f)));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* The logistic as ck_sigmoid_forward computes it: e = e^−|z|, 1/(1+e) or e/(1+e). */
CK_INLINE CK_TARGET_AVX2 __m256 sigmoid8(__m256 z) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 e = exp_nonpositive(_mm256_or_ps(z, sign)); /* −|z| */
    const __m256 r = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    const __m256 y = _mm256_blendv_ps(r, _mm256_mul_ps(e, r), _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ));
    /* A NaN logit (overflow inside the network) stays NaN, as in ck_sigmoid_forward. */
    return _mm256_blendv_ps(y, z, _mm256_cmp_ps(z, z, _CMP_UNORD_Q));
}

CK_TARGET_AVX2 void mlp_dot_avx2(float *restrict y, const float *restrict a, size_t lda,
                                 const float *restrict w, float bias, size_t rows, size_t k,
                                 ck_act act) {
    const size_t k8 = k & ~(size_t)7;
    const __m256i tail = column_mask(k - k8, 0);
    const __m256 wt = _mm256_maskload_ps(w + k8, tail);
    /* A last group of fewer than 8 rows keeps the zero accumulators of its missing rows
       and stores only its own lanes, so every row is summed in the same order. */
    for (size_t r = 0; r < rows; r += 8) {
        const size_t count = rows - r < 8 ? rows - r : 8;
        __m256 acc[8];
        for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
        if (count == 8) { /* eight independent FMA chains */
            for (size_t p = 0; p < k8; p += 8) {
                const __m256 wv = _mm256_loadu_ps(w + p);
                for (int i = 0; i < 8; ++i)
                    acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(a + (r + i) * lda + p), wv, acc[i]);
            }
        } else {
            for (size_t i = 0; i < count; ++i) {
                for (size_t p = 0; p < k8; p += 8)
                    acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(a + (r + i) * lda + p),
                                             _mm256_loadu_ps(w + p), acc[i]);
            }
        }
        if (k8 < k) {
            for (size_t i = 0; i < count; ++i)
                acc[i] = _mm256_fmadd_ps(_mm256_maskload_ps(a + (r + i) * lda + k8, tail), wt, acc[i]);
        }
        __m256 sums = _mm256_add_ps(lane_sums8(acc), _mm256_set1_ps(bias));
        if (act == CK_ACT_RELU) sums = _mm256_max_ps(sums, _mm256_setzero_ps());
        if (act == CK_ACT_SIGMOID) sums = sigmoid8(sums);
        if (count == 8) {
            _mm256_storeu_ps(y + r, sums);
        } else {
            _mm256_maskstore_ps(y + r, column_mask(count, 0), sums);
        }
    }
}
#endif
