/*
 * Implicit ALS half-steps (Hu, Koren and Volinsky 2008). For each row r (a user, or an
 * item when solving the other side) with interactions {i} and confidences c_i ≥ 1:
 *   (YᵀY + λI + Σ_i (c_i − 1) y_i y_iᵀ) x_r = Σ_i c_i y_i
 * YᵀY + λI is precomputed once per half-step (yty_reg), so each row costs O(n_r·k) per
 * CG step (conjugate gradient, warm-started, as the `implicit` library does) or
 * O(n_r·k² + k³) for the exact Cholesky solve.
 */
#include "ckernels.h"
#include "ck_vector.h"
#include "ck_blas.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if !defined(__APPLE__)
#include <lapacke.h>
#endif

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
void ck_ials_solve_cg(float *x, const float *y, const float *yty_reg, const int64_t *row_start,
                      const int32_t *cols, const float *conf, size_t row_begin, size_t row_end,
                      size_t k, int cg_steps) {
    float r[512], p[512], ap[512];
    if (k > 512) return; /* callers keep k ≤ 512 (checked in Swift) */
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

int ck_ials_solve_cholesky(float *x, const float *y, const float *yty_reg,
                           const int64_t *row_start, const int32_t *cols, const float *conf,
                           size_t row_begin, size_t row_end, size_t k, float *scratch) {
    float *a = scratch, *rhs = scratch + k * k;
    /* Σ (c_i − 1) y_i y_iᵀ as one GEMM Zᵀ·Z with rows z_i = √(c_i − 1)·y_i: far faster than
       rank-1 updates for the short rows of a k×k system. */
    size_t longest = 0;
    for (size_t u = row_begin; u < row_end; u++) {
        size_t n = (size_t)(row_start[u + 1] - row_start[u]);
        if (n > longest) longest = n;
    }
    float *z = malloc((longest > 0 ? longest : 1) * k * sizeof(float));
    if (!z) return -1;
    int status = 0;
    for (size_t u = row_begin; u < row_end && status == 0; u++) {
        size_t n = (size_t)(row_start[u + 1] - row_start[u]);
        memset(rhs, 0, k * sizeof(float));
        for (size_t q = 0; q < n; q++) {
            size_t p = (size_t)row_start[u] + q;
            const float *yi = y + (size_t)cols[p] * k;
            float c = conf[p], root = sqrtf(c > 1.0f ? c - 1.0f : 0.0f);
            for (size_t j = 0; j < k; j++) { z[q * k + j] = root * yi[j]; rhs[j] += c * yi[j]; }
        }
        memcpy(a, yty_reg, k * k * sizeof(float));
        ck_sgemm(CK_TRANS, CK_NO_TRANS, k, k, n, 1.0f, z, k, z, k, 1.0f, a, k);
#if defined(__APPLE__)
        status = -1; /* Accelerate route not written yet: callers use CG on Apple. */
#else
        /* Symmetric, so row- and column-major agree: column-major avoids LAPACKE's copies, and
           the _work entry point skips its NaN scan of the matrix. */
        lapack_int info = LAPACKE_sposv_work(LAPACK_COL_MAJOR, 'U', (lapack_int)k, 1, a,
                                             (lapack_int)k, rhs, (lapack_int)k);
        if (info != 0) status = (int)info;
        else memcpy(x + u * k, rhs, k * sizeof(float));
#endif
    }
    free(z);
    return status;
}

int ck_spd_inverse(float *a, size_t n) {
    if (n == 0) return 0;
#if defined(__APPLE__)
    (void)a;
    return -1;
#else
    lapack_int info = LAPACKE_spotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)n, a, (lapack_int)n);
    if (info != 0) return (int)info;
    info = LAPACKE_spotri(LAPACK_COL_MAJOR, 'U', (lapack_int)n, a, (lapack_int)n);
    if (info != 0) return (int)info;
    /* spotri fills the upper triangle (column-major), i.e. a[j*n + i] for i ≤ j; mirror it. */
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < j; i++) a[i * n + j] = a[j * n + i];
    return 0;
#endif
}
