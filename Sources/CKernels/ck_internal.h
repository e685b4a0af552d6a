/*
 * ck_internal.h: declarations shared by the CKernels sources, not exported.
 *
 * GEMM micro-kernels compute one MR×NR tile of C from packed operands:
 *   a: a k-panel of op(A), MR floats per k step (row r of step p at a[p*MR + r]),
 *      rows past the matrix edge zero-padded;
 *   b: a k-panel of op(B), NR contiguous floats per k step, steps `rsb` floats apart
 *      (rsb == NR when packed; ldb when B is read in place);
 *   C(mr×nr) := alpha·(a·b) + beta·C for the top-left mr ≤ MR rows and nr ≤ NR
 *      columns only; beta == 0 never reads C. Nothing outside mr×nr is touched.
 * SIMD code is compiled per function with target attributes, never with -m flags,
 * because SwiftPM passes none; callers check the CPU before calling.
 */
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H

#include <stddef.h>
#include "ckernels.h"

#if defined(__x86_64__) && !defined(CK_TARGET_AVX2)
#define CK_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define CK_TARGET_AVX512 __attribute__((target("avx512f")))
#endif

#define CK_HIDDEN __attribute__((visibility("hidden")))

/// Alignment (bytes) of packed buffers: one cache line, one zmm.
#define CK_PACK_ALIGN 64

/// A GEMM micro-kernel (see the contract above).
typedef void (*ck_sgemm_ukr_fn)(size_t k, float alpha, const float *restrict a,
                                const float *restrict b, size_t rsb, float beta,
                                float *restrict c, size_t ldc, size_t mr, size_t nr);

/// A native GEMM variant: its micro-kernel, register block and cache blocking.
/// kc: k-panel depth (a kc×NR B panel stays in L1); mc: rows of the packed A block
/// (mc×kc in L2); nc: columns of the packed B block (kc×nc in L2/L3).
typedef struct {
    ck_sgemm_ukr_fn ukr;
    size_t mr, nr, kc, mc, nc;
} ck_sgemm_variant;

CK_HIDDEN void sgemm_ukr_scalar_4x8(size_t k, float alpha, const float *restrict a,
                                    const float *restrict b, size_t rsb, float beta,
                                    float *restrict c, size_t ldc, size_t mr, size_t nr);
#if defined(__x86_64__)
CK_HIDDEN void sgemm_ukr_avx2_6x16(size_t k, float alpha, const float *restrict a,
                                   const float *restrict b, size_t rsb, float beta,
                                   float *restrict c, size_t ldc, size_t mr, size_t nr);
CK_HIDDEN void sgemm_ukr_avx2_8x8(size_t k, float alpha, const float *restrict a,
                                  const float *restrict b, size_t rsb, float beta,
                                  float *restrict c, size_t ldc, size_t mr, size_t nr);
CK_HIDDEN void sgemm_ukr_avx512_8x32(size_t k, float alpha, const float *restrict a,
                                     const float *restrict b, size_t rsb, float beta,
                                     float *restrict c, size_t ldc, size_t mr, size_t nr);
/// Direct kernels for small products (gemm.c's gemm_direct): as the 6×16 / 8×8 kernels,
/// but A is read in place, element (r, p) at a[r*lda + p] (ta == 0) or a[p*lda + r]
/// (ta == 1); optional bias (NR floats, padded; only with beta == 0) and ReLU applied in
/// registers before the store.
CK_HIDDEN void sgemm_direct_avx2_6x16(size_t k, float alpha, const float *restrict a,
                                      size_t lda, int ta, const float *restrict b, size_t rsb,
                                      float beta, float *restrict c, size_t ldc, size_t mr,
                                      size_t nr, const float *restrict bias, int relu);
CK_HIDDEN void sgemm_direct_avx2_8x8(size_t k, float alpha, const float *restrict a,
                                     size_t lda, int ta, const float *restrict b, size_t rsb,
                                     float beta, float *restrict c, size_t ldc, size_t mr,
                                     size_t nr, const float *restrict bias, int relu);
/// Dense inference tile (mlp.c): C(mr×nr) := relu?(A·B + bias), mr ≤ 6, nr ≤ 16, A
/// row-major (row r at a + r·lda, read in place), B a packed k×16 panel, bias 16 floats
/// (zero-padded); columns past nr are not stored.
CK_HIDDEN void mlp_tile_avx2_6x16(size_t k, const float *restrict a, size_t lda,
                                  const float *restrict b, const float *restrict bias,
                                  float *restrict c, size_t ldc, size_t mr, size_t nr,
                                  int relu);
/// One-output dense layer: y[r] := act(a row r · w + bias) for r < rows (a row-major,
/// lda); act ReLU or sigmoid is applied in registers, any other act is left to the caller.
CK_HIDDEN void mlp_dot_avx2(float *restrict y, const float *restrict a, size_t lda,
                            const float *restrict w, float bias, size_t rows, size_t k,
                            ck_act act);
/// dst[p*dst_stride + r] := a[r*lda + p] (r < rows ≤ 8, zero up to 8): AVX transposes.
/// Stores 8 floats per k step, so dst needs 8 − dst_stride floats of slack at its end.
CK_HIDDEN void sgemm_pack_rows8_avx2(size_t k, size_t rows, const float *restrict a,
                                     size_t lda, float *restrict dst, size_t dst_stride);
#endif

#include <string.h>

/// Rows this far ahead are prefetched by the gather/scatter loops over random table rows
/// (embedding lookups, lazy optimizer rows, shuffled batches), whose addresses the
/// hardware prefetcher cannot guess.
#define CK_PREFETCH_AHEAD 8
/// The same for loops over short rows (≤ 8 floats: GMF-sized embeddings, ids), where 8
/// rows ahead is too little work to cover a miss to L3 or memory.
#define CK_PREFETCH_AHEAD_SHORT 24

#define CK_NO_MEMCPY_IDIOM __attribute__((no_builtin("memcpy")))

/// Copies one row of n floats. Rows in gathers are short (an id pair, an 8- or 32-float
/// embedding), where a libc memcpy call per row costs more than the copy: constant-size
/// copies inline to a few moves (a loop of 8-float copies would not: clang turns it back
/// into one memcpy call). Callers carry CK_NO_MEMCPY_IDIOM so that their row loops stay
/// loops too.
static inline __attribute__((always_inline)) void ck_copy_row(float *restrict dst,
                                                               const float *restrict src, size_t n) {
    switch (n) {
    case 1: dst[0] = src[0]; return;
    case 2: __builtin_memcpy(dst, src, 2 * sizeof(float)); return;
    case 4: __builtin_memcpy(dst, src, 4 * sizeof(float)); return;
    case 8: __builtin_memcpy(dst, src, 8 * sizeof(float)); return;
    case 16: __builtin_memcpy(dst, src, 16 * sizeof(float)); return;
    case 32: __builtin_memcpy(dst, src, 32 * sizeof(float)); return;
    case 64: __builtin_memcpy(dst, src, 64 * sizeof(float)); return;
    default: memcpy(dst, src, n * sizeof(float)); return;
    }
}

#endif
