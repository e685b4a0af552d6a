/*
 * gemm_ukr_scalar.c: portable 4×8 SGEMM micro-kernel (plain C, any CPU).
 *
 * C(mr×nr) := alpha·Σ_p a[p*4 + r]·b[p*rsb + j] + beta·C, with a packed 4 rows per
 * k step (zero-padded) and b 8 contiguous floats per k step. beta == 0 never reads C.
 * The fixed 4×8 accumulator lets the compiler keep it in registers and vectorise
 * with the baseline ISA (SSE2 / NEON) without any target flags.
 */
#include "ck_internal.h"

void sgemm_ukr_scalar_4x8(size_t k, float alpha, const float *restrict a,
                          const float *restrict b, size_t rsb, float beta,
                          float *restrict c, size_t ldc, size_t mr, size_t nr) {
    float acc[4][8] = {{0}};
    for (size_t p = 0; p < k; ++p) {
        for (int r = 0; r < 4; ++r) {
            const float ar = a[r];
            for (int j = 0; j < 8; ++j) acc[r][j] += ar * b[j];
        }
        a += 4;
        b += rsb;
    }
    for (size_t r = 0; r < mr; ++r) {
        float *restrict row = c + r * ldc;
        if (beta == 0.0f) {
            for (size_t j = 0; j < nr; ++j) row[j] = alpha * acc[r][j];
        } else {
            for (size_t j = 0; j < nr; ++j) row[j] = alpha * acc[r][j] + beta * row[j];
        }
    }
}
