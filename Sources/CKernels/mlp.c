/*
 * mlp.c: inference through a chain of dense layers, fused across layers.
 *
 * y := act_L(…act_1(x·W_1 + b_1)…·W_L + b_L) for row-major x (rows×inputs_1).
 * Layer-by-layer GEMMs over a whole batch write each hidden activation to memory (1024
 * rows × 128 floats fill the 512 KB L2), then read it again for the bias and activation
 * and once more as the next layer's input. Here the rows go through *all* layers in
 * blocks of CK_MLP_BLOCK_ROWS, so a block's activations (≤ 48 × width floats, ping-pong
 * between two buffers) stay in L1/L2, and the last layer writes straight into y.
 * AVX2: each layer's weights are packed once (ck_mlp_pack, per predict call) into 16-column
 * k-panels (contiguous: no L1 set conflicts from the row stride), the bias padded to whole
 * panels; the tile
 * kernel reads its A rows in place and applies bias + ReLU in registers; a layer with one
 * output is a dot product per row, with its bias and ReLU or sigmoid in registers too.
 * Other activations (sigmoid on wider layers, tanh, softmax) run over the block afterwards
 * (ck_sigmoid_forward, ck_bias_act_forward), bias already added.
 * Other ISAs: one ck_sgemm_isa + ck_bias_act_forward per layer and block.
 * Workspace (floats, 64-byte aligned inside): packed panels and biases per layer, then
 * two block buffers of CK_MLP_BLOCK_ROWS × (widest hidden layer).
 */
#include <assert.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ckernels.h"
#include "ck_internal.h"

/* Rows per block: a multiple of the tile's 6 rows. 48 × 128 floats (24 KB, the seed
 * model's widest hidden block) stays in the 32 KB L1 next to an 8 KB weight panel. Seed
 * model on Zen, same runs: 24–96 rows all within ~5 % of each other; 48 was at least as
 * fast as 72 in each of four paired runs (1.31–1.33M vs 1.12–1.23M samples/s). */
#ifndef CK_MLP_BLOCK_ROWS
#define CK_MLP_BLOCK_ROWS 48
#endif

#define PANEL 16 /* columns of a packed weight panel: the tile kernel's width */
#define ALIGN_FLOATS (CK_PACK_ALIGN / sizeof(float))

static size_t round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Floats of layer l's packed weights and padded bias (none for a one-output layer). */
static size_t packed_floats(const ck_dense *l) {
    if (l->units == 1) return 0;
    const size_t cols = round_up(l->units, PANEL);
    return round_up(cols * l->inputs, ALIGN_FLOATS) + cols;
}

/* Floats of one block buffer: the widest hidden layer (the last writes into y). */
static size_t block_floats(const ck_dense *layers, size_t count) {
    size_t width = 0;
    for (size_t i = 0; i + 1 < count; ++i) width = layers[i].units > width ? layers[i].units : width;
    return round_up(CK_MLP_BLOCK_ROWS * width, ALIGN_FLOATS);
}

size_t ck_mlp_workspace_size(const ck_dense *layers, size_t count) {
    size_t total = ALIGN_FLOATS; /* slack to align the start */
    for (size_t i = 0; i < count; ++i) total += round_up(packed_floats(&layers[i]), ALIGN_FLOATS);
    return total + 2 * block_floats(layers, count);
}

static float *align_floats(float *p) {
    const uintptr_t a = ((uintptr_t)p + CK_PACK_ALIGN - 1) & ~(uintptr_t)(CK_PACK_ALIGN - 1);
    return (float *)a;
}

/* Rows in the sliver that starts `left` rows before the block's end: 6, or a remainder
 * of 7…11 split into two near-equal slivers (short slivers are latency-bound). */
static size_t sliver_rows(size_t left) {
    if (left >= 12 || left <= 6) return left < 6 ? left : 6;
    return (left + 1) / 2;
}

/* ----------------------------------------------------------------- packing */

/* The padded bias that follows a layer's packed panels. */
static const float *packed_bias(const ck_dense *l, const float *panels) {
    return panels + round_up(round_up(l->units, PANEL) * l->inputs, ALIGN_FLOATS);
}

/* W (inputs×units) → 16-column panels dst[panel·16·inputs + p·16 + j], then the bias
 * padded to whole panels; columns past `units` are zero. */
static void pack_layer(const ck_dense *l, float *dst) {
    float *const bias = dst + round_up(round_up(l->units, PANEL) * l->inputs, ALIGN_FLOATS);
    const size_t k = l->inputs, n = l->units, cols = round_up(n, PANEL);
    for (size_t j0 = 0; j0 < n; j0 += PANEL, dst += PANEL * k) {
        const size_t w = min_sz(PANEL, n - j0);
        for (size_t p = 0; p < k; ++p) {
            const float *s = l->weight + p * n + j0;
            float *d = dst + p * PANEL;
            for (size_t j = 0; j < PANEL; ++j) d[j] = j < w ? s[j] : 0.0f;
        }
    }
    for (size_t j = 0; j < cols; ++j) bias[j] = l->bias != NULL && j < n ? l->bias[j] : 0.0f;
}

void ck_mlp_pack(float *workspace, const ck_dense *layers, size_t count) {
    float *p = align_floats(workspace);
    for (size_t i = 0; i < count; ++i) {
        if (layers[i].units > 1) pack_layer(&layers[i], p);
        p += round_up(packed_floats(&layers[i]), ALIGN_FLOATS);
    }
}

/* ----------------------------------------------------------------- generic */

static size_t forward_generic(ck_isa isa, float *y, const float *x, size_t rows,
                              const ck_dense *layers, size_t count, float *buffers[2]) {
    for (size_t r0 = 0; r0 < rows; r0 += CK_MLP_BLOCK_ROWS) {
        const size_t mb = min_sz(CK_MLP_BLOCK_ROWS, rows - r0);
        const float *in = x + r0 * layers[0].inputs;
        if (!ck_all_finite(in, mb * layers[0].inputs)) return r0;
        for (size_t i = 0; i < count; ++i) {
            const ck_dense *l = &layers[i];
            float *out = i + 1 == count ? y + r0 * l->units : buffers[i % 2];
            (void)ck_sgemm_isa(isa, CK_NO_TRANS, CK_NO_TRANS, mb, l->units, l->inputs, 1.0f, in,
                               l->inputs, l->weight, l->units, 0.0f, out, l->units);
            ck_bias_act_forward(out, out, l->bias, mb, l->units, l->act);
            in = out;
        }
    }
    return rows;
}

/* -------------------------------------------------------------------- AVX2 */

#if defined(__x86_64__)
/* y := act(y) in place for a block whose bias is already added. */
static void apply_activation(float *y, size_t rows, size_t cols, ck_act act) {
    switch (act) {
    case CK_ACT_LINEAR: break;
    case CK_ACT_SIGMOID: ck_sigmoid_forward(y, y, rows * cols); break;
    default: ck_bias_act_forward(y, y, NULL, rows, cols, act); break;
    }
}

/* One layer over one block of mb rows: out (mb×units) from in (mb×inputs, row stride ld).
 * Spread over its tiles, it prefetches the `lines` cache lines from `next` (the next
 * block's input, which then arrives while this block computes). */
static void layer_block_avx2(const ck_dense *l, const float *panels, const float *bias,
                             const float *in, size_t ld, float *out, size_t mb,
                             const char *next, size_t lines) {
    const size_t k = l->inputs, n = l->units;
    const size_t tiles = (n + PANEL - 1) / PANEL * ((mb + 5) / 6);
    const size_t lines_per_tile = (lines + tiles - 1) / tiles;
    if (n == 1) {
        mlp_dot_avx2(out, in, ld, l->weight, l->bias != NULL ? l->bias[0] : 0.0f, mb, k, l->act);
        if (l->act != CK_ACT_RELU && l->act != CK_ACT_SIGMOID) apply_activation(out, mb, 1, l->act);
        return;
    }
    const int relu = l->act == CK_ACT_RELU;
    for (size_t j0 = 0; j0 < n; j0 += PANEL, panels += PANEL * k) {
        const size_t nr = min_sz(PANEL, n - j0);
        size_t mr;
        for (size_t i0 = 0; i0 < mb; i0 += mr) {
            mr = sliver_rows(mb - i0);
            for (size_t q = 0; q < lines_per_tile && lines > 0; ++q, --lines, next += 64)
                _mm_prefetch(next, _MM_HINT_T0);
            mlp_tile_avx2_6x16(k, in + i0 * ld, ld, panels, bias + j0, out + i0 * n + j0, n, mr,
                               nr, relu);
        }
    }
    if (!relu) apply_activation(out, mb, n, l->act);
}

static size_t forward_avx2(float *y, const float *x, size_t rows, const ck_dense *layers,
                           size_t count, const float *packed, float *buffers[2]) {
    const size_t width = layers[0].inputs;
    for (size_t r0 = 0; r0 < rows; r0 += CK_MLP_BLOCK_ROWS) {
        const size_t mb = min_sz(CK_MLP_BLOCK_ROWS, rows - r0);
        const float *in = x + r0 * width;
        /* Checked here, where the block is about to be read anyway (from L1/L2, as the
         * previous block prefetched it): x is not swept a second time. */
        if (!ck_all_finite(in, mb * width)) return r0;
        const size_t next_rows = min_sz(CK_MLP_BLOCK_ROWS, rows - r0 - mb);
        const char *next = (const char *)(in + mb * width);
        size_t lines = (next_rows * width * sizeof(float) + 63) / 64;
        size_t ld = width;
        const float *panels = packed;
        for (size_t i = 0; i < count; ++i) {
            const ck_dense *l = &layers[i];
            float *out = i + 1 == count ? y + r0 * l->units : buffers[i % 2];
            layer_block_avx2(l, panels, l->units > 1 ? packed_bias(l, panels) : NULL, in, ld, out,
                             mb, next, lines);
            lines = 0;
            panels += round_up(packed_floats(l), ALIGN_FLOATS);
            in = out;
            ld = l->units;
        }
    }
    return rows;
}
#endif

/* ------------------------------------------------------------------ routing */

ptrdiff_t ck_mlp_forward_isa(ck_isa isa, float *y, const float *x, size_t rows,
                             const ck_dense *layers, size_t count, float *workspace) {
    if (!ck_isa_available(isa)) return -1;
    assert(count >= 1);
    if (rows == 0 || count == 0) return 0;
    const ck_isa native = isa == CK_ISA_AUTO ? ck_native_isa() : isa;
    float *packed = align_floats(workspace);
    size_t packed_total = 0;
    for (size_t i = 0; i < count; ++i) packed_total += round_up(packed_floats(&layers[i]), ALIGN_FLOATS);
    float *buffers[2] = {packed + packed_total, packed + packed_total + block_floats(layers, count)};
#if defined(__x86_64__)
    if ((native == CK_ISA_AVX2 || native == CK_ISA_AVX512) && ck_isa_available(CK_ISA_AVX2))
        return (ptrdiff_t)forward_avx2(y, x, rows, layers, count, packed, buffers);
#endif
    (void)native;
    return (ptrdiff_t)forward_generic(isa, y, x, rows, layers, count, buffers);
}

size_t ck_mlp_forward(float *y, const float *x, size_t rows, const ck_dense *layers,
                      size_t count, float *workspace) {
    return (size_t)ck_mlp_forward_isa(ck_active_isa(), y, x, rows, layers, count, workspace);
}
