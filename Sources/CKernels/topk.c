/*
 * Top-k selection per row with exclusions: a min-heap of the k best (score, index)
 * pairs per row, where "better" is a higher score, or an equal score at a lower index.
 * Excluded columns (a list per row) go into a bitmap for the row and are checked only for
 * scores that would enter the heap. NaN scores count as −∞. Output is sorted best first.
 * ck_topk_dot (below) fuses dot-product scoring with the same selection.
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
                        size_t k, const uint64_t *bits) {
    while (j + 8 <= cols) {
        unsigned mask = (unsigned)_mm256_movemask_ps(
            _mm256_cmp_ps(_mm256_loadu_ps(s + j), _mm256_set1_ps(hs[0]), _CMP_GE_OQ));
        while (mask) {
            unsigned lane = (unsigned)__builtin_ctz(mask);
            mask &= mask - 1;
            float v = s[j + lane];
            int32_t col = (int32_t)(j + lane);
            if (v >= hs[0] && !excluded(bits, col)) offer(hs, ids, n, k, v, col);
        }
        j += 8;
    }
    return j;
}
#endif

/* Pops a heap of n (≤ k) entries worst-first into the tail, so the k slots end sorted best
   first; pads to k with id −1 and score −∞, and copies the scores to out (may be NULL). */
static void heap_finish(float *hs, int32_t *ids, size_t n, size_t k, float *out) {
    size_t filled = n;
    if (n <= 32) {
        /* A short list (top-10 is the common case) sorts faster by insertion than by
           popping the heap: same order, best first. */
        for (size_t i = 1; i < n; i++) {
            const float vs = hs[i];
            const int32_t vi = ids[i];
            size_t j = i;
            for (; j > 0 && better(vs, vi, hs[j - 1], ids[j - 1]); j--) { hs[j] = hs[j - 1]; ids[j] = ids[j - 1]; }
            hs[j] = vs; ids[j] = vi;
        }
        n = 0;
    }
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

/* One row of `cols` scores; column indices are what the heap orders ties by, what the
   exclusions name (those outside [0, cols) are ignored) and what the output holds. */
static void topk_row(int32_t *ids, float *out, const float *s, size_t cols, size_t k,
                     const int32_t *ex, size_t nex, float *hs, int simd, uint64_t *bits) {
    size_t n = 0, j = 0;
    for (size_t q = 0; q < nex; q++)
        if (ex[q] >= 0 && (size_t)ex[q] < cols) bits[(uint32_t)ex[q] >> 6] |= 1ull << ((uint32_t)ex[q] & 63);
    /* Fill the heap with the first k columns not excluded. */
    for (; j < cols && n < k; j++) {
        if (excluded(bits, (int32_t)j)) continue;
        offer(hs, ids, &n, k, s[j], (int32_t)j);
    }
    /* Then one pass over the rest: a score below the current k-th best (the heap root) is
       rejected with one comparison (8 at a time with AVX2); only scores that would enter
       the heap are checked against the exclusions. A row with many seen items is thus one
       straight scan, not a walk through the gaps between them. */
#if defined(__x86_64__)
    if (simd && n == k) j = scan_avx2(s, j, cols, hs, ids, &n, k, bits);
#else
    (void)simd;
#endif
    for (; j < cols; j++) {
        float v = s[j];
        if (n == k && v < hs[0]) continue;
        if (excluded(bits, (int32_t)j)) continue;
        offer(hs, ids, &n, k, v, (int32_t)j);
    }
    for (size_t q = 0; q < nex; q++)
        if (ex[q] >= 0 && (size_t)ex[q] < cols) bits[(uint32_t)ex[q] >> 6] = 0;
    heap_finish(hs, ids, n, k, out);
}

void ck_topk(int32_t *out_ids, float *out_scores, const float *scores, size_t rows,
             size_t cols, size_t ld, size_t k, const int64_t *exclude_offsets,
             const int32_t *exclude_items) {
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
    /* The exclusion bitmap: one bit per column, zero between rows; on the stack up to 64k
       columns (8 KiB), else allocated once per call. */
    uint64_t stack_bits[1024];
    uint64_t *bits = stack_bits, *bits_alloc = NULL;
    size_t words = (cols + 63) / 64;
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
                 cols, k, ex, nex, hs, simd, bits);
    }
    free(bits_alloc);
    free(heap_alloc);
}

/* ------------------------------------------------- dot-product scores fused with selection */

/* Items per panel and users per register tile: a 6×16 tile is 12 ymm accumulators. */
#define TD_NR 16
#define TD_MR 6
/* Users scored together against each panel (16 tiles): the panel (16·width floats) is read
   from memory once per group and stays in L1 for the group's tiles. */
#define TD_GROUP CK_TOPK_DOT_GROUP
_Static_assert((TD_GROUP + TD_MR - 1) / TD_MR < 32, "a group's tiles must fit a 32-bit mask (1u << tiles)");
/* Panels between two checks of the norm bound (and repacks of the users still scoring). */
#define TD_CHUNK 4

size_t ck_item_panels_count(size_t n, size_t width) {
    return (n + TD_NR - 1) / TD_NR * TD_NR * width;
}

void ck_pack_item_panels(float *panels, const float *items, size_t n, size_t width) {
    size_t np = (n + TD_NR - 1) / TD_NR;
    for (size_t p = 0; p < np; p++)
        for (size_t q = 0; q < width; q++)
            for (size_t l = 0; l < TD_NR; l++) {
                size_t j = p * TD_NR + l;
                panels[(p * width + q) * TD_NR + l] = j < n ? items[j * width + q] : 0.0f;
            }
}

/* A tile's scores c[r·16 + l] = Σ_q a[q·6 + r]·panel[q·16 + l] (a: 6 users packed k-step by
   k-step), each one FMA chain from +0 over q in order (so every variant rounds alike), and
   per row r the lanes whose score is ≥ thr[r] (hits[r], bit l; NaN never hits); returns
   the union of the hits. Only the first `rows` rows are computed (the rest get no hits):
   a last tile of 1 to 3 users costs half a tile. */
static unsigned td_tile_scalar(float *c, unsigned *hits, const float *a, const float *panel,
                               size_t width, const float *thr, size_t rows) {
    unsigned any = 0;
    for (size_t r = 0; r < TD_MR; r++) {
        unsigned h = 0;
        for (int l = 0; l < TD_NR && r < rows; l++) {
            float s = 0.0f;
            for (size_t q = 0; q < width; q++) s = fmaf(a[q * TD_MR + r], panel[q * TD_NR + l], s);
            c[r * TD_NR + l] = s;
            if (s >= thr[r]) h |= 1u << l;
        }
        hits[r] = h;
        any |= h;
    }
    return any;
}

#if defined(__x86_64__)
/* `mr` rows of the tile (a constant where inlined: 6 or 3); the scores are stored only when
   a lane hits or `store` asks. */
CK_TARGET_AVX2 __attribute__((always_inline))
static inline unsigned td_tile_avx2_rows(float *c, unsigned *hits, const float *a, const float *panel,
                                         size_t width, const float *thr, const int mr, int store) {
    __m256 c0[TD_MR], c1[TD_MR];
    for (int r = 0; r < mr; r++) c0[r] = c1[r] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (size_t q = 0; q < width; q++) {
        const __m256 b0 = _mm256_loadu_ps(panel), b1 = _mm256_loadu_ps(panel + 8);
        for (int r = 0; r < mr; r++) {
            const __m256 x = _mm256_broadcast_ss(a + r);
            c0[r] = _mm256_fmadd_ps(x, b0, c0[r]);
            c1[r] = _mm256_fmadd_ps(x, b1, c1[r]);
        }
        a += TD_MR;
        panel += TD_NR;
    }
    unsigned any = 0;
    for (int r = 0; r < mr; r++) {
        const __m256 t = _mm256_set1_ps(thr[r]);
        hits[r] = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(c0[r], t, _CMP_GE_OQ)) |
                  (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(c1[r], t, _CMP_GE_OQ)) << 8;
        any |= hits[r];
    }
    for (int r = mr; r < TD_MR; r++) hits[r] = 0;
    /* The scores are read only for a hit or while a heap fills: most tiles store nothing. */
    if (any || store)
        for (int r = 0; r < mr; r++) {
            _mm256_storeu_ps(c + r * TD_NR, c0[r]);
            _mm256_storeu_ps(c + r * TD_NR + 8, c1[r]);
        }
    return any;
}

#endif

/* One panel against the `slots` packed users of a group (tile t at pack + t·width·6): tile
   t's scores and hits go to c + t·96 and hits + t·6 as above; returns a mask with bit t set
   when tile t has a hit. One call per panel, the tiles' loop inlined. */
typedef unsigned (*td_panel_fn)(float *c, unsigned *hits, const float *pack, const float *panel,
                                size_t width, const float *thr, size_t slots, int store);

static unsigned td_panel_scalar(float *c, unsigned *hits, const float *pack, const float *panel,
                                size_t width, const float *thr, size_t slots, int store) {
    (void)store;
    unsigned mask = 0;
    for (size_t t = 0; t * TD_MR < slots; t++) {
        const size_t rows = slots - t * TD_MR < TD_MR ? slots - t * TD_MR : TD_MR;
        if (td_tile_scalar(c + t * TD_MR * TD_NR, hits + t * TD_MR, pack + t * width * TD_MR, panel, width,
                           thr + t * TD_MR, rows))
            mask |= 1u << t;
    }
    return mask;
}

#if defined(__x86_64__)
CK_TARGET_AVX2
static unsigned td_panel_avx2(float *c, unsigned *hits, const float *pack, const float *panel,
                              size_t width, const float *thr, size_t slots, int store) {
    unsigned mask = 0;
    size_t t = 0;
    for (; (t + 1) * TD_MR < slots; t++)
        if (td_tile_avx2_rows(c + t * TD_MR * TD_NR, hits + t * TD_MR, pack + t * width * TD_MR, panel, width,
                              thr + t * TD_MR, TD_MR, store))
            mask |= 1u << t;
    /* The last tile: 1 to 6 users, half a tile for up to 3. */
    const size_t rows = slots - t * TD_MR;
    const unsigned any = rows <= TD_MR / 2
        ? td_tile_avx2_rows(c + t * TD_MR * TD_NR, hits + t * TD_MR, pack + t * width * TD_MR, panel, width,
                            thr + t * TD_MR, TD_MR / 2, store)
        : td_tile_avx2_rows(c + t * TD_MR * TD_NR, hits + t * TD_MR, pack + t * width * TD_MR, panel, width,
                            thr + t * TD_MR, TD_MR, store);
    return any ? mask | 1u << t : mask;
}
#endif

int ck_topk_dot(ck_isa isa, int32_t *out_ids, float *out_scores, const float *users, size_t rows,
                size_t width, const float *panels, size_t n, const float *norms,
                const int32_t *col_ids, size_t id_count, size_t k,
                const int64_t *exclude_offsets, const int32_t *exclude_items, size_t *tiles_scored) {
    td_panel_fn panel_fn = td_panel_scalar;
    switch (isa) {
    case CK_ISA_SCALAR: break;
    case CK_ISA_AUTO:
#if defined(__x86_64__)
        if (ck_isa_available(CK_ISA_AVX2)) panel_fn = td_panel_avx2;
#endif
        break;
#if defined(__x86_64__)
    case CK_ISA_AVX2:
        if (!ck_isa_available(CK_ISA_AVX2)) return 0;
        panel_fn = td_panel_avx2;
        break;
#endif
    default: return 0;
    }
    size_t scored = 0;
    if (tiles_scored) *tiles_scored = 0;
    if (k == 0 || rows == 0) return 1;
    size_t words = (id_count + 63) / 64;
    float *hs = malloc(TD_GROUP * k * sizeof(float));
    int32_t *hi = malloc(TD_GROUP * k * sizeof(int32_t));
    uint64_t *bits = calloc(TD_GROUP * (words ? words : 1), sizeof(uint64_t));
    /* The group's users packed tile by tile, 6 floats per k step, missing rows zero. */
    float *pack = malloc(TD_GROUP * (width ? width : 1) * sizeof(float));
    if (!hs || !hi || !bits || !pack) { free(hs); free(hi); free(bits); free(pack); return 0; }
    const size_t np = (n + TD_NR - 1) / TD_NR;
    /* |fl(u·v) − u·v| ≤ γ_w·‖u‖·‖v‖ with γ_w ≈ w·2⁻²⁴ (an FMA chain of w terms); the margin
       is far wider, and the norms of `norms` are rounded up. */
    const double widen = 1 + 1e-4 + (double)width * 2e-7;
    size_t fill[TD_GROUP];
    double unorm[TD_GROUP];
    float thr[TD_GROUP];
    int slot_user[TD_GROUP];
    float c[TD_GROUP * TD_NR];
    unsigned hits[TD_GROUP];
    for (size_t g0 = 0; g0 < rows; g0 += TD_GROUP) {
        const size_t gr = rows - g0 < TD_GROUP ? rows - g0 : TD_GROUP;
        for (size_t r = 0; r < gr; r++) {
            const float *u = users + (g0 + r) * width;
            double s = 0;
            for (size_t q = 0; q < width; q++) s += (double)u[q] * (double)u[q];
            unorm[r] = sqrt(s);
            fill[r] = 0;
            if (exclude_offsets) {
                uint64_t *b = bits + r * words;
                for (int64_t e = exclude_offsets[g0 + r]; e < exclude_offsets[g0 + r + 1]; e++) {
                    int32_t id = exclude_items[e];
                    if (id >= 0 && (size_t)id < id_count) b[(uint32_t)id >> 6] |= 1ull << ((uint32_t)id & 63);
                }
            }
        }
        /* Panels go in chunks. Before each, users whose bound has fallen below their k-th
           best retire: the last slot's user moves into a retired user's slot (its packed
           column copied; slot → user in `slot_user`), so the users still scoring fill the
           first tiles and a finished user costs nothing however its tile-mates fare. */
        size_t slots = gr;
        size_t filling = gr; /* users whose heap is not yet full (threshold −∞) */
        for (size_t i = 0; i < (gr + TD_MR - 1) / TD_MR * TD_MR; i++) {
            float *dst = pack + i / TD_MR * width * TD_MR + i % TD_MR;
            slot_user[i] = i < gr ? (int)i : -1;
            thr[i] = i < gr ? -INFINITY : INFINITY;
            for (size_t q = 0; q < width; q++) dst[q * TD_MR] = i < gr ? users[(g0 + i) * width + q] : 0.0f;
        }
        for (size_t p0 = 0; p0 < np && slots > 0; p0 += TD_CHUNK) {
            if (norms) {
                const double vn = (double)norms[p0 * TD_NR] * widen;
                for (size_t i = slots; i-- > 0;) {
                    const size_t r = (size_t)slot_user[i];
                    /* No item from here on can reach this user: a full heap whose finite
                       k-th best is above the bound ‖u‖·‖v‖ of every later item. */
                    if (fill[r] < k) continue;
                    const float root = hs[r * k];
                    if (!(isfinite(root) && unorm[r] * vn < (double)root)) continue;
                    const size_t last = --slots;
                    float *dst = pack + i / TD_MR * width * TD_MR + i % TD_MR;
                    float *src = pack + last / TD_MR * width * TD_MR + last % TD_MR;
                    for (size_t q = 0; q < width; q++) { dst[q * TD_MR] = src[q * TD_MR]; src[q * TD_MR] = 0.0f; }
                    slot_user[i] = slot_user[last];
                    thr[i] = thr[last];
                    slot_user[last] = -1;
                    thr[last] = INFINITY;
                }
                if (slots == 0) break;
            }
            const size_t tiles = (slots + TD_MR - 1) / TD_MR;
            const size_t p_end = p0 + TD_CHUNK < np ? p0 + TD_CHUNK : np;
            scored += tiles * (p_end - p0);
            for (size_t p = p0; p < p_end; p++) {
                const size_t base = p * TD_NR;
                const size_t valid = n - base < TD_NR ? n - base : TD_NR;
                const unsigned vmask = valid == TD_NR ? 0xFFFFu : (1u << valid) - 1;
                const unsigned any = panel_fn(c, hits, pack, panels + p * width * TD_NR, width, thr, slots, filling != 0);
                /* Tiles with a lane at a threshold, or every tile while some heap is not full. */
                unsigned todo = filling ? (1u << tiles) - 1 : any;
                while (todo) {
                    const size_t t = (size_t)__builtin_ctz(todo);
                    todo &= todo - 1;
                    for (size_t i = 0; i < TD_MR; i++) {
                        const int su = slot_user[t * TD_MR + i];
                        if (su < 0) break;
                        const size_t r = (size_t)su;
                        float *h = hs + r * k;
                        int32_t *hid = hi + r * k;
                        const uint64_t *b = bits + r * words;
                        /* Until the heap is full every valid lane is offered; then only hits. */
                        const size_t was = fill[r];
                        unsigned m = (was < k ? 0xFFFFu : hits[t * TD_MR + i]) & vmask;
                        while (m) {
                            unsigned l = (unsigned)__builtin_ctz(m);
                            m &= m - 1;
                            const int32_t id = col_ids[base + l];
                            if (excluded(b, id)) continue;
                            offer(h, hid, &fill[r], k, c[(t * TD_MR + i) * TD_NR + l], id);
                        }
                        if (fill[r] == k) {
                            if (was < k) filling--;
                            thr[t * TD_MR + i] = h[0];
                        }
                    }
                }
            }
        }
        for (size_t r = 0; r < gr; r++) {
            heap_finish(hs + r * k, hi + r * k, fill[r], k, out_scores ? out_scores + (g0 + r) * k : NULL);
            memcpy(out_ids + (g0 + r) * k, hi + r * k, k * sizeof(int32_t));
            if (exclude_offsets) {
                /* Clear the words the list set: one by one for a short list, all at once
                   for a long one. */
                uint64_t *b = bits + r * words;
                const int64_t e0 = exclude_offsets[g0 + r], e1 = exclude_offsets[g0 + r + 1];
                if ((size_t)(e1 - e0) >= words / 2) {
                    memset(b, 0, words * sizeof(uint64_t));
                } else {
                    for (int64_t e = e0; e < e1; e++) {
                        const int32_t id = exclude_items[e];
                        if (id >= 0 && (size_t)id < id_count) b[(uint32_t)id >> 6] = 0;
                    }
                }
            }
        }
    }
    free(hs); free(hi); free(bits); free(pack);
    if (tiles_scored) *tiles_scored = scored;
    return 1;
}
