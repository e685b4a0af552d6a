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

CK_NO_MEMCPY_IDIOM
void ck_embedding_forward(const float *restrict table, size_t dim, const float *restrict ids,
                          size_t count, float *restrict out) {
    for (size_t i = 0; i < count; i++) {
        if (i + CK_PREFETCH_AHEAD < count)
            __builtin_prefetch(table + (size_t)ids[i + CK_PREFETCH_AHEAD] * dim);
        ck_copy_row(out + i * dim, table + (size_t)ids[i] * dim, dim);
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
            if (i + ahead < count) __builtin_prefetch(table + (size_t)ids[i + ahead] * dim);
            ck_copy_row(out + r * ldo + j * dim, table + (size_t)ids[i] * dim, dim);
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
                const size_t next = (size_t)ids[i + ahead];
                __builtin_prefetch(grad + next * dim, 1);
                __builtin_prefetch(stamps + next, 1);
            }
            const size_t row = (size_t)ids[i];
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

size_t ck_first_invalid_id(const float *x, size_t count, size_t stride, size_t limit) {
    const float top = (float)limit;
    for (size_t i = 0; i < count; i++) {
        const float v = x[i * stride];
        /* NaN fails every comparison; truncf keeps integers only */
        if (!(v >= 0.0f && v < top && v == truncf(v))) return i;
    }
    return count;
}
