/*
 * Fused bias + activation over row-major (rows×cols) matrices, forward and backward.
 * Forward: y = act(x + bias), bias broadcast over rows; y may alias x.
 * Backward works from the activation's *output* y, so no pre-activation copy is kept:
 * relu' = [y > 0], sigmoid' = y(1−y), tanh' = 1 − y², softmax: y ⊙ (dy − Σ dy·y).
 */
#include "ckernels.h"
#include "ck_vector.h"
#include <math.h>
#include <string.h>

static inline float sigmoid1(float x) {
    /* e^−|x| never overflows; pick the branch that divides by a number ≥ 1. */
    float e = expf(-fabsf(x));
    float r = 1.0f / (1.0f + e);
    return x >= 0.0f ? r : e * r;
}

void ck_sigmoid_forward(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = sigmoid1(x[i]);
}

CK_CLONES
static void add_bias_relu(float *y, const float *x, const float *bias, size_t rows,
                          size_t cols, int relu) {
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *yr = y + r * cols;
        if (relu) {
            if (bias) for (size_t c = 0; c < cols; c++) { float v = xr[c] + bias[c]; yr[c] = v > 0.0f ? v : 0.0f; }
            else for (size_t c = 0; c < cols; c++) yr[c] = xr[c] > 0.0f ? xr[c] : 0.0f;
        } else {
            if (bias) for (size_t c = 0; c < cols; c++) yr[c] = xr[c] + bias[c];
            else if (yr != xr) memcpy(yr, xr, cols * sizeof(float));
        }
    }
}

static void softmax_rows(float *y, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * cols;
        /* Subtract the row max so exp never overflows. */
        float mx = -INFINITY;
        for (size_t c = 0; c < cols; c++) mx = yr[c] > mx ? yr[c] : mx;
        double sum = 0.0;
        for (size_t c = 0; c < cols; c++) { yr[c] = expf(yr[c] - mx); sum += yr[c]; }
        float inv = (float)(1.0 / sum);
        for (size_t c = 0; c < cols; c++) yr[c] *= inv;
    }
}

void ck_bias_act_forward(float *y, const float *x, const float *bias, size_t rows,
                         size_t cols, ck_act act) {
    if (rows == 0 || cols == 0) return;
    add_bias_relu(y, x, bias, rows, cols, act == CK_ACT_RELU);
    size_t n = rows * cols;
    switch (act) {
    case CK_ACT_LINEAR: case CK_ACT_RELU: break;
    case CK_ACT_SIGMOID: ck_sigmoid_forward(y, y, n); break;
    case CK_ACT_TANH: for (size_t i = 0; i < n; i++) y[i] = tanhf(y[i]); break;
    case CK_ACT_SOFTMAX: softmax_rows(y, rows, cols); break;
    }
}

CK_CLONES
static void act_backward_pointwise(float *dx, const float *dy, const float *y, size_t n,
                                   ck_act act) {
    switch (act) {
    case CK_ACT_RELU:
        /* A multiply by the 0/1 mask, not a branch: half the signs are random. */
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (float)(y[i] > 0.0f);
        break;
    case CK_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case CK_ACT_TANH:
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    default:
        if (dx != dy) memcpy(dx, dy, n * sizeof(float));
        break;
    }
}

void ck_act_backward(float *dx, const float *dy, const float *y, size_t rows, size_t cols,
                     ck_act act) {
    if (rows == 0 || cols == 0) return;
    if (act != CK_ACT_SOFTMAX) {
        act_backward_pointwise(dx, dy, y, rows * cols, act);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *dyr = dy + r * cols, *yr = y + r * cols;
        float *dxr = dx + r * cols;
        double dot = 0.0;
        for (size_t c = 0; c < cols; c++) dot += (double)dyr[c] * yr[c];
        for (size_t c = 0; c < cols; c++) dxr[c] = yr[c] * (dyr[c] - (float)dot);
    }
}

CK_CLONES
void ck_bias_backward(float *dbias, const float *dz, size_t rows, size_t cols) {
    for (size_t c = 0; c < cols; c++) dbias[c] = 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const float *dr = dz + r * cols;
        for (size_t c = 0; c < cols; c++) dbias[c] += dr[c];
    }
}

/* dz := dy ⊙ act'(y) and dbias := Σ_rows dz in one sweep, rows in order (the sums are
 * those of ck_bias_backward after ck_act_backward, bit for bit). Columns go in blocks of
 * 32 whose sums stay in a local array (registers once vectorised: dz may alias dy, but
 * not a local); one instantiation per activation keeps the inner loop branch-free. */
#define CK_SUM_BLOCK 32
static inline __attribute__((always_inline)) void
act_bias_block(float *dz, const float *dy, const float *y, float *dbias, size_t rows,
               size_t cols, size_t c0, size_t w, const ck_act act) {
    float acc[CK_SUM_BLOCK];
    for (size_t c = 0; c < CK_SUM_BLOCK; c++) acc[c] = 0.0f;
    for (size_t r = 0; r < rows; r++) {
        const float *dyr = dy + r * cols + c0, *yr = y + r * cols + c0;
        float *dzr = dz + r * cols + c0;
        /* dz may be dy (in place), element by element: no dependence between iterations */
#pragma clang loop vectorize(assume_safety)
        for (size_t c = 0; c < w; c++) {
            float d;
            switch (act) {
            case CK_ACT_RELU: d = dyr[c] * (float)(yr[c] > 0.0f); break;
            case CK_ACT_SIGMOID: d = dyr[c] * yr[c] * (1.0f - yr[c]); break;
            case CK_ACT_TANH: d = dyr[c] * (1.0f - yr[c] * yr[c]); break;
            default: d = dyr[c]; break;
            }
            dzr[c] = d;
            acc[c] += d;
        }
    }
    for (size_t c = 0; c < w; c++) dbias[c0 + c] = acc[c];
}

CK_CLONES
static void act_bias_backward_pointwise(float *dz, const float *dy, const float *y,
                                        float *dbias, size_t rows, size_t cols, ck_act act) {
    for (size_t c0 = 0; c0 < cols; c0 += CK_SUM_BLOCK) {
        const size_t w = cols - c0 < CK_SUM_BLOCK ? cols - c0 : CK_SUM_BLOCK;
        switch (act) {
        case CK_ACT_RELU:
            if (w == 32) act_bias_block(dz, dy, y, dbias, rows, cols, c0, 32, CK_ACT_RELU);
            else if (w == 16) act_bias_block(dz, dy, y, dbias, rows, cols, c0, 16, CK_ACT_RELU);
            else if (w == 8) act_bias_block(dz, dy, y, dbias, rows, cols, c0, 8, CK_ACT_RELU);
            else act_bias_block(dz, dy, y, dbias, rows, cols, c0, w, CK_ACT_RELU);
            break;
        case CK_ACT_SIGMOID: act_bias_block(dz, dy, y, dbias, rows, cols, c0, w, CK_ACT_SIGMOID); break;
        case CK_ACT_TANH: act_bias_block(dz, dy, y, dbias, rows, cols, c0, w, CK_ACT_TANH); break;
        default: act_bias_block(dz, dy, y, dbias, rows, cols, c0, w, CK_ACT_LINEAR); break;
        }
    }
}

void ck_act_bias_backward(float *dz, const float *dy, const float *y, float *dbias,
                          size_t rows, size_t cols, ck_act act) {
    if (dbias == NULL || act == CK_ACT_SOFTMAX || rows == 0 || cols == 0) {
        ck_act_backward(dz, dy, y, rows, cols, act);
        if (dbias != NULL) ck_bias_backward(dbias, dz, rows, cols);
        return;
    }
    act_bias_backward_pointwise(dz, dy, y, dbias, rows, cols, act);
}
