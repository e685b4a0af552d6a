/*
 * Losses and their gradients in one pass, averaged as Keras does ("sum over batch
 * size"): binary cross-entropy from logits or probabilities, mean squared error, and
 * softmax cross-entropy from logits or probabilities with dense or index targets.
 * Sums are accumulated in double; gradients are written in float.
 */
#include "ckernels.h"
#include <math.h>

#define CK_PROB_EPS 1e-7f

double ck_bce_logits(float *dz, float *prob, const float *z, const float *t, size_t n) {
    if (n == 0) return 0.0;
    double sum = 0.0;
    float inv_n = 1.0f / (float)n;
    for (size_t i = 0; i < n; i++) {
        float x = z[i];
        /* max(x,0) − x·t + log1p(e^−|x|): no overflow for any finite x. */
        float e = expf(-fabsf(x));
        sum += (double)(fmaxf(x, 0.0f) - x * t[i]) + log1p((double)e);
        float r = 1.0f / (1.0f + e);
        float s = x >= 0.0f ? r : e * r;
        if (prob) prob[i] = s;
        if (dz) dz[i] = (s - t[i]) * inv_n;
    }
    return sum / (double)n;
}

double ck_bce_prob(float *dp, const float *p, const float *t, size_t n) {
    if (n == 0) return 0.0;
    double sum = 0.0;
    float inv_n = 1.0f / (float)n;
    for (size_t i = 0; i < n; i++) {
        float q = fminf(fmaxf(p[i], CK_PROB_EPS), 1.0f - CK_PROB_EPS);
        sum -= (double)t[i] * log((double)q) + (1.0 - (double)t[i]) * log(1.0 - (double)q);
        /* Inside the clip range the derivative is (q − t)/(q(1 − q)); outside it is 0. */
        int clipped = p[i] != q;
        if (dp) dp[i] = clipped ? 0.0f : (q - t[i]) / (q * (1.0f - q)) * inv_n;
    }
    return sum / (double)n;
}

double ck_mse(float *dy, const float *y, const float *t, size_t n) {
    if (n == 0) return 0.0;
    double sum = 0.0;
    float scale = 2.0f / (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = y[i] - t[i];
        sum += (double)d * d;
        if (dy) dy[i] = d * scale;
    }
    return sum / (double)n;
}

static inline float target_at(const float *t_dense, const int32_t *t_index, size_t r,
                              size_t c, size_t cols) {
    if (t_dense) return t_dense[r * cols + c];
    return (size_t)t_index[r] == c ? 1.0f : 0.0f;
}

static inline int index_valid(const int32_t *t_index, size_t r, size_t cols) {
    return !t_index || (t_index[r] >= 0 && (size_t)t_index[r] < cols);
}

double ck_softmax_xent(float *dz, float *prob, const float *z, const float *t_dense,
                       const int32_t *t_index, size_t rows, size_t cols) {
    if (rows == 0 || cols == 0) return 0.0;
    double total = 0.0;
    float inv_rows = 1.0f / (float)rows;
    for (size_t r = 0; r < rows; r++) {
        const float *zr = z + r * cols;
        if (!index_valid(t_index, r, cols)) return NAN;
        /* log-sum-exp around the row max: CE = lse − Σ t·z, stable for any logits. */
        float mx = -INFINITY;
        for (size_t c = 0; c < cols; c++) mx = zr[c] > mx ? zr[c] : mx;
        double sum = 0.0;
        for (size_t c = 0; c < cols; c++) sum += exp((double)(zr[c] - mx));
        double lse = (double)mx + log(sum);
        double tsum = 0.0, tz = 0.0;
        for (size_t c = 0; c < cols; c++) {
            float tc = target_at(t_dense, t_index, r, c, cols);
            tsum += tc;
            tz += (double)tc * zr[c];
            float s = (float)exp((double)zr[c] - lse);
            if (prob) prob[r * cols + c] = s;
            if (dz) dz[r * cols + c] = (s - tc) * inv_rows;
        }
        total += tsum * lse - tz;
        if (dz && tsum != 1.0) {
            /* Unnormalised targets: d/dz (Σt·lse − Σt·z) = Σt·softmax − t. */
            for (size_t c = 0; c < cols; c++) {
                float s = (float)exp((double)zr[c] - lse);
                dz[r * cols + c] = ((float)tsum * s - target_at(t_dense, t_index, r, c, cols)) * inv_rows;
            }
        }
    }
    return total / (double)rows;
}

double ck_xent_prob(float *dp, const float *p, const float *t_dense, const int32_t *t_index,
                    size_t rows, size_t cols) {
    if (rows == 0 || cols == 0) return 0.0;
    double total = 0.0;
    float inv_rows = 1.0f / (float)rows;
    for (size_t r = 0; r < rows; r++) {
        if (!index_valid(t_index, r, cols)) return NAN;
        for (size_t c = 0; c < cols; c++) {
            float q = fminf(fmaxf(p[r * cols + c], CK_PROB_EPS), 1.0f - CK_PROB_EPS);
            float tc = target_at(t_dense, t_index, r, c, cols);
            total -= (double)tc * log((double)q);
            if (dp) dp[r * cols + c] = (p[r * cols + c] != q) ? 0.0f : -tc / q * inv_rows;
        }
    }
    return total / (double)rows;
}
