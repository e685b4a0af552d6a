/*
 * Embedding gather/scatter and the element-wise product join (GMF, two-tower dot).
 * Ids arrive as floats: model inputs are float matrices; the Swift side has checked that
 * every id is an integer inside the table before a batch reaches these kernels.
 */
#include "ckernels.h"
#include "ck_internal.h"
#include "ck_vector.h"
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
void ck_embedding_backward(float *restrict grad, size_t dim, const float *restrict ids,
                           const float *restrict dy, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (i + CK_PREFETCH_AHEAD < count)
            __builtin_prefetch(grad + (size_t)ids[i + CK_PREFETCH_AHEAD] * dim, 1);
        float *g = grad + (size_t)ids[i] * dim;
        const float *d = dy + i * dim;
        for (size_t k = 0; k < dim; k++) g[k] += d[k];
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
