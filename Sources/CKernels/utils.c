/*
 * Small memory kernels: a finiteness check (for NaN guards in training), row gathers
 * (for shuffled mini-batches), an elementwise sum (for summing per-thread gradient arenas)
 * and the counters that coordinate a data-parallel training step.
 */
#include "ckernels.h"
#include "ck_internal.h"
#include "ck_vector.h"
#include <sched.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
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

CK_NO_MEMCPY_IDIOM
void ck_gather_rows(float *restrict dst, const float *restrict src, const int64_t *index,
                    size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        if (r + CK_PREFETCH_AHEAD < rows) __builtin_prefetch(src + (size_t)index[r + CK_PREFETCH_AHEAD] * cols);
        ck_copy_row(dst + r * cols, src + (size_t)index[r] * cols, cols);
    }
}

CK_NO_MEMCPY_IDIOM
void ck_copy_block(float *restrict dst, size_t ldd, const float *restrict src, size_t lds,
                   size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) ck_copy_row(dst + r * ldd, src + r * lds, cols);
}

CK_CLONES
int ck_rows_finite(const float *x, const int32_t *rows, size_t row_count, size_t width) {
    /* Eight lanes, so 8- and 32-float rows check as whole vectors. */
    float acc[8] = {0};
    size_t wide = width / 8 * 8;
    for (size_t r = 0; r < row_count; r++) {
        const float *row = x + (size_t)rows[r] * width;
        for (size_t k = 0; k < wide; k += 8)
            for (size_t l = 0; l < 8; l++) acc[l] += row[k + l] * 0.0f;
        for (size_t k = wide; k < width; k++) acc[0] += row[k] * 0.0f;
    }
    float sum = 0.0f;
    for (size_t l = 0; l < 8; l++) sum += acc[l];
    return sum == 0.0f;
}

CK_CLONES
void ck_add(float *restrict y, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

/* Step coordination for data-parallel training: GCC/clang atomic builtins on plain
 * int64_t (so Swift can hold the counters in ordinary memory). */
int64_t ck_counter_add(int64_t *counter, int64_t delta) {
    return __atomic_add_fetch(counter, delta, __ATOMIC_ACQ_REL);
}

int64_t ck_counter_load(const int64_t *counter) {
    return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

void ck_counter_store(int64_t *counter, int64_t value) {
    __atomic_store_n(counter, value, __ATOMIC_RELEASE);
}

static inline void ck_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void ck_counter_wait(const int64_t *counter, int64_t target) {
    /* A short spin covers the usual case (the other thread is a few µs behind); then
     * yield the core, so a waiting thread does not starve the one it waits for (or other
     * processes) on a loaded machine. */
    for (int spin = 0; spin < 4000; spin++) {
        if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) >= target) return;
        ck_cpu_relax();
    }
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < target) sched_yield();
}

void ck_advise_huge_pages(void *p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Products with a mostly-zero left operand (the dropped-out bag-of-items input of an
 * autoencoder): only the nonzero entries of A are visited, each one adding a scaled row
 * of the other operand. */
size_t ck_count_nonzero(const float *x, size_t n) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += x[i] != 0.0f;
    return count;
}

CK_CLONES
void ck_sgemm_sparse_a(size_t m, size_t n, size_t k, const float *restrict a,
                       const float *restrict b, float *restrict c) {
    for (size_t r = 0; r < m; r++) {
        float *restrict cr = c + r * n;
        memset(cr, 0, n * sizeof(float));
        for (size_t p = 0; p < k; p++) {
            const float v = a[r * k + p];
            if (v == 0.0f) continue;
            const float *restrict bp = b + p * n;
            for (size_t j = 0; j < n; j++) cr[j] += v * bp[j];
        }
    }
}

/* Whether column p of A (m×k) holds a nonzero entry, for the 64 columns from p0 (fewer at
 * the end): bit p − p0 of the result. */
static uint64_t sparse_columns_touched(size_t m, size_t k, const float *restrict a, size_t p0) {
    const size_t width = k - p0 < 64 ? k - p0 : 64;
    uint64_t touched = 0;
    for (size_t r = 0; r < m; r++) {
        const float *restrict ar = a + r * k + p0;
        for (size_t j = 0; j < width; j++) touched |= (uint64_t)(ar[j] != 0.0f) << j;
    }
    return touched;
}

CK_CLONES
void ck_sgemm_sparse_at(size_t m, size_t n, size_t k, const float *restrict a,
                        const float *restrict d, float *restrict c,
                        const float *restrict w, float decay) {
    if (w == NULL) {
        memset(c, 0, k * n * sizeof(float));
    } else {
        /* A row no input reads is decay·w at once (0 + decay·w rounds the same); a row some
         * input reads starts at 0 and gets decay·w after its products, as a separate pass
         * would add it. */
        for (size_t p0 = 0; p0 < k; p0 += 64) {
            const uint64_t touched = sparse_columns_touched(m, k, a, p0);
            const size_t width = k - p0 < 64 ? k - p0 : 64;
            for (size_t j = 0; j < width; j++) {
                float *restrict cp = c + (p0 + j) * n;
                if ((touched >> j) & 1) {
                    memset(cp, 0, n * sizeof(float));
                } else {
                    const float *restrict wp = w + (p0 + j) * n;
                    for (size_t i = 0; i < n; i++) cp[i] = decay * wp[i];
                }
            }
        }
    }
    for (size_t r = 0; r < m; r++) {
        const float *restrict dr = d + r * n;
        for (size_t p = 0; p < k; p++) {
            const float v = a[r * k + p];
            if (v == 0.0f) continue;
            float *restrict cp = c + p * n;
            for (size_t j = 0; j < n; j++) cp[j] += v * dr[j];
        }
    }
    if (w == NULL) return;
    for (size_t p0 = 0; p0 < k; p0 += 64) {
        uint64_t touched = sparse_columns_touched(m, k, a, p0);
        while (touched) {
            const size_t p = p0 + (size_t)__builtin_ctzll(touched);
            touched &= touched - 1;
            float *restrict cp = c + p * n;
            const float *restrict wp = w + p * n;
            for (size_t i = 0; i < n; i++) {
                const float penalty = decay * wp[i];   /* two roundings, as the separate pass */
                cp[i] = cp[i] + penalty;
            }
        }
    }
}

void ck_sub_diagonal_product(float *y, const float *x, const float *w, size_t m, size_t n) {
    for (size_t r = 0; r < m; r++) {
        float *yr = y + r * n;
        const float *xr = x + r * n;
        for (size_t i = 0; i < n; i++) {
            if (xr[i] != 0.0f) yr[i] -= xr[i] * w[i * n + i];
        }
    }
}
