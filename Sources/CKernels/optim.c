/*
 * Optimizer steps over one flat parameter array (DeepCore keeps every dense parameter
 * in one arena, so a step is one call). Formulas follow Keras 3: decoupled weight decay
 * (p −= lr·wd·p) before the update; Adam folds bias correction into the step size;
 * Adagrad keeps ε inside the square root.
 */
#include "ckernels.h"
#include "ck_internal.h"
#include "ck_vector.h"
#include <math.h>

/* sqrtf has errno semantics that stop clang from vectorising a loop; the elementwise
   builtin does not (v ≥ 0 here, so the result is the same). */
#if defined(__clang__) && __has_builtin(__builtin_elementwise_sqrt)
#  define CK_SQRT(x) __builtin_elementwise_sqrt(x)
#else
#  define CK_SQRT(x) sqrtf(x)
#endif

CK_CLONES
void ck_sgd_step(float *restrict param, float *restrict velocity, const float *restrict grad,
                 size_t n, float learning_rate, float momentum, int nesterov,
                 float weight_decay) {
    if (weight_decay > 0.0f) {
        float keep = 1.0f - learning_rate * weight_decay;
        for (size_t i = 0; i < n; i++) param[i] *= keep;
    }
    if (momentum == 0.0f || !velocity) {
        for (size_t i = 0; i < n; i++) param[i] -= learning_rate * grad[i];
        return;
    }
    if (nesterov) {
        for (size_t i = 0; i < n; i++) {
            float v = momentum * velocity[i] - learning_rate * grad[i];
            velocity[i] = v;
            param[i] += momentum * v - learning_rate * grad[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            float v = momentum * velocity[i] - learning_rate * grad[i];
            velocity[i] = v;
            param[i] += v;
        }
    }
}

static inline __attribute__((always_inline))
void adam_body(float *restrict param, float *restrict m, float *restrict v,
               const float *restrict grad, size_t n, float alpha, float beta1,
               float beta2, float epsilon, float keep) {
    float one_b1 = 1.0f - beta1, one_b2 = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        float mi = m[i] + one_b1 * (g - m[i]);
        float vi = v[i] + one_b2 * (g * g - v[i]);
        m[i] = mi;
        v[i] = vi;
        param[i] = param[i] * keep - alpha * mi / (CK_SQRT(vi) + epsilon);
    }
}

CK_CLONES
static void adam_sweep(float *restrict param, float *restrict m, float *restrict v,
                       const float *restrict grad, size_t n, float alpha, float beta1,
                       float beta2, float epsilon, float keep) {
    adam_body(param, m, v, grad, n, alpha, beta1, beta2, epsilon, keep);
}

/* The lazy step over a list of table rows. The gradient is compact: row r of the list
 * has its gradient at grad + r·width (ck_embedding_backward_compact's layout), read in
 * order; param, m and v are read at the listed rows, prefetched ahead. 8- and 32-float
 * rows, the common embedding widths, get loops of a known trip count. The expressions are
 * those of adam_body: ck_adam_rows runs it as adam_sweep's clones run (adam_rows_sweep);
 * ck_adam_rows_isa runs a baseline or an AVX2 + FMA compilation of it, for tests. */
static inline __attribute__((always_inline))
void adam_rows_body(float *param, float *m, float *v, const float *grad,
                    const int32_t *rows, size_t row_count, size_t width, float alpha,
                    float beta1, float beta2, float epsilon, float keep) {
    const size_t distance = width <= 8 ? CK_PREFETCH_AHEAD_SHORT : CK_PREFETCH_AHEAD;
    for (size_t r = 0; r < row_count; r++) {
        if (r + distance < row_count) {
            size_t ahead = (size_t)rows[r + distance] * width;
            for (size_t k = 0; k < width; k += 16) {   /* every 64-byte line of the row */
                __builtin_prefetch(param + ahead + k, 1);
                __builtin_prefetch(m + ahead + k, 1);
                __builtin_prefetch(v + ahead + k, 1);
            }
        }
        size_t at = (size_t)rows[r] * width;
        const float *g = grad + r * width;
        if (width == 8)
            adam_body(param + at, m + at, v + at, g, 8, alpha, beta1, beta2, epsilon, keep);
        else if (width == 32)
            adam_body(param + at, m + at, v + at, g, 32, alpha, beta1, beta2, epsilon, keep);
        else
            adam_body(param + at, m + at, v + at, g, width, alpha, beta1, beta2, epsilon, keep);
    }
}

static void adam_rows_scalar(float *param, float *m, float *v, const float *grad,
                             const int32_t *rows, size_t row_count, size_t width, float alpha,
                             float beta1, float beta2, float epsilon, float keep) {
    adam_rows_body(param, m, v, grad, rows, row_count, width, alpha, beta1, beta2, epsilon, keep);
}

/* What ck_adam_rows runs: chosen by the same clone resolver as adam_sweep, so a listed row
   moves exactly as ck_adam_step moves it on any CPU (a CPU with AVX2 and FMA but without
   the rest of x86-64-v3 gets the baseline clone of both). */
CK_CLONES
static void adam_rows_sweep(float *param, float *m, float *v, const float *grad,
                            const int32_t *rows, size_t row_count, size_t width, float alpha,
                            float beta1, float beta2, float epsilon, float keep) {
    adam_rows_body(param, m, v, grad, rows, row_count, width, alpha, beta1, beta2, epsilon, keep);
}

#if defined(__x86_64__)
CK_TARGET_AVX2
static void adam_rows_avx2(float *param, float *m, float *v, const float *grad,
                           const int32_t *rows, size_t row_count, size_t width, float alpha,
                           float beta1, float beta2, float epsilon, float keep) {
    adam_rows_body(param, m, v, grad, rows, row_count, width, alpha, beta1, beta2, epsilon, keep);
}
#endif

/* Bias correction as one scalar: lr·√(1−β2^t)/(1−β1^t). */
static float adam_alpha(float learning_rate, float beta1, float beta2, uint64_t step) {
    double t = (double)(step == 0 ? 1 : step);
    return (float)(learning_rate * sqrt(1.0 - pow(beta2, t)) / (1.0 - pow(beta1, t)));
}

void ck_adam_step(float *param, float *m, float *v, const float *grad, size_t n,
                  float learning_rate, float beta1, float beta2, float epsilon,
                  uint64_t step, float weight_decay) {
    float keep = weight_decay > 0.0f ? 1.0f - learning_rate * weight_decay : 1.0f;
    adam_sweep(param, m, v, grad, n, adam_alpha(learning_rate, beta1, beta2, step), beta1, beta2,
               epsilon, keep);
}

int ck_adam_rows_isa(ck_isa isa, float *param, float *m, float *v, const float *grad,
                     const int32_t *rows, size_t row_count, size_t width, float learning_rate,
                     float beta1, float beta2, float epsilon, uint64_t step, float weight_decay) {
    if (!ck_isa_available(isa)) return -1;
    const ck_isa chosen = isa == CK_ISA_AUTO ? ck_native_isa() : isa;
    float keep = weight_decay > 0.0f ? 1.0f - learning_rate * weight_decay : 1.0f;
    float alpha = adam_alpha(learning_rate, beta1, beta2, step);
#if defined(__x86_64__)
    if ((chosen == CK_ISA_AVX2 || chosen == CK_ISA_AVX512) && ck_isa_available(CK_ISA_AVX2)) {
        adam_rows_avx2(param, m, v, grad, rows, row_count, width, alpha, beta1, beta2, epsilon, keep);
        return 0;
    }
#endif
    adam_rows_scalar(param, m, v, grad, rows, row_count, width, alpha, beta1, beta2, epsilon, keep);
    return 0;
}

void ck_adam_rows(float *param, float *m, float *v, const float *grad, const int32_t *rows,
                  size_t row_count, size_t width, float learning_rate, float beta1, float beta2,
                  float epsilon, uint64_t step, float weight_decay) {
    float keep = weight_decay > 0.0f ? 1.0f - learning_rate * weight_decay : 1.0f;
    adam_rows_sweep(param, m, v, grad, rows, row_count, width, adam_alpha(learning_rate, beta1, beta2, step),
                    beta1, beta2, epsilon, keep);
}

CK_CLONES
void ck_adagrad_step(float *restrict param, float *restrict accumulator,
                     const float *restrict grad, size_t n, float learning_rate,
                     float epsilon) {
    /* Keras 3 (keras/src/optimizers/adagrad.py): ε inside the square root. */
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        float a = accumulator[i] + g * g;
        accumulator[i] = a;
        param[i] -= learning_rate * g / CK_SQRT(a + epsilon);
    }
}
