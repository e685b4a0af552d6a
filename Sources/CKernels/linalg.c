/*
 * linalg.c: dense symmetric solves through LAPACKE and OpenBLAS, and the sparse × dense
 * product that EASE builds its item weights with.
 *
 * Matrices are row-major, as everywhere in CKernels. A symmetric matrix is the same in
 * either order, so LAPACK's column-major upper Cholesky factor R (A = RᵀR) is, read
 * row-major, a lower factor L = Rᵀ with A = L·Lᵀ: no transposed copies are needed.
 */
#include "ckernels.h"
#include "ck_internal.h"
#include "ck_vector.h"
#include "ck_blas.h"

#if !defined(__APPLE__)
#include <lapacke.h>
#endif

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

int ck_spd_solve(float *a, size_t n, float *b, size_t nrhs) {
    if (n == 0 || nrhs == 0) return 0;
#if defined(__APPLE__)
    (void)a; (void)b;
    return -1;
#else
    lapack_int info = LAPACKE_spotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)n, a, (lapack_int)n);
    if (info != 0) return (int)info;
    /* Row-major, a now holds L (lower) with A = L·Lᵀ: solve L·W = B, then Lᵀ·X = W. */
    cblas_strsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                (blasint)n, (blasint)nrhs, 1.0f, a, (blasint)n, b, (blasint)nrhs);
    cblas_strsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit,
                (blasint)n, (blasint)nrhs, 1.0f, a, (blasint)n, b, (blasint)nrhs);
    return 0;
#endif
}

/// Columns per pass: the output block (8 KiB) stays in L1 while a row's terms stream in.
#define CSR_COLUMN_BLOCK 2048

CK_CLONES
void ck_csr_dense_rows(float *restrict out, size_t ldo, const int64_t *restrict row_start,
                       const int32_t *restrict cols, const float *restrict vals,
                       size_t row_begin, size_t row_end, const float *restrict dense,
                       size_t ldd, size_t n) {
    for (size_t r = row_begin; r < row_end; r++) {
        const int64_t p0 = row_start[r], p1 = row_start[r + 1];
        float *restrict o = out + r * ldo;
        for (size_t j0 = 0; j0 < n; j0 += CSR_COLUMN_BLOCK) {
            const size_t w = n - j0 < CSR_COLUMN_BLOCK ? n - j0 : CSR_COLUMN_BLOCK;
            float *restrict oj = o + j0;
            if (p0 == p1) {
                for (size_t j = 0; j < w; j++) oj[j] = 0;
                continue;
            }
            int64_t p = p0;
            {
                const float v = vals ? vals[p] : 1.0f;
                const float *restrict s = dense + (size_t)cols[p] * ldd + j0;
                for (size_t j = 0; j < w; j++) oj[j] = v * s[j];
                p++;
            }
            for (; p + 4 <= p1; p += 4) {
                const float v0 = vals ? vals[p] : 1.0f, v1 = vals ? vals[p + 1] : 1.0f;
                const float v2 = vals ? vals[p + 2] : 1.0f, v3 = vals ? vals[p + 3] : 1.0f;
                const float *restrict s0 = dense + (size_t)cols[p] * ldd + j0;
                const float *restrict s1 = dense + (size_t)cols[p + 1] * ldd + j0;
                const float *restrict s2 = dense + (size_t)cols[p + 2] * ldd + j0;
                const float *restrict s3 = dense + (size_t)cols[p + 3] * ldd + j0;
                for (size_t j = 0; j < w; j++)
                    oj[j] += (v0 * s0[j] + v1 * s1[j]) + (v2 * s2[j] + v3 * s3[j]);
            }
            for (; p < p1; p++) {
                const float v = vals ? vals[p] : 1.0f;
                const float *restrict s = dense + (size_t)cols[p] * ldd + j0;
                for (size_t j = 0; j < w; j++) oj[j] += v * s[j];
            }
        }
    }
}
