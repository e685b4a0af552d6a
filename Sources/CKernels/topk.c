/*
 * Top-k selection per row with exclusions: a min-heap of the k best (score, index)
 * pairs per row, where "better" is a higher score, or an equal score at a lower index.
 * Excluded columns (a list per row) go into a bitmap for the row and are checked only for
 * scores that would enter the heap. NaN scores count as −∞. Output is sorted best first.
 */
#include "ckernels.h"
#include "ck_internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline int better(float sa, int32_t ia, float sb, int32_t ib) {
    return sa > sb || (sa == sb && ia < ib);
}

/* Restores the heap (worst at the root) below position i. */
static void sift_down(float *hs, int32_t *hi, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(hs[w], hi[w], hs[l], hi[l])) w = l;
        if (r < n && better(hs[w], hi[w], hs[r], hi[r])) w = r;
        if (w == i) return;
        float ts = hs[i]; hs[i] = hs[w]; hs[w] = ts;
        int32_t ti = hi[i]; hi[i] = hi[w]; hi[w] = ti;
        i = w;
    }
}

static void sift_up(float *hs, int32_t *hi, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(hs[p], hi[p], hs[i], hi[i])) return;
        float ts = hs[i]; hs[i] = hs[p]; hs[p] = ts;
        int32_t ti = hi[i]; hi[i] = hi[p]; hi[p] = ti;
        i = p;
    }
}

/* Offers column j with score v to the heap of the n (≤ k) best so far. */
static inline void offer(float *hs, int32_t *ids, size_t *n, size_t k, float v, int32_t j) {
    if (v != v) v = -INFINITY;
    if (*n < k) {
        hs[*n] = v; ids[*n] = j;
        sift_up(hs, ids, *n);
        (*n)++;
    } else if (better(v, j, hs[0], ids[0])) {
        hs[0] = v; ids[0] = j;
        sift_down(hs, ids, *n, 0);
    }
}

/* Whether column j is excluded in this row: one bit test in the row's exclusion bitmap
   (set from the list before the scan and cleared after it). A binary search in the list
   cost several mispredicted branches per lookup, and a heavy user's seen items are
   exactly the high scorers that reach this test. */
static inline int excluded(const uint64_t *bits, int32_t j) {
    return (int)((bits[(uint32_t)j >> 6] >> ((uint32_t)j & 63)) & 1);
}

#if defined(__x86_64__)
/* Once the heap is full, most scores lose to its root: test 8 at a time against it
   (ordered ≥, so NaN, which counts as −∞, never passes) and only look further at the lanes
   of a block with a winner: is the column excluded (a bit test), else offer it. Returns
   the first column not scanned. */
__attribute__((target("avx2")))
static size_t scan_avx2(const float *s, size_t j, size_t cols, float *hs, int32_t *ids, size_t *n,
                        size_t k, const uint64_t *bits, const int32_t *map) {
    while (j + 8 <= cols) {
        unsigned mask = (unsigned)_mm256_movemask_ps(
            _mm256_cmp_ps(_mm256_loadu_ps(s + j), _mm256_set1_ps(hs[0]), _CMP_GE_OQ));
        while (mask) {
            unsigned lane = (unsigned)__builtin_ctz(mask);
            mask &= mask - 1;
            float v = s[j + lane];
            int32_t col = map ? map[j + lane] : (int32_t)(j + lane);
            if (v >= hs[0] && !excluded(bits, col)) offer(hs, ids, n, k, v, col);
        }
        j += 8;
    }
    return j;
}
#endif

/* One row. Column j stands for id map[j] (j itself when map is NULL): ids are what the
   heap orders ties by, what the exclusions name and what the output holds; they lie in
   [0, id_count), the bitmap's range. */
static void topk_row(int32_t *ids, float *out, const float *s, size_t cols, size_t k,
                     const int32_t *ex, size_t nex, float *hs, int simd, uint64_t *bits,
                     const int32_t *map, size_t id_count) {
    size_t n = 0, j = 0;
    for (size_t q = 0; q < nex; q++)
        if (ex[q] >= 0 && (size_t)ex[q] < id_count) bits[(uint32_t)ex[q] >> 6] |= 1ull << ((uint32_t)ex[q] & 63);
    /* Fill the heap with the first k columns not excluded. */
    for (; j < cols && n < k; j++) {
        int32_t id = map ? map[j] : (int32_t)j;
        if (excluded(bits, id)) continue;
        offer(hs, ids, &n, k, s[j], id);
    }
    /* Then one pass over the rest: a score below the current k-th best (the heap root) is
       rejected with one comparison (8 at a time with AVX2); only scores that would enter
       the heap are checked against the exclusions. A row with many seen items is thus one
       straight scan, not a walk through the gaps between them. */
#if defined(__x86_64__)
    if (simd && n == k) j = scan_avx2(s, j, cols, hs, ids, &n, k, bits, map);
#else
    (void)simd;
#endif
    for (; j < cols; j++) {
        float v = s[j];
        if (n == k && v < hs[0]) continue;
        int32_t id = map ? map[j] : (int32_t)j;
        if (excluded(bits, id)) continue;
        offer(hs, ids, &n, k, v, id);
    }
    for (size_t q = 0; q < nex; q++)
        if (ex[q] >= 0 && (size_t)ex[q] < id_count) bits[(uint32_t)ex[q] >> 6] = 0;
    /* Pop worst-first into the tail: the output ends sorted best first. */
    size_t filled = n;
    while (n > 0) {
        n--;
        float ws = hs[0]; int32_t wi = ids[0];
        hs[0] = hs[n]; ids[0] = ids[n];
        sift_down(hs, ids, n, 0);
        hs[n] = ws; ids[n] = wi;
    }
    for (size_t i = filled; i < k; i++) { ids[i] = -1; hs[i] = -INFINITY; }
    if (out) for (size_t i = 0; i < k; i++) out[i] = hs[i];
}

void ck_topk(int32_t *out_ids, float *out_scores, const float *scores, size_t rows,
             size_t cols, size_t ld, size_t k, const int64_t *exclude_offsets,
             const int32_t *exclude_items) {
    ck_topk_mapped(out_ids, out_scores, scores, rows, cols, ld, k, exclude_offsets, exclude_items,
                   NULL, cols);
}

void ck_topk_mapped(int32_t *out_ids, float *out_scores, const float *scores, size_t rows,
                    size_t cols, size_t ld, size_t k, const int64_t *exclude_offsets,
                    const int32_t *exclude_items, const int32_t *col_ids, size_t id_count) {
    if (k == 0) return;
    float stack_heap[256];
    float *hs = stack_heap;
    float *heap_alloc = NULL;
    if (k > 256) {
        /* Large k is rare (serving asks for tens); only then is the heap allocated. */
        heap_alloc = malloc(k * sizeof(float));
        if (!heap_alloc) return;
        hs = heap_alloc;
    }
    /* The exclusion bitmap: one bit per id, zero between rows; on the stack up to 64k ids
       (8 KiB), else allocated once per call. */
    uint64_t stack_bits[1024];
    uint64_t *bits = stack_bits, *bits_alloc = NULL;
    size_t words = (id_count + 63) / 64;
    if (words > 1024) {
        bits_alloc = calloc(words, sizeof(uint64_t));
        if (!bits_alloc) { free(heap_alloc); return; }
        bits = bits_alloc;
    } else {
        memset(stack_bits, 0, words * sizeof(uint64_t));
    }
    const int simd = ck_isa_available(CK_ISA_AVX2);
    for (size_t r = 0; r < rows; r++) {
        const int32_t *ex = NULL;
        size_t nex = 0;
        if (exclude_offsets) {
            ex = exclude_items + exclude_offsets[r];
            nex = (size_t)(exclude_offsets[r + 1] - exclude_offsets[r]);
        }
        topk_row(out_ids + r * k, out_scores ? out_scores + r * k : NULL, scores + r * ld,
                 cols, k, ex, nex, hs, simd, bits, col_ids, id_count);
    }
    free(bits_alloc);
    free(heap_alloc);
}
