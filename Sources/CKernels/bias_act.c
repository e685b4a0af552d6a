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
