/*
 * Embedding gather/scatter and the element-wise product join (GMF, two-tower dot).
 * Ids arrive as floats: model inputs are float matrices; the Swift side has checked that
 * every id is an integer inside the table before a batch reaches these kernels.
 */
#include "ckernels.h"
#include "ck_internal.h"
#include "ck_vector.h"
#include <math.h>
#include <string.h>

/* An id's row: ids are integers below 2^24 (checked by the caller), so the one-instruction
 * float → int32 conversion gives the same value as the branchy float → size_t one. */
#define CK_ROW(id) ((size_t)(int32_t)(id))

CK_NO_MEMCPY_IDIOM
void ck_embedding_forward(const float *restrict table, size_t dim, const float *restrict ids,
                          size_t count, float *restrict out) {
    for (size_t i = 0; i < count; i++) {
        if (i + CK_PREFETCH_AHEAD < count)
            __builtin_prefetch(table + CK_ROW(ids[i + CK_PREFETCH_AHEAD]) * dim);
        ck_copy_row(out + i * dim, table + CK_ROW(ids[i]) * dim, dim);
    }
}

CK_CLONES
void ck_mul_forward(const float *restrict a, const float *restrict b, float *restrict out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

CK_CLONES
void ck_mul_backward(const float *restrict a, const float *restrict b, const float *restrict dy,
                     float *restrict da, float *restrict db, size_t n) {
    if (da) for (size_t i = 0; i < n; i++) da[i] = dy[i] * b[i];
    if (db) for (size_t i = 0; i < n; i++) db[i] = dy[i] * a[i];
}

CK_NO_MEMCPY_IDIOM
void ck_embedding_forward_ld(const float *restrict table, size_t dim, const float *restrict ids,
                             size_t rows, size_t per_row, float *restrict out, size_t ldo) {
    const size_t count = rows * per_row;
    const size_t ahead = dim <= 8 ? CK_PREFETCH_AHEAD_SHORT : CK_PREFETCH_AHEAD;
    size_t i = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < per_row; j++, i++) {
            if (i + ahead < count) __builtin_prefetch(table + CK_ROW(ids[i + ahead]) * dim);
            ck_copy_row(out + r * ldo + j * dim, table + CK_ROW(ids[i]) * dim, dim);
        }
    }
}

/* The add of one dy vector into a gradient row, for the common widths as whole vectors. */
static inline __attribute__((always_inline)) void add_row(float *restrict g,
                                                          const float *restrict d, size_t dim) {
    for (size_t k = 0; k < dim; k++) g[k] += d[k];
}

/* no_builtin: the per-row zeroing stays inline stores, not a memset call per 32-byte row */
CK_CLONES __attribute__((no_builtin("memset")))
size_t ck_embedding_backward_rows(float *restrict grad, size_t dim, const float *restrict ids,
                                  size_t rows, size_t per_row, const float *restrict dy,
                                  size_t ldy, uint32_t *restrict stamps, uint32_t stamp,
                                  int32_t *restrict list, size_t previous) {
    const size_t ahead = dim <= 8 ? CK_PREFETCH_AHEAD_SHORT : CK_PREFETCH_AHEAD;
    for (size_t r = 0; r < previous; r++) {
        if (r + ahead < previous) __builtin_prefetch(grad + (size_t)list[r + ahead] * dim, 1);
        float *g = grad + (size_t)list[r] * dim;
        for (size_t k = 0; k < dim; k++) g[k] = 0.0f;
    }
    const size_t count = rows * per_row;
    size_t touched = 0, i = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < per_row; j++, i++) {
            if (i + ahead < count) {
                const size_t next = CK_ROW(ids[i + ahead]);
                __builtin_prefetch(grad + next * dim, 1);
                __builtin_prefetch(stamps + next, 1);
            }
            const size_t row = CK_ROW(ids[i]);
            if (stamps[row] != stamp) {
                stamps[row] = stamp;
                list[touched++] = (int32_t)row;
            }
            float *g = grad + row * dim;
            const float *d = dy + r * ldy + j * dim;
            if (dim == 8) add_row(g, d, 8);
            else if (dim == 32) add_row(g, d, 32);
            else add_row(g, d, dim);
        }
    }
    return touched;
}

/* The first dy vector of a compact row: 0 + d, as the add into a cleared row gives (so a
 * −0 becomes +0 exactly as before). */
static inline __attribute__((always_inline)) void start_row(float *restrict g,
                                                            const float *restrict d, size_t dim) {
    for (size_t k = 0; k < dim; k++) g[k] = 0.0f + d[k];
}

/* The lazy table's gradient in compact rows (slot order = first-touch order). The sums
 * are formed in the same order and with the same operations as ck_embedding_backward_rows
 * forms them in the full table, so the values are bit-identical. */
static inline __attribute__((always_inline))
size_t backward_compact_body(float *restrict compact, size_t dim, const float *restrict ids,
                             size_t rows, size_t per_row, const float *restrict dy, size_t ldy,
                             uint32_t *restrict stamps, uint32_t stamp, int32_t *restrict slots,
                             int32_t *restrict list) {
    const size_t count = rows * per_row;
    size_t touched = 0, i = 0;
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < per_row; j++, i++) {
            if (i + CK_PREFETCH_AHEAD_SHORT < count) {
                const size_t next = CK_ROW(ids[i + CK_PREFETCH_AHEAD_SHORT]);
                __builtin_prefetch(stamps + next, 1);
                __builtin_prefetch(slots + next, 1);
            }
            const size_t row = CK_ROW(ids[i]);
            const float *d = dy + r * ldy + j * dim;
            if (stamps[row] != stamp) {
                stamps[row] = stamp;
                slots[row] = (int32_t)touched;
                list[touched] = (int32_t)row;
                float *g = compact + touched * dim;
                touched++;
                if (dim == 8) start_row(g, d, 8);
                else if (dim == 32) start_row(g, d, 32);
                else start_row(g, d, dim);
            } else {
                float *g = compact + (size_t)slots[row] * dim;
                if (dim == 8) add_row(g, d, 8);
                else if (dim == 32) add_row(g, d, 32);
                else add_row(g, d, dim);
            }
        }
    }
    return touched;
}

static size_t backward_compact_scalar(float *restrict compact, size_t dim, const float *restrict ids,
                                      size_t rows, size_t per_row, const float *restrict dy,
                                      size_t ldy, uint32_t *restrict stamps, uint32_t stamp,
                                      int32_t *restrict slots, int32_t *restrict list) {
    return backward_compact_body(compact, dim, ids, rows, per_row, dy, ldy, stamps, stamp, slots, list);
}

#if defined(__x86_64__)
CK_TARGET_AVX2
static size_t backward_compact_avx2(float *restrict compact, size_t dim, const float *restrict ids,
                                    size_t rows, size_t per_row, const float *restrict dy,
                                    size_t ldy, uint32_t *restrict stamps, uint32_t stamp,
                                    int32_t *restrict slots, int32_t *restrict list) {
    return backward_compact_body(compact, dim, ids, rows, per_row, dy, ldy, stamps, stamp, slots, list);
}
#endif

ptrdiff_t ck_embedding_backward_compact_isa(ck_isa isa, float *compact, size_t dim,
                                            const float *ids, size_t rows, size_t per_row,
                                            const float *dy, size_t ldy, uint32_t *stamps,
                                            uint32_t stamp, int32_t *slots, int32_t *list) {
    if (!ck_isa_available(isa)) return -1;
    const ck_isa chosen = isa == CK_ISA_AUTO ? ck_native_isa() : isa;
#if defined(__x86_64__)
    if ((chosen == CK_ISA_AVX2 || chosen == CK_ISA_AVX512) && ck_isa_available(CK_ISA_AVX2))
        return (ptrdiff_t)backward_compact_avx2(compact, dim, ids, rows, per_row, dy, ldy, stamps,
                                                stamp, slots, list);
#endif
    return (ptrdiff_t)backward_compact_scalar(compact, dim, ids, rows, per_row, dy, ldy, stamps,
                                              stamp, slots, list);
}

size_t ck_embedding_backward_compact(float *compact, size_t dim, const float *ids, size_t rows,
                                     size_t per_row, const float *dy, size_t ldy, uint32_t *stamps,
                                     uint32_t stamp, int32_t *slots, int32_t *list) {
    return (size_t)ck_embedding_backward_compact_isa(CK_ISA_AUTO, compact, dim, ids, rows, per_row,
                                                     dy, ldy, stamps, stamp, slots, list);
}

/* truncf is a libm call at -O2 baseline; the elementwise builtin vectorizes (same value). */
#if defined(__clang__) && __has_builtin(__builtin_elementwise_trunc)
#  define CK_TRUNC(x) __builtin_elementwise_trunc(x)
#else
#  define CK_TRUNC(x) truncf(x)
#endif

/* Whether every one of `n` ids (`stride` apart) is an integer in [0, top): no early exit,
 * so the loop vectorizes. NaN fails every comparison; trunc keeps integers only. */
static inline __attribute__((always_inline))
int ids_valid(const float *restrict x, size_t n, size_t stride, float top) {
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        const float v = x[k * stride];
        bad += (v >= 0.0f && v < top && v == CK_TRUNC(v)) ? 0 : 1;
    }
    return bad == 0;
}

/* Blocks of 64 ids checked without branches (strides 1 and 2 — one id column, or one
 * column of a packed pair — as constants); the first bad block, or the tail, is searched
 * one id at a time. */
static inline __attribute__((always_inline))
size_t first_invalid_body(const float *x, size_t count, size_t stride, size_t limit) {
    const float top = (float)limit;
    enum { BLOCK = 64 };
    size_t start = 0;
    for (; start + BLOCK <= count; start += BLOCK) {
        const float *b = x + start * stride;
        const int ok = stride == 1   ? ids_valid(b, BLOCK, 1, top)
                       : stride == 2 ? ids_valid(b, BLOCK, 2, top)
                                     : ids_valid(b, BLOCK, stride, top);
        if (!ok) break;
    }
    for (size_t i = start; i < count; i++) {
        const float v = x[i * stride];
        if (!(v >= 0.0f && v < top && v == CK_TRUNC(v))) return i;
    }
    return count;
}

static size_t first_invalid_scalar(const float *x, size_t count, size_t stride, size_t limit) {
    return first_invalid_body(x, count, stride, limit);
}

#if defined(__x86_64__)
CK_TARGET_AVX2
static size_t first_invalid_avx2(const float *x, size_t count, size_t stride, size_t limit) {
    return first_invalid_body(x, count, stride, limit);
}
#endif

ptrdiff_t ck_first_invalid_id_isa(ck_isa isa, const float *x, size_t count, size_t stride,
                                  size_t limit) {
    if (!ck_isa_available(isa)) return -1;
    const ck_isa chosen = isa == CK_ISA_AUTO ? ck_native_isa() : isa;
#if defined(__x86_64__)
    if ((chosen == CK_ISA_AVX2 || chosen == CK_ISA_AVX512) && ck_isa_available(CK_ISA_AVX2))
        return (ptrdiff_t)first_invalid_avx2(x, count, stride, limit);
#endif
    return (ptrdiff_t)first_invalid_scalar(x, count, stride, limit);
}

size_t ck_first_invalid_id(const float *x, size_t count, size_t stride, size_t limit) {
    return (size_t)ck_first_invalid_id_isa(CK_ISA_AUTO, x, count, stride, limit);
}
