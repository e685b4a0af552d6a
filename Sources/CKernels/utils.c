/*
 * Small memory kernels: a finiteness check (for NaN guards in training) and row gathers
 * (for shuffled mini-batches).
 */
#include "ckernels.h"
#include "ck_vector.h"
#include <string.h>

CK_CLONES
int ck_all_finite(const float *x, size_t n) {
    /* x·0 is 0 for finite x and NaN for ±Inf or NaN; sum them branch-free. */
    float acc = 0.0f;
    {
#pragma clang fp reassociate(on)
        for (size_t i = 0; i < n; i++) acc += x[i] * 0.0f;
    }
    return acc == 0.0f;
}

void ck_gather_rows(float *restrict dst, const float *restrict src, const int64_t *index,
                    size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        memcpy(dst + r * cols, src + (size_t)index[r] * cols, cols * sizeof(float));
}
