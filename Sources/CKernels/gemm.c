/*
 * gemm.c: the SGEMM driver shared by all ISAs, and the OpenBLAS route.
 *
 * C(m×n) := alpha·op(A)·op(B) + beta·C, row-major, any leading dimensions.
 * BLIS-style blocking: for each nc-wide column block of C and kc-deep slice of k,
 * op(B) is packed into NR-wide k-panels (kc×nc, stays in L2/L3); for each mc-tall row
 * block, op(A) is packed into MR-tall k-panels (mc×kc, stays in L2); the micro-kernel
 * then sweeps the NR panels (each kc×NR panel stays in L1 across the MR slivers).
 * Transposition is absorbed by the packing: after it every variant sees the same layout.
 * Only the first k slice applies beta; later slices accumulate (beta = 1).
 * Packing buffers live in one thread-local, 64-byte aligned scratch area that grows on
 * demand and is freed at thread exit, so concurrent calls from many threads are safe.
 */
#include <limits.h>
#include <pthread.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <stdlib.h>
#include <string.h>
#include "ck_blas.h"

#include "ckernels.h"
#include "ck_internal.h"

#define CK_INLINE static inline __attribute__((always_inline))

/*
 * {ukr, MR, NR, KC, MC, NC}. The kc×NR B panel must stay in the 32 KB L1 (24 KB for
 * avx2), the mc×kc A block in L2 (288 KB), the kc×nc B block in L2/L3. A deep kc
 * means fewer passes over C, which is what limits 2048³ (measured on Zen: kc 384
 * beat 256 by ~3%).
 */
static const ck_sgemm_variant k_scalar = {sgemm_ukr_scalar_4x8, 4, 8, 256, 128, 2048};
#if defined(__x86_64__)
static const ck_sgemm_variant k_avx2 = {sgemm_ukr_avx2_6x16, 6, 16, 384, 192, 2048};
/* For op(B) at most 8 wide (AVX2 and AVX-512 CPUs alike): 8×8 tiles, no padded columns. */
static const ck_sgemm_variant k_avx2_narrow = {sgemm_ukr_avx2_8x8, 8, 8, 384, 192, 2048};
/* kc = 192 keeps the 24 KB B panel plus a 6 KB A sliver within Zen 4's 32 KB L1. */
static const ck_sgemm_variant k_avx512 = {sgemm_ukr_avx512_8x32, 8, 32, 192, 256, 2048};
#endif

/*
 * Untransposed B whose k slice spans at most this many floats (kc·ldb) is not packed:
 * the kernel reads its rows in place. Such a slice stays in L2 and its row stride is
 * small enough not to alias in L1, and small problems are where packing costs most.
 */
#ifndef CK_B_INPLACE_FLOATS
#define CK_B_INPLACE_FLOATS (16 * 1024)
#endif

/* ------------------------------------------------------------- scratch area */

#define CK_HUGE_PAGE ((size_t)2 << 20)
static size_t round_up_bytes(size_t x, size_t q) { return (x + q - 1) / q * q; }

static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local float *t_scratch;
static _Thread_local size_t t_scratch_floats;

static void scratch_key_init(void) { (void)pthread_key_create(&g_scratch_key, free); }

/* The calling thread's scratch of at least `floats` floats, or NULL if out of memory. */
static float *scratch(size_t floats) {
    if (floats <= t_scratch_floats) return t_scratch;
    pthread_once(&g_scratch_once, scratch_key_init);
    free(t_scratch);
    t_scratch = NULL;
    t_scratch_floats = 0;
    void *p = NULL;
    size_t bytes = floats * sizeof(float);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* A large packing area (a kc × nc panel of B is 6 MiB) spans more 4 KiB pages than
       the L2 TLB maps (1,536 entries on Zen): ask for transparent huge pages, 2 MiB
       aligned, where the system hands them out on request (THP "madvise" mode). */
    if (bytes >= CK_HUGE_PAGE) {
        bytes = round_up_bytes(bytes, CK_HUGE_PAGE); /* all of it usable by later calls */
        if (posix_memalign(&p, CK_HUGE_PAGE, bytes) != 0) p = NULL;
        if (p) (void)madvise(p, bytes, MADV_HUGEPAGE);
    } else
#endif
    if (posix_memalign(&p, CK_PACK_ALIGN, bytes) != 0) p = NULL;
    (void)pthread_setspecific(g_scratch_key, p); /* frees it when the thread exits */
    if (p == NULL) return NULL;
    t_scratch = p;
    t_scratch_floats = bytes / sizeof(float);
    return t_scratch;
}

static size_t round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Splits `total` into equal blocks of at most `cap`, each a multiple of `q`. */
static size_t block_size(size_t total, size_t cap, size_t q) {
    const size_t blocks = (total + cap - 1) / cap;
    return round_up((total + blocks - 1) / blocks, q);
}

/* ------------------------------------------------------------------ packing */

/*
 * Rows in the sliver that starts `left` rows before the block's end. A short last
 * sliver runs few accumulator chains (latency-bound), so a remainder of MR+1…2MR−1
 * rows is split into two near-equal slivers instead (32 rows at MR 6: 6,6,6,6,4,4).
 */
static size_t sliver_rows(size_t left, size_t MR) {
    if (left >= 2 * MR || left <= MR) return left < MR ? left : MR;
    return (left + 1) / 2;
}

/* op(A)(i,p) for i < mc, p < kc  →  MR-row slivers: dst[sliver*MR*kc + p*MR + r]. */
CK_INLINE void pack_a_mr(size_t mc, size_t kc, const float *restrict a, size_t lda, int ta,
                         int simd, float *restrict dst, const size_t MR) {
    size_t rows;
    for (size_t i0 = 0; i0 < mc; i0 += rows, dst += MR * kc) {
        rows = sliver_rows(mc - i0, MR);
        if (ta) { /* rows are contiguous within each k step */
            for (size_t p = 0; p < kc; ++p) {
                const float *restrict s = a + p * lda + i0;
                float *restrict d = dst + p * MR;
                if (rows == MR) {
                    for (size_t r = 0; r < MR; ++r) d[r] = s[r];
                } else {
                    for (size_t r = 0; r < MR; ++r) d[r] = r < rows ? s[r] : 0.0f;
                }
            }
            continue;
        }
#if defined(__x86_64__)
        if (simd && MR <= 8) {
            sgemm_pack_rows8_avx2(kc, rows, a + i0 * lda, lda, dst, MR);
            continue;
        }
#endif
        (void)simd;
        for (size_t r = 0; r < MR; ++r) {
            if (r < rows) {
                const float *restrict s = a + (i0 + r) * lda;
                for (size_t p = 0; p < kc; ++p) dst[p * MR + r] = s[p];
            } else {
                for (size_t p = 0; p < kc; ++p) dst[p * MR + r] = 0.0f;
            }
        }
    }
}

/* op(B)(p,j) for p < kc, j < nc  →  NR-column panels: dst[panel*NR*kc + p*NR + j]. */
CK_INLINE void pack_b_nr(size_t kc, size_t nc, const float *restrict b, size_t ldb, int tb,
                         int simd, float *restrict dst, const size_t NR) {
    for (size_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
        const size_t cols = min_sz(NR, nc - j0);
        if (!tb) { /* columns are contiguous within each k step */
            for (size_t p = 0; p < kc; ++p) {
                const float *restrict s = b + p * ldb + j0;
                float *restrict d = dst + p * NR;
                if (cols == NR) {
                    for (size_t j = 0; j < NR; ++j) d[j] = s[j];
                } else {
                    for (size_t j = 0; j < NR; ++j) d[j] = j < cols ? s[j] : 0.0f;
                }
            }
            continue;
        }
#if defined(__x86_64__)
        if (simd && NR % 8 == 0) {
            for (size_t h = 0; h < NR; h += 8) {
                const size_t rows = cols > h ? min_sz(8, cols - h) : 0;
                sgemm_pack_rows8_avx2(kc, rows, b + (j0 + h) * ldb, ldb, dst + h, NR);
            }
            continue;
        }
#endif
        (void)simd;
        for (size_t j = 0; j < NR; ++j) {
            if (j < cols) {
                const float *restrict s = b + (j0 + j) * ldb;
                for (size_t p = 0; p < kc; ++p) dst[p * NR + j] = s[p];
            } else {
                for (size_t p = 0; p < kc; ++p) dst[p * NR + j] = 0.0f;
            }
        }
    }
}

/* Constant MR / NR per variant so the copy loops unroll. */
static void pack_a(const ck_sgemm_variant *v, size_t mc, size_t kc, const float *a,
                   size_t lda, int ta, int simd, float *dst) {
    switch (v->mr) {
    case 4: pack_a_mr(mc, kc, a, lda, ta, simd, dst, 4); break;
    case 6: pack_a_mr(mc, kc, a, lda, ta, simd, dst, 6); break;
    default: pack_a_mr(mc, kc, a, lda, ta, simd, dst, 8); break;
    }
}

static void pack_b(const ck_sgemm_variant *v, size_t kc, size_t nc, const float *b,
                   size_t ldb, int tb, int simd, float *dst) {
    switch (v->nr) {
    case 8: pack_b_nr(kc, nc, b, ldb, tb, simd, dst, 8); break;
    case 16: pack_b_nr(kc, nc, b, ldb, tb, simd, dst, 16); break;
    default: pack_b_nr(kc, nc, b, ldb, tb, simd, dst, 32); break;
    }
}

/* ------------------------------------------------------------------- driver */

/* C := beta·C, never reading C when beta == 0. */
static void scale_c(size_t m, size_t n, float beta, float *c, size_t ldc) {
    if (beta == 1.0f) return;
    for (size_t i = 0; i < m; ++i) {
        float *row = c + i * ldc;
        if (beta == 0.0f) {
            memset(row, 0, n * sizeof(float));
        } else {
            for (size_t j = 0; j < n; ++j) row[j] *= beta;
        }
    }
}

/* Unblocked fallback for when the scratch area cannot be allocated. */
static void gemm_naive(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                       const float *a, size_t lda, const float *b, size_t ldb, float beta,
                       float *c, size_t ldc) {
    for (size_t i = 0; i < m; ++i) {
        for (size_t j = 0; j < n; ++j) {
            float s = 0.0f;
            for (size_t p = 0; p < k; ++p) {
                s += (ta ? a[p * lda + i] : a[i * lda + p]) *
                     (tb ? b[j * ldb + p] : b[p * ldb + j]);
            }
            c[i * ldc + j] = beta == 0.0f ? alpha * s : alpha * s + beta * c[i * ldc + j];
        }
    }
}

static void gemm_native(const ck_sgemm_variant *v, int simd_pack, int ta, int tb, size_t m,
                        size_t n, size_t k, float alpha, const float *a, size_t lda,
                        const float *b, size_t ldb, float beta, float *c, size_t ldc) {
    const size_t MR = v->mr, NR = v->nr;
    const size_t kc_max = block_size(k, v->kc, 1);
    const size_t mc_max = block_size(m, v->mc, MR);
    const size_t nc_max = block_size(n, v->nc, NR);
    /* A gets 8 floats of slack: the AVX packer stores whole 8-float k steps. */
    const size_t a_floats = round_up(mc_max * kc_max + 8, CK_PACK_ALIGN / sizeof(float));
    float *const ap = scratch(a_floats + nc_max * kc_max);
    if (ap == NULL) {
        gemm_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    float *const bp = ap + a_floats;
    const ck_sgemm_ukr_fn ukr = v->ukr;
    /* Small untransposed B is read in place (see CK_B_INPLACE_FLOATS). */
    const int b_inplace = !tb && kc_max * ldb <= CK_B_INPLACE_FLOATS;

    for (size_t jc = 0; jc < n; jc += nc_max) {
        const size_t nc = min_sz(nc_max, n - jc);
        for (size_t pc = 0; pc < k; pc += kc_max) {
            const size_t kc = min_sz(kc_max, k - pc);
            const float beta_p = pc == 0 ? beta : 1.0f;
            const float *const bblk = tb ? b + jc * ldb + pc : b + pc * ldb + jc;
            if (!b_inplace) pack_b(v, kc, nc, bblk, ldb, tb, simd_pack, bp);
            for (size_t ic = 0; ic < m; ic += mc_max) {
                const size_t mc = min_sz(mc_max, m - ic);
                pack_a(v, mc, kc, ta ? a + pc * lda + ic : a + ic * lda + pc, lda, ta,
                       simd_pack, ap);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    const size_t nr = min_sz(NR, nc - jr);
                    const float *bpanel = bp + jr * kc;
                    size_t rsb = NR;
                    if (b_inplace && nr == NR) {
                        bpanel = bblk + jr;
                        rsb = ldb;
                    } else if (b_inplace) { /* the edge panel still needs its zero padding */
                        pack_b(v, kc, nr, bblk + jr, ldb, 0, 0, bp);
                        bpanel = bp;
                    }
                    const float *apanel = ap;
                    size_t mr;
                    for (size_t ir = 0; ir < mc; ir += mr, apanel += MR * kc) {
                        mr = sliver_rows(mc - ir, MR);
                        ukr(kc, alpha, apanel, bpanel, rsb, beta_p, c + (ic + ir) * ldc + jc + jr,
                            ldc, mr, nr);
                    }
                }
            }
        }
    }
}

/* ------------------------------------------------------------------ routing */

/*
 * CK_ISA_AUTO, per shape. Measured single-threaded on this Zen AVX2 machine (recs-bench
 * gemm, one run, ratios to OpenBLAS): our kernel is ≥ 1.0× on the training shapes
 * (32/256×128×64, 256×64×128: OpenBLAS pays fixed per-call costs), 0.95–1.03× at
 * 1024³–2048³ (noise), 0.97–0.98× for a single row (1×1682×64), but only 0.37–0.46× for a
 * single column (1682×1×8, 4096×1×64, 17617×1×32: matrix-vector products, where OpenBLAS
 * switches to its GEMV kernels and our packing of a 1-wide panel is pure overhead; NeuMF's
 * and two-tower's scorers issue exactly these). Very narrow products are alike: at
 * 256×4×16 and 256×2×64 (all transpositions) OpenBLAS was 1.3–3× ours, where packing A
 * costs as much as the few FMAs each element feeds; from n = 5 to 8 our 8×8 kernel is on
 * par (256×8×16: 10.8–11.3 vs 7.9–9.2 GFLOP/s; 16×8×256: 12.4–14.6 vs 12.4–14.2). So:
 * OpenBLAS for n ≤ 4 (with m ≥ 16, where the call cost is repaid), our best SIMD kernel
 * otherwise, and OpenBLAS everywhere when we have no SIMD kernel (scalar-only CPUs, arm64
 * until NEON lands).
 */
ck_isa ck_auto_isa(size_t m, size_t n, size_t k) {
    (void)k;
    const ck_isa native = ck_native_isa();
    if (native == CK_ISA_SCALAR) return CK_ISA_BLAS;
    if (n <= 4 && m >= 16) return CK_ISA_BLAS;
    return native;
}

static int fits_int(size_t x) { return x <= (size_t)INT_MAX; }

/* The native variant that `isa` runs for a product n wide (simd_pack: the AVX packer). */
static const ck_sgemm_variant *pick_variant(ck_isa isa, size_t n, int *simd_pack) {
    const ck_sgemm_variant *v = &k_scalar;
    *simd_pack = 0;
#if defined(__x86_64__)
    if (isa == CK_ISA_AVX512) v = &k_avx512;
    if (isa == CK_ISA_AVX2) v = &k_avx2;
    if ((isa == CK_ISA_AVX2 || isa == CK_ISA_AVX512) && n <= 8) v = &k_avx2_narrow;
    *simd_pack = isa != CK_ISA_SCALAR && ck_isa_available(CK_ISA_AVX2);
#else
    (void)isa;
    (void)n;
#endif
    return v;
}

/*
 * Small products on the AVX2 kernels skip packing A: when op(A) fits in L2 (m·k ≤
 * CK_DIRECT_A_FLOATS) and k in one slice, the direct kernels read A in place (either
 * transposition: one broadcast per row and k step), B is read in place when small and
 * untransposed (as in gemm_native) or else packed once. Same FMA chains, same results.
 * Measured on Zen (NeuMF's training shapes, 256×32×64 and its transposes): the packing of A
 * cost 15–20 % of those GEMMs' time.
 */
#ifndef CK_DIRECT_A_FLOATS
#define CK_DIRECT_A_FLOATS (64 * 1024)
#endif

static int direct_fits(const ck_sgemm_variant *v, size_t m, size_t n, size_t k) {
#if defined(__x86_64__)
    return (v == &k_avx2 || v == &k_avx2_narrow) && k <= v->kc && n <= v->nc &&
           m * k <= CK_DIRECT_A_FLOATS;
#else
    (void)v; (void)m; (void)n; (void)k;
    return 0;
#endif
}

/* C := alpha·op(A)·op(B) + beta·C (+ bias, ReLU) by the direct kernels; 0 if the scratch
 * area could not be had (nothing written). Requires direct_fits(v, m, n, k). */
static int gemm_direct(const ck_sgemm_variant *v, int ta, int tb, size_t m, size_t n, size_t k,
                       float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                       float beta, float *c, size_t ldc, const float *bias, int relu) {
#if defined(__x86_64__)
    const size_t MR = v->mr, NR = v->nr;
    const size_t cols = round_up(n, NR);
    const int b_inplace = !tb && k * ldb <= CK_B_INPLACE_FLOATS;
    /* packed B (all panels, or the edge panel), then the padded bias */
    const size_t b_floats = round_up((b_inplace ? NR : cols) * k + 8, CK_PACK_ALIGN / sizeof(float));
    float *const bp = scratch(b_floats + (bias ? cols : 0));
    if (bp == NULL) return 0;
    float *const bias_pad = bp + b_floats;
    if (bias) {
        for (size_t j = 0; j < cols; ++j) bias_pad[j] = j < n ? bias[j] : 0.0f;
    }
    if (!b_inplace) pack_b(v, k, n, b, ldb, tb, 1, bp);
    const int wide = NR == 16;
    for (size_t jr = 0; jr < n; jr += NR) {
        const size_t nr = min_sz(NR, n - jr);
        const float *bpanel;
        size_t rsb = NR;
        if (!b_inplace) {
            bpanel = bp + jr * k;
        } else if (nr == NR) {
            bpanel = b + jr;
            rsb = ldb;
        } else { /* the edge panel still needs its zero padding */
            pack_b(v, k, nr, b + jr, ldb, 0, 0, bp);
            bpanel = bp;
        }
        const float *bias_j = bias ? bias_pad + jr : NULL;
        size_t mr;
        for (size_t ir = 0; ir < m; ir += mr) {
            mr = sliver_rows(m - ir, MR);
            const float *asl = ta ? a + ir : a + ir * lda;
            float *csl = c + ir * ldc + jr;
            if (wide)
                sgemm_direct_avx2_6x16(k, alpha, asl, lda, ta, bpanel, rsb, beta, csl, ldc, mr, nr,
                                       bias_j, relu);
            else
                sgemm_direct_avx2_8x8(k, alpha, asl, lda, ta, bpanel, rsb, beta, csl, ldc, mr, nr,
                                      bias_j, relu);
        }
    }
    return 1;
#else
    (void)v; (void)ta; (void)tb; (void)m; (void)n; (void)k; (void)alpha; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc; (void)bias; (void)relu;
    return 0;
#endif
}

int ck_sgemm_isa(ck_isa isa, ck_trans trans_a, ck_trans trans_b, size_t m, size_t n,
                 size_t k, float alpha, const float *a, size_t lda, const float *b,
                 size_t ldb, float beta, float *c, size_t ldc) {
    if (!ck_isa_available(isa)) return 0;
    if (m == 0 || n == 0) return 1;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return 1;
    }
    const int ta = trans_a == CK_TRANS, tb = trans_b == CK_TRANS;
    if (isa == CK_ISA_AUTO) isa = ck_auto_isa(m, n, k);
    if (isa == CK_ISA_BLAS) {
        if (fits_int(m) && fits_int(n) && fits_int(k) && fits_int(lda) && fits_int(ldb) &&
            fits_int(ldc)) {
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                        tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a,
                        (int)lda, b, (int)ldb, beta, c, (int)ldc);
            return 1;
        }
        isa = ck_native_isa(); /* cblas takes int sizes */
    }
    int simd_pack;
    const ck_sgemm_variant *v = pick_variant(isa, n, &simd_pack);
    if (direct_fits(v, m, n, k) &&
        gemm_direct(v, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, NULL, 0))
        return 1;
    gemm_native(v, simd_pack, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return 1;
}

void ck_linear_forward(float *y, const float *x, const float *w, const float *bias,
                       size_t rows, size_t inputs, size_t units, ck_act act) {
    if (rows == 0 || units == 0) return;
    ck_isa isa = ck_active_isa();
    if (isa == CK_ISA_AUTO) isa = ck_auto_isa(rows, units, inputs);
    if (inputs > 0 && (act == CK_ACT_RELU || act == CK_ACT_LINEAR) && isa != CK_ISA_BLAS &&
        ck_isa_available(isa)) {
        int simd_pack;
        const ck_sgemm_variant *v = pick_variant(isa, units, &simd_pack);
        if (direct_fits(v, rows, units, inputs)) {
            /* bias NULL and linear: a plain product; a zero bias would turn −0 into +0 */
            if (gemm_direct(v, 0, 0, rows, units, inputs, 1.0f, x, inputs, w, units, 0.0f, y,
                            units, bias, act == CK_ACT_RELU)) {
                if (bias == NULL && act == CK_ACT_RELU) ck_bias_act_forward(y, y, NULL, rows, units, act);
                return;
            }
        }
    }
    (void)ck_sgemm_isa(isa, CK_NO_TRANS, CK_NO_TRANS, rows, units, inputs, 1.0f, x, inputs, w,
                       units, 0.0f, y, units);
    ck_bias_act_forward(y, y, bias, rows, units, act);
}

void ck_sgemm(ck_trans trans_a, ck_trans trans_b, size_t m, size_t n, size_t k, float alpha,
              const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
              size_t ldc) {
    (void)ck_sgemm_isa(ck_active_isa(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                       beta, c, ldc);
}
