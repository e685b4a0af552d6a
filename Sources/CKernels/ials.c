/*
 * Implicit ALS half-steps (Hu, Koren and Volinsky 2008). For each row r (a user, or an
 * item when solving the other side) with interactions {i} and confidences c_i ≥ 1:
 *   (YᵀY + λI + Σ_i (c_i − 1) y_i y_iᵀ) x_r = Σ_i c_i y_i
 * YᵀY + λI is precomputed once per half-step (yty_reg), so each row costs O(n_r·k) per
 * CG step (conjugate gradient, warm-started, as the `implicit` library does) or
 * O(n_r·k² + k³) for the exact Cholesky solve.
 *
 * Two variants of each solver, same math (same CG steps, same confidence weighting):
 *  - generic (CK_ISA_SCALAR): plain loops, vectorised by target clones; the exact solver
 *    builds each system with one ck_sgemm and solves it with LAPACKE sposv;
 *  - AVX2 + FMA (k a multiple of 8 for CG, of 16 for Cholesky). CG: the first pass of a
 *    row (the residual) reads the item vectors through cols and gathers them into a
 *    contiguous buffer, which the CG steps then re-read from L1/L2; each pass takes eight
 *    rows at a time (eight independent dot products sharing v's loads, one transposing
 *    horizontal sum, one sweep adding the eight scaled rows into the output); YᵀY·v runs
 *    by columns (broadcast v_j, FMA row j) with no horizontal sums. Exact: the system's
 *    upper triangle only (z_i = √(c_i − 1)·y_i; 6×16 and 8×8 register tiles read straight
 *    from the gathered rows, no packing, ~58% of the full GEMM's FMAs), then an in-place
 *    Cholesky with rank-4 trailing updates and two triangular solves (no LAPACK call).
 */
#include "ckernels.h"
#include "ck_internal.h"
#include "ck_vector.h"
#include "ck_blas.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if !defined(__APPLE__)
#include <lapacke.h>
#endif

/* ---------------------------------------------------------------- generic variant */

static inline float dot(const float *a, const float *b, size_t k) {
    float s = 0.0f;
    {
        /* Let clang split the sum over vector lanes (k is small, order barely matters). */
#pragma clang fp reassociate(on)
        for (size_t j = 0; j < k; j++) s += a[j] * b[j];
    }
    return s;
}

/* out = A·v for the symmetric k×k matrix A. */
static inline void symv(float *out, const float *a, const float *v, size_t k) {
    for (size_t i = 0; i < k; i++) out[i] = dot(a + i * k, v, k);
}

CK_CLONES
static void ck_ials_cg_generic(float *x, const float *y, const float *yty_reg, const int64_t *row_start,
                            const int32_t *cols, const float *conf, size_t row_begin, size_t row_end,
                            size_t k, int cg_steps) {
    float r[512], p[512], ap[512];
    for (size_t u = row_begin; u < row_end; u++) {
        float *xu = x + u * k;
        int64_t b = row_start[u], e = row_start[u + 1];
        /* r = b − A·x, with b = Σ c_i y_i and A·x = YᵀY·x + Σ (c_i − 1)(y_i·x) y_i. */
        symv(r, yty_reg, xu, k);
        for (size_t j = 0; j < k; j++) r[j] = -r[j];
        for (int64_t q = b; q < e; q++) {
            const float *yi = y + (size_t)cols[q] * k;
            float c = conf[q];
            float coef = c - (c - 1.0f) * dot(yi, xu, k);
            for (size_t j = 0; j < k; j++) r[j] += coef * yi[j];
        }
        memcpy(p, r, k * sizeof(float));
        float rs_old = dot(r, r, k);
        if (rs_old < 1e-20f) continue;
        for (int it = 0; it < cg_steps; it++) {
            symv(ap, yty_reg, p, k);
            for (int64_t q = b; q < e; q++) {
                const float *yi = y + (size_t)cols[q] * k;
                float coef = (conf[q] - 1.0f) * dot(yi, p, k);
                for (size_t j = 0; j < k; j++) ap[j] += coef * yi[j];
            }
            float alpha = rs_old / dot(p, ap, k);
            for (size_t j = 0; j < k; j++) { xu[j] += alpha * p[j]; r[j] -= alpha * ap[j]; }
            float rs_new = dot(r, r, k);
            if (rs_new < 1e-20f) break;
            float beta = rs_new / rs_old;
            for (size_t j = 0; j < k; j++) p[j] = r[j] + beta * p[j];
            rs_old = rs_new;
        }
    }
}

/* The longest row in [row_begin, row_end). */
static size_t longest_row(const int64_t *row_start, size_t row_begin, size_t row_end) {
    size_t longest = 0;
    for (size_t u = row_begin; u < row_end; u++) {
        size_t n = (size_t)(row_start[u + 1] - row_start[u]);
        if (n > longest) longest = n;
    }
    return longest;
}

/* ---------------------------------------------------------------- AVX2 + FMA variant */
#if defined(__x86_64__)

CK_TARGET_AVX2 static inline float hsum1(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_TARGET_AVX2 static inline float dot8(const float *a, const float *b, size_t k) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= k; j += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
    }
    if (j < k) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    return hsum1(_mm256_add_ps(s0, s1));
}

/* out = A·v (A symmetric k×k, k % 8 == 0) as Σ_j v_j·A[j,:]: 8-vector output blocks in
   registers, one broadcast and one FMA per row and block, no horizontal sums. */
CK_TARGET_AVX2 static inline void symv8(float *restrict out, const float *restrict a,
                                        const float *restrict v, size_t k) {
    for (size_t c = 0; c < k; c += 64) {
        size_t w = k - c < 64 ? (k - c) / 8 : 8;
        if (w == 8) {
            __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0, o4 = o0, o5 = o0, o6 = o0, o7 = o0;
            for (size_t j = 0; j < k; j++) {
                const float *row = a + j * k + c;
                __m256 s = _mm256_broadcast_ss(v + j);
                o0 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row), o0);
                o1 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 8), o1);
                o2 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 16), o2);
                o3 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 24), o3);
                o4 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 32), o4);
                o5 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 40), o5);
                o6 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 48), o6);
                o7 = _mm256_fmadd_ps(s, _mm256_loadu_ps(row + 56), o7);
            }
            _mm256_storeu_ps(out + c, o0); _mm256_storeu_ps(out + c + 8, o1);
            _mm256_storeu_ps(out + c + 16, o2); _mm256_storeu_ps(out + c + 24, o3);
            _mm256_storeu_ps(out + c + 32, o4); _mm256_storeu_ps(out + c + 40, o5);
            _mm256_storeu_ps(out + c + 48, o6); _mm256_storeu_ps(out + c + 56, o7);
        } else {
            for (size_t b = 0; b < w; b++) {
                __m256 o = _mm256_setzero_ps();
                for (size_t j = 0; j < k; j++)
                    o = _mm256_fmadd_ps(_mm256_broadcast_ss(v + j), _mm256_loadu_ps(a + j * k + c + 8 * b), o);
                _mm256_storeu_ps(out + c + 8 * b, o);
            }
        }
    }
}

/* {Σa_0, …, Σa_7} of eight 8-lane vectors. */
CK_TARGET_AVX2 static inline __m256 hsum8(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4,
                                          __m256 a5, __m256 a6, __m256 a7) {
    __m256 s01 = _mm256_hadd_ps(a0, a1), s23 = _mm256_hadd_ps(a2, a3);
    __m256 s45 = _mm256_hadd_ps(a4, a5), s67 = _mm256_hadd_ps(a6, a7);
    __m256 lo = _mm256_hadd_ps(s01, s23), hi = _mm256_hadd_ps(s45, s67); /* 0123|0123, 4567|4567 */
    return _mm256_add_ps(_mm256_permute2f128_ps(lo, hi, 0x20), _mm256_permute2f128_ps(lo, hi, 0x31));
}

/* out += Σ_i coef_i g_i over the n gathered rows g (n×k, k % 8 == 0), with t_i = g_i·v and
   coef_i = c_i − (c_i − 1)·t_i (residual) or (c_i − 1)·t_i (CG step). Eight rows at a
   time: eight independent dot products (enough chains to hide the FMA latency) share each
   load of v, one transposing horizontal sum gives the eight t_i, and one sweep over out
   adds the eight scaled rows, so out and v are loaded once per eight rows. */
CK_TARGET_AVX2 __attribute__((always_inline)) static inline void
pass8(float *restrict out, float *restrict g, const float *restrict conf, size_t n,
      const float *restrict v, size_t k, int residual, const float *restrict y,
      const int32_t *restrict cols) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float *g0 = g + i * k;
        /* Opaque to the optimiser: v and out are re-read from L1 each group rather than
           hoisted into registers for k = 64, which spilled the accumulators. */
        __asm__("" : "+r"(v), "+r"(out));
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        if (cols) {
            /* First pass of a row: read the item vectors from y and gather them into g on
               the way, prefetching the next group's rows. */
            const float *y0 = y + (size_t)cols[i] * k, *y1 = y + (size_t)cols[i + 1] * k;
            const float *y2 = y + (size_t)cols[i + 2] * k, *y3 = y + (size_t)cols[i + 3] * k;
            const float *y4 = y + (size_t)cols[i + 4] * k, *y5 = y + (size_t)cols[i + 5] * k;
            const float *y6 = y + (size_t)cols[i + 6] * k, *y7 = y + (size_t)cols[i + 7] * k;
            for (size_t q = i + 8; q < i + 16 && q < n; q++) {
                const char *ahead = (const char *)(y + (size_t)cols[q] * k);
                for (size_t o = 0; o < k * sizeof(float); o += 64) _mm_prefetch(ahead + o, _MM_HINT_T0);
            }
            for (size_t j = 0; j < k; j += 8) {
                __m256 vj = _mm256_loadu_ps(v + j), l;
                l = _mm256_loadu_ps(y0 + j); _mm256_storeu_ps(g0 + j, l); a0 = _mm256_fmadd_ps(l, vj, a0);
                l = _mm256_loadu_ps(y1 + j); _mm256_storeu_ps(g0 + k + j, l); a1 = _mm256_fmadd_ps(l, vj, a1);
                l = _mm256_loadu_ps(y2 + j); _mm256_storeu_ps(g0 + 2 * k + j, l); a2 = _mm256_fmadd_ps(l, vj, a2);
                l = _mm256_loadu_ps(y3 + j); _mm256_storeu_ps(g0 + 3 * k + j, l); a3 = _mm256_fmadd_ps(l, vj, a3);
                l = _mm256_loadu_ps(y4 + j); _mm256_storeu_ps(g0 + 4 * k + j, l); a4 = _mm256_fmadd_ps(l, vj, a4);
                l = _mm256_loadu_ps(y5 + j); _mm256_storeu_ps(g0 + 5 * k + j, l); a5 = _mm256_fmadd_ps(l, vj, a5);
                l = _mm256_loadu_ps(y6 + j); _mm256_storeu_ps(g0 + 6 * k + j, l); a6 = _mm256_fmadd_ps(l, vj, a6);
                l = _mm256_loadu_ps(y7 + j); _mm256_storeu_ps(g0 + 7 * k + j, l); a7 = _mm256_fmadd_ps(l, vj, a7);
            }
        } else {
            for (size_t j = 0; j < k; j += 8) {
                __m256 vj = _mm256_loadu_ps(v + j);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + j), vj, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + k + j), vj, a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 2 * k + j), vj, a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 3 * k + j), vj, a3);
                a4 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 4 * k + j), vj, a4);
                a5 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 5 * k + j), vj, a5);
                a6 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 6 * k + j), vj, a6);
                a7 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 7 * k + j), vj, a7);
            }
        }
        __m256 t = hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
        __m256 c = _mm256_loadu_ps(conf + i), w = _mm256_sub_ps(c, _mm256_set1_ps(1.0f));
        __m256 coef = residual ? _mm256_fnmadd_ps(w, t, c) : _mm256_mul_ps(w, t);
        float cf[8] __attribute__((aligned(32)));
        _mm256_store_ps(cf, coef);
        __m256 c0 = _mm256_broadcast_ss(cf), c1 = _mm256_broadcast_ss(cf + 1);
        __m256 c2 = _mm256_broadcast_ss(cf + 2), c3 = _mm256_broadcast_ss(cf + 3);
        __m256 c4 = _mm256_broadcast_ss(cf + 4), c5 = _mm256_broadcast_ss(cf + 5);
        __m256 c6 = _mm256_broadcast_ss(cf + 6), c7 = _mm256_broadcast_ss(cf + 7);
        for (size_t j = 0; j < k; j += 8) {
            __m256 o = _mm256_loadu_ps(out + j);
            o = _mm256_fmadd_ps(c0, _mm256_loadu_ps(g0 + j), o);
            o = _mm256_fmadd_ps(c1, _mm256_loadu_ps(g0 + k + j), o);
            o = _mm256_fmadd_ps(c2, _mm256_loadu_ps(g0 + 2 * k + j), o);
            o = _mm256_fmadd_ps(c3, _mm256_loadu_ps(g0 + 3 * k + j), o);
            o = _mm256_fmadd_ps(c4, _mm256_loadu_ps(g0 + 4 * k + j), o);
            o = _mm256_fmadd_ps(c5, _mm256_loadu_ps(g0 + 5 * k + j), o);
            o = _mm256_fmadd_ps(c6, _mm256_loadu_ps(g0 + 6 * k + j), o);
            o = _mm256_fmadd_ps(c7, _mm256_loadu_ps(g0 + 7 * k + j), o);
            _mm256_storeu_ps(out + j, o);
        }
    }
    for (; i < n; i++) {
        float *gi = g + i * k;
        if (cols) memcpy(gi, y + (size_t)cols[i] * k, k * sizeof(float));
        float t = dot8(gi, v, k), c = conf[i];
        __m256 cf = _mm256_set1_ps(residual ? c - (c - 1.0f) * t : (c - 1.0f) * t);
        for (size_t j = 0; j < k; j += 8)
            _mm256_storeu_ps(out + j, _mm256_fmadd_ps(cf, _mm256_loadu_ps(gi + j), _mm256_loadu_ps(out + j)));
    }
}

CK_TARGET_AVX2 __attribute__((always_inline)) static inline void
ials_cg_row8(float *restrict xu, float *restrict g, const float *restrict y,
             const int32_t *restrict cols, const float *restrict conf, size_t n,
             const float *restrict yty_reg, size_t k, int cg_steps, float *restrict r,
             float *restrict p, float *restrict ap) {
    /* r = Σ c_i y_i − A·x, with A·x = YᵀY·x + Σ (c_i − 1)(y_i·x) y_i. */
    symv8(r, yty_reg, xu, k);
    for (size_t j = 0; j < k; j++) r[j] = -r[j];
    pass8(r, g, conf, n, xu, k, 1, y, cols); /* also gathers the rows into g */
    memcpy(p, r, k * sizeof(float));
    float rs_old = dot8(r, r, k);
    if (rs_old < 1e-20f) return;
    for (int it = 0; it < cg_steps; it++) {
        symv8(ap, yty_reg, p, k);
        pass8(ap, g, conf, n, p, k, 0, NULL, NULL);
        float alpha = rs_old / dot8(p, ap, k);
        __m256 va = _mm256_set1_ps(alpha), rs = _mm256_setzero_ps();
        for (size_t j = 0; j < k; j += 8) {
            __m256 pj = _mm256_loadu_ps(p + j);
            _mm256_storeu_ps(xu + j, _mm256_fmadd_ps(va, pj, _mm256_loadu_ps(xu + j)));
            __m256 rj = _mm256_fnmadd_ps(va, _mm256_loadu_ps(ap + j), _mm256_loadu_ps(r + j));
            _mm256_storeu_ps(r + j, rj);
            rs = _mm256_fmadd_ps(rj, rj, rs);
        }
        float rs_new = hsum1(rs);
        if (rs_new < 1e-20f) break;
        __m256 vb = _mm256_set1_ps(rs_new / rs_old);
        for (size_t j = 0; j < k; j += 8)
            _mm256_storeu_ps(p + j, _mm256_fmadd_ps(vb, _mm256_loadu_ps(p + j), _mm256_loadu_ps(r + j)));
        rs_old = rs_new;
    }
}

CK_TARGET_AVX2 static int ials_cg_avx2(float *x, const float *y, const float *yty_reg,
                                       const int64_t *row_start, const int32_t *cols,
                                       const float *conf, size_t row_begin, size_t row_end,
                                       size_t k, int cg_steps) {
    size_t longest = longest_row(row_start, row_begin, row_end);
    float *g = NULL;
    size_t bytes = ((longest > 0 ? longest : 1) * k * sizeof(float) + 63) & ~(size_t)63;
    if (posix_memalign((void **)&g, 64, bytes) != 0) return -1;
    float r[512] __attribute__((aligned(32))), p[512] __attribute__((aligned(32))),
        ap[512] __attribute__((aligned(32)));
    for (size_t u = row_begin; u < row_end; u++) {
        int64_t b = row_start[u];
        size_t n = (size_t)(row_start[u + 1] - b);
        /* k = 64 (the common case) as a constant: fully unrolled inner loops. */
        if (k == 64) ials_cg_row8(x + u * k, g, y, cols + b, conf + b, n, yty_reg, 64, cg_steps, r, p, ap);
        else ials_cg_row8(x + u * k, g, y, cols + b, conf + b, n, yty_reg, k, cg_steps, r, p, ap);
    }
    free(g);
    return 0;
}

/* a[i·k + j] += Σ_q z_q[i]·z_q[j] for rows i0 ≤ i < i0 + MR and the 16 columns from j0:
   a 6×16 (or smaller) register tile, read straight from the row-major z. */
CK_TARGET_AVX2 __attribute__((always_inline)) static inline void
syrk_tile(float *restrict a, const float *restrict base, const float *restrict z, size_t n,
          size_t k, size_t i0, size_t j0, int mr) {
    __m256 c[6][2];
    for (int r = 0; r < 6; r++) c[r][0] = c[r][1] = _mm256_setzero_ps();
    for (size_t q = 0; q < n; q++) {
        const float *zq = z + q * k;
        __m256 b0 = _mm256_loadu_ps(zq + j0), b1 = _mm256_loadu_ps(zq + j0 + 8);
        for (int r = 0; r < mr; r++) {
            __m256 s = _mm256_broadcast_ss(zq + i0 + (size_t)r);
            c[r][0] = _mm256_fmadd_ps(s, b0, c[r][0]);
            c[r][1] = _mm256_fmadd_ps(s, b1, c[r][1]);
        }
    }
    for (int r = 0; r < mr; r++) {
        size_t o = (i0 + (size_t)r) * k + j0;
        _mm256_storeu_ps(a + o, _mm256_add_ps(_mm256_loadu_ps(base + o), c[r][0]));
        _mm256_storeu_ps(a + o + 8, _mm256_add_ps(_mm256_loadu_ps(base + o + 8), c[r][1]));
    }
}

/* The same for the 8×8 block at rows and columns i0 … i0 + 7 (a diagonal block's lower
   right quarter). */
CK_TARGET_AVX2 static inline void syrk_tile8x8(float *restrict a, const float *restrict base,
                                               const float *restrict z, size_t n, size_t k,
                                               size_t i0) {
    __m256 c[8];
    for (int r = 0; r < 8; r++) c[r] = _mm256_setzero_ps();
    for (size_t q = 0; q < n; q++) {
        const float *zq = z + q * k;
        __m256 b0 = _mm256_loadu_ps(zq + i0);
        for (int r = 0; r < 8; r++) c[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(zq + i0 + (size_t)r), b0, c[r]);
    }
    for (int r = 0; r < 8; r++) {
        size_t o = (i0 + (size_t)r) * k + i0;
        _mm256_storeu_ps(a + o, _mm256_add_ps(_mm256_loadu_ps(base + o), c[r]));
    }
}

/* a = base + zᵀz on (at least) the upper triangle, a and base row-major k×k (a ≠ base),
   z n×k with n ≥ 1, k % 16 == 0: per 16-column block, 6×16 tiles down to the block's
   diagonal quarter and one 8×8 tile for its last 8 rows (~58% of the full product's
   FMAs). Some entries below the diagonal are written too; the rest of the lower
   triangle is left as it was. Callers read only the upper triangle. */
CK_TARGET_AVX2 static void syrk_upper(float *restrict a, const float *restrict base,
                                      const float *restrict z, size_t n, size_t k) {
    const size_t chunk = 96; /* 96 rows of 64 floats: 24 KiB of z stays in L1 across tiles */
    for (size_t q0 = 0; q0 < n; q0 += chunk) {
        size_t m = n - q0 < chunk ? n - q0 : chunk;
        const float *zc = z + q0 * k, *from = q0 == 0 ? base : a;
        for (size_t j0 = 0; j0 < k; j0 += 16) {
            /* Rows above the block's diagonal quarter take all 16 columns; its last 8 rows
               only the 8 columns from the diagonal on. */
            size_t rows = j0 + 8, i0 = 0;
            syrk_tile8x8(a, from, zc, m, k, j0 + 8);
            for (; i0 + 6 <= rows; i0 += 6) syrk_tile(a, from, zc, m, k, i0, j0, 6);
            switch (rows - i0) {
            case 1: syrk_tile(a, from, zc, m, k, i0, j0, 1); break;
            case 2: syrk_tile(a, from, zc, m, k, i0, j0, 2); break;
            case 3: syrk_tile(a, from, zc, m, k, i0, j0, 3); break;
            case 4: syrk_tile(a, from, zc, m, k, i0, j0, 4); break;
            case 5: syrk_tile(a, from, zc, m, k, i0, j0, 5); break;
            default: break;
            }
        }
    }
}

/* Row u's system for the exact solver: a = yty_reg + Σ z_i z_iᵀ (upper triangle) with
   z_i = √(c_i − 1)·y_i gathered into z, and rhs = Σ c_i y_i. k % 16 == 0. */
CK_TARGET_AVX2 static void build_system_avx2(float *restrict a, float *restrict rhs,
                                             float *restrict z, const float *restrict y,
                                             const float *restrict yty_reg,
                                             const int32_t *restrict cols,
                                             const float *restrict conf, size_t n, size_t k) {
    memset(rhs, 0, k * sizeof(float));
    for (size_t q = 0; q < n; q++) {
        if (q + 4 < n) {
            const char *ahead = (const char *)(y + (size_t)cols[q + 4] * k);
            for (size_t o = 0; o < k * sizeof(float); o += 64) _mm_prefetch(ahead + o, _MM_HINT_T0);
        }
        const float *yi = y + (size_t)cols[q] * k;
        float c = conf[q];
        __m256 root = _mm256_set1_ps(sqrtf(c > 1.0f ? c - 1.0f : 0.0f)), vc = _mm256_set1_ps(c);
        for (size_t j = 0; j < k; j += 8) {
            __m256 v = _mm256_loadu_ps(yi + j);
            _mm256_storeu_ps(z + q * k + j, _mm256_mul_ps(root, v));
            _mm256_storeu_ps(rhs + j, _mm256_fmadd_ps(vc, v, _mm256_loadu_ps(rhs + j)));
        }
    }
    if (n == 0) memcpy(a, yty_reg, k * k * sizeof(float));
    else syrk_upper(a, yty_reg, z, n, k);
}

/* Solves a·x = b in b for the SPD row-major k×k a, reading only its upper triangle, which
   becomes U with a = UᵀU (Cholesky, right-looking in panels of four rows, so the trailing
   update is a rank-4 one over contiguous row segments), then Uᵀz = b and U·x = z by rows.
   Returns 0, or i + 1 when the leading minor of order i + 1 is not positive definite
   (as LAPACK's info). Replaces sposv for the small systems here, where OpenBLAS's
   blocking and copies cost more than the arithmetic. */
CK_TARGET_AVX2 static int chol_solve_upper(float *restrict a, float *restrict b, size_t k) {
#pragma clang fp reassociate(on)
    for (size_t i = 0; i < k; i += 4) {
        size_t nb = k - i < 4 ? k - i : 4;
        for (size_t t = 0; t < nb; t++) {
            size_t r = i + t;
            float d = a[r * k + r];
            if (!(d > 0.0f)) return (int)r + 1;
            d = sqrtf(d);
            float inv = 1.0f / d;
            float *ur = a + r * k;
            ur[r] = d;
            for (size_t c = r + 1; c < k; c++) ur[c] *= inv;
            for (size_t t2 = t + 1; t2 < nb; t2++) {
                size_t r2 = i + t2;
                float f = ur[r2], *a2 = a + r2 * k;
                for (size_t c = r2; c < k; c++) a2[c] -= f * ur[c];
            }
        }
        const float *u0 = a + i * k;
        if (nb == 4 && k % 8 == 0) {
            /* Whole vectors from the one holding the diagonal: the columns before r are in
               the lower triangle, which is scratch (never read), so they may change. */
            for (size_t r = i + 4; r < k; r++) {
                float *ar = a + r * k;
                __m256 f0 = _mm256_broadcast_ss(u0 + r), f1 = _mm256_broadcast_ss(u0 + k + r);
                __m256 f2 = _mm256_broadcast_ss(u0 + 2 * k + r), f3 = _mm256_broadcast_ss(u0 + 3 * k + r);
                for (size_t c = r & ~(size_t)7; c < k; c += 8) {
                    __m256 v0 = _mm256_fnmadd_ps(f0, _mm256_loadu_ps(u0 + c), _mm256_loadu_ps(ar + c));
                    __m256 v1 = _mm256_mul_ps(f1, _mm256_loadu_ps(u0 + k + c));
                    v0 = _mm256_fnmadd_ps(f2, _mm256_loadu_ps(u0 + 2 * k + c), v0);
                    v1 = _mm256_fmadd_ps(f3, _mm256_loadu_ps(u0 + 3 * k + c), v1);
                    _mm256_storeu_ps(ar + c, _mm256_sub_ps(v0, v1));
                }
            }
        } else {
            for (size_t r = i + nb; r < k; r++) {
                float *ar = a + r * k;
                for (size_t t = 0; t < nb; t++) {
                    const float *ut = u0 + t * k;
                    float f = ut[r];
                    for (size_t c = r; c < k; c++) ar[c] -= f * ut[c];
                }
            }
        }
    }
    for (size_t i = 0; i < k; i++) { /* Uᵀz = b, z in b */
        const float *ui = a + i * k;
        float zi = b[i] / ui[i];
        b[i] = zi;
        for (size_t c = i + 1; c < k; c++) b[c] -= ui[c] * zi;
    }
    for (size_t i = k; i-- > 0;) { /* U·x = z, x in b */
        const float *ui = a + i * k;
        float s = b[i];
        for (size_t c = i + 1; c < k; c++) s -= ui[c] * b[c];
        b[i] = s / ui[i];
    }
    return 0;
}
#endif

/* ---------------------------------------------------------------- entry points */

static int cg_avx2_usable(size_t k) {
#if defined(__x86_64__)
    return k % 8 == 0 && ck_isa_available(CK_ISA_AVX2);
#else
    (void)k;
    return 0;
#endif
}

static int cholesky_avx2_usable(size_t k) {
#if defined(__x86_64__)
    return k % 16 == 0 && ck_isa_available(CK_ISA_AVX2);
#else
    (void)k;
    return 0;
#endif
}

int ck_ials_solve_cg_isa(ck_isa isa, float *x, const float *y, const float *yty_reg,
                         const int64_t *row_start, const int32_t *cols, const float *conf,
                         size_t row_begin, size_t row_end, size_t k, int cg_steps) {
    if (k == 0 || k > 512) return -2; /* callers keep k ≤ 512 (checked in Swift) */
    if (isa == CK_ISA_AVX2 && !cg_avx2_usable(k)) return -2;
    if (isa != CK_ISA_SCALAR && cg_avx2_usable(k)) {
#if defined(__x86_64__)
        if (ials_cg_avx2(x, y, yty_reg, row_start, cols, conf, row_begin, row_end, k, cg_steps) == 0)
            return 0;
#endif
        /* No memory for the gather buffer: the generic loops need none. */
    }
    ck_ials_cg_generic(x, y, yty_reg, row_start, cols, conf, row_begin, row_end, k, cg_steps);
    return 0;
}

void ck_ials_solve_cg(float *x, const float *y, const float *yty_reg, const int64_t *row_start,
                      const int32_t *cols, const float *conf, size_t row_begin, size_t row_end,
                      size_t k, int cg_steps) {
    (void)ck_ials_solve_cg_isa(CK_ISA_AUTO, x, y, yty_reg, row_start, cols, conf, row_begin,
                               row_end, k, cg_steps);
}

int ck_ials_solve_cholesky_isa(ck_isa isa, float *x, const float *y, const float *yty_reg,
                               const int64_t *row_start, const int32_t *cols, const float *conf,
                               size_t row_begin, size_t row_end, size_t k, float *scratch) {
    if (isa == CK_ISA_AVX2 && !cholesky_avx2_usable(k)) return -2;
    int own_syrk = isa != CK_ISA_SCALAR && cholesky_avx2_usable(k);
    (void)own_syrk; /* x86-64 only */
    float *a = scratch, *rhs = scratch + k * k;
    /* Σ (c_i − 1) y_i y_iᵀ as Zᵀ·Z with rows z_i = √(c_i − 1)·y_i: far faster than rank-1
       updates for the short rows of a k×k system. */
    size_t longest = longest_row(row_start, row_begin, row_end);
    float *z = malloc((longest > 0 ? longest : 1) * k * sizeof(float));
    if (!z) return -1;
    int status = 0;
    for (size_t u = row_begin; u < row_end && status == 0; u++) {
        size_t n = (size_t)(row_start[u + 1] - row_start[u]);
#if defined(__x86_64__)
        if (own_syrk) {
            build_system_avx2(a, rhs, z, y, yty_reg, cols + row_start[u], conf + row_start[u], n, k);
        } else
#endif
        {
            memset(rhs, 0, k * sizeof(float));
            for (size_t q = 0; q < n; q++) {
                size_t p = (size_t)row_start[u] + q;
                const float *yi = y + (size_t)cols[p] * k;
                float c = conf[p], root = sqrtf(c > 1.0f ? c - 1.0f : 0.0f);
                for (size_t j = 0; j < k; j++) { z[q * k + j] = root * yi[j]; rhs[j] += c * yi[j]; }
            }
            memcpy(a, yty_reg, k * k * sizeof(float));
            ck_sgemm(CK_TRANS, CK_NO_TRANS, k, k, n, 1.0f, z, k, z, k, 1.0f, a, k);
        }
#if defined(__x86_64__)
        if (own_syrk) {
            status = chol_solve_upper(a, rhs, k);
            if (status == 0) memcpy(x + u * k, rhs, k * sizeof(float));
            continue;
        }
#endif
#if defined(__APPLE__)
        status = -1; /* Accelerate route not written yet: callers use CG on Apple. */
#else
        /* The row-major upper triangle (all that syrk_upper guarantees) is the column-major
           lower one; column-major avoids LAPACKE's copies, and the _work entry point skips
           its NaN scan of the matrix. */
        lapack_int info = LAPACKE_sposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)k, 1, a,
                                             (lapack_int)k, rhs, (lapack_int)k);
        if (info != 0) status = (int)info;
        else memcpy(x + u * k, rhs, k * sizeof(float));
#endif
    }
    free(z);
    return status;
}

int ck_ials_solve_cholesky(float *x, const float *y, const float *yty_reg,
                           const int64_t *row_start, const int32_t *cols, const float *conf,
                           size_t row_begin, size_t row_end, size_t k, float *scratch) {
    return ck_ials_solve_cholesky_isa(CK_ISA_AUTO, x, y, yty_reg, row_start, cols, conf,
                                      row_begin, row_end, k, scratch);
}
