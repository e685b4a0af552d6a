/*
 * BPR matrix factorisation, one SGD epoch (Rendle, Freudenthaler, Gantner and
 * Schmidt-Thieme 2009). Interactions come as CSR rows (sorted item ids per user); a
 * positive pair is drawn uniformly among all interactions, a negative item uniformly
 * (or in proportion to its popularity) among items the user does not have (checked by binary search in the sorted row):
 * redrawn until it is one, or (skip_liked, as implicit's verify_negative_samples) drawn
 * once, the whole sample skipped when the user has it.
 * Factors are row-major (users×k, items×k); the item bias is a separate vector.
 */
#include "ckernels.h"
#include <math.h>

static inline uint64_t next_random(uint64_t *s) {
    /* xorshift64*: fast and good enough for sampling. */
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline size_t below(uint64_t *s, size_t n) {
    return (size_t)(((unsigned __int128)next_random(s) * n) >> 64);
}

static int has_item(const int32_t *row, size_t n, int32_t item) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (row[mid] == item) return 1;
        if (row[mid] < item) lo = mid + 1; else hi = mid;
    }
    return 0;
}

/* The user owning interaction p: the last row whose start is ≤ p. */
static size_t owner(const int64_t *row_start, size_t users, size_t p) {
    size_t lo = 0, hi = users;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((size_t)row_start[mid] <= p) lo = mid; else hi = mid;
    }
    return lo;
}

double ck_bpr_epoch(float *user_factors, float *item_factors, float *item_bias, size_t k,
                    const int64_t *row_start, const int32_t *cols, size_t users, size_t items,
                    size_t samples, float learning_rate, float regularization, int popular_negatives,
                    int skip_liked, size_t candidates, uint64_t *rng) {
    size_t nnz = (size_t)row_start[users];
    if (nnz == 0 || items < 2) return 0.0;
    size_t correct = 0, updates = 0;
    for (size_t s = 0; s < samples; s++) {
        size_t p = below(rng, nnz);
        size_t u = owner(row_start, users, p);
        size_t n = (size_t)(row_start[u + 1] - row_start[u]);
        const int32_t *row = cols + row_start[u];
        if (n >= items) continue; /* a user with every item has no negative */
        int32_t i = cols[p], j = -1;
        float *pu = user_factors + u * k;
        float best = -INFINITY;
        for (size_t c = 0; c < candidates; c++) {
            int32_t cand;
            if (skip_liked) {
                /* implicit's rule: one draw; a negative the user has costs the draw (the
                 * sample, when no candidate is left). */
                cand = popular_negatives ? cols[below(rng, nnz)] : (int32_t)below(rng, items);
                if (has_item(row, n, cand)) continue;
            } else {
                /* Redraw; a user holding every item that has interactions would never get a
                 * popular negative, so after 64 misses the draw turns uniform (n < items: ends). */
                int misses = 0;
                do {
                    cand = popular_negatives && misses < 64 ? cols[below(rng, nnz)] : (int32_t)below(rng, items);
                    misses++;
                } while (has_item(row, n, cand));
            }
            if (candidates == 1) { j = cand; break; }
            /* Several candidates: the one the model ranks highest (dynamic negative sampling). */
            const float *q = item_factors + (size_t)cand * k;
            float score = item_bias[cand];
            for (size_t f = 0; f < k; f++) score += pu[f] * q[f];
            if (j < 0 || score > best) { best = score; j = cand; }
        }
        if (j < 0) continue;
        updates++;
        float *qi = item_factors + (size_t)i * k, *qj = item_factors + (size_t)j * k;
        float x = item_bias[i] - item_bias[j];
        for (size_t f = 0; f < k; f++) x += pu[f] * (qi[f] - qj[f]);
        if (x > 0) correct++;
        /* z = σ(−x), computed without overflow. */
        float z = x >= 0 ? expf(-x) / (1.0f + expf(-x)) : 1.0f / (1.0f + expf(x));
        for (size_t f = 0; f < k; f++) {
            float uf = pu[f], d = qi[f] - qj[f];
            pu[f] += learning_rate * (z * d - regularization * uf);
            qi[f] += learning_rate * (z * uf - regularization * qi[f]);
            qj[f] += learning_rate * (-z * uf - regularization * qj[f]);
        }
        item_bias[i] += learning_rate * (z - regularization * item_bias[i]);
        item_bias[j] += learning_rate * (-z - regularization * item_bias[j]);
    }
    return updates ? (double)correct / (double)updates : 0.0;
}
