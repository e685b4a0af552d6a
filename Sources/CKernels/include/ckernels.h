/*
 * ckernels.h: the only public header of CKernels.
 *
 * Dense Float32 kernels for training and serving: GEMM with runtime CPU dispatch,
 * fused bias + activation, losses with their gradients, and optimizer steps.
 * All matrices are row-major. Sizes are size_t. Pointers never alias unless a
 * function says so. Callers (DeepCore) check shapes; these functions trust them
 * and assert only in debug builds.
 */
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- dispatch */

/// An instruction-set variant of the kernels. CK_ISA_BLAS routes GEMM to cblas_sgemm.
typedef enum {
    CK_ISA_SCALAR = 0,
    CK_ISA_AVX2 = 1,    /* AVX2 + FMA */
    CK_ISA_AVX512 = 2,  /* AVX-512F */
    CK_ISA_NEON = 3,
    CK_ISA_BLAS = 4,    /* OpenBLAS cblas_sgemm */
    CK_ISA_AUTO = 5     /* per call: our fastest kernel or OpenBLAS, by shape */
} ck_isa;

/// Detects the CPU once and fills the dispatch table. Idempotent and thread-safe.
void ck_dispatch_init(void);
/// The best native ISA of this CPU (never CK_ISA_BLAS or CK_ISA_AUTO).
ck_isa ck_native_isa(void);
/// The ISA that ck_sgemm uses now (CK_ISA_AUTO by default).
ck_isa ck_active_isa(void);
/// Forces ck_sgemm to one variant; returns 0 if this CPU lacks it (nothing changes).
int ck_set_active_isa(ck_isa isa);
/// 1 if `isa` can run on this CPU, else 0.
int ck_isa_available(ck_isa isa);
/// A short static name: "scalar", "avx2", "avx512", "neon", "openblas", "auto".
const char *ck_isa_name(ck_isa isa);

/// The variant CK_ISA_AUTO runs for an m×n×k product (never CK_ISA_AUTO itself).
ck_isa ck_auto_isa(size_t m, size_t n, size_t k);

/* -------------------------------------------------------------------- GEMM */

/// Whether an operand is used as stored or transposed.
typedef enum { CK_NO_TRANS = 0, CK_TRANS = 1 } ck_trans;

/// C(m×n) := alpha·op(A)·op(B) + beta·C, row-major, with the active ISA.
/// op(A) is m×k (A stored m×k with lda ≥ k, or k×m with lda ≥ m when transposed);
/// op(B) is k×n (stored k×n with ldb ≥ n, or n×k with ldb ≥ k when transposed).
/// beta == 0 overwrites C without reading it (C may hold NaN). k == 0 scales C by beta
/// (A and B may then be NULL). m == 0 or n == 0 does nothing.
/// - Complexity: O(m·n·k).
void ck_sgemm(ck_trans trans_a, ck_trans trans_b, size_t m, size_t n, size_t k,
              float alpha, const float *a, size_t lda, const float *b, size_t ldb,
              float beta, float *c, size_t ldc);

/// ck_sgemm with an explicit variant (tests and benchmarks). Returns 0 if the CPU lacks it.
int ck_sgemm_isa(ck_isa isa, ck_trans trans_a, ck_trans trans_b, size_t m, size_t n,
                 size_t k, float alpha, const float *a, size_t lda, const float *b,
                 size_t ldb, float beta, float *c, size_t ldc);

/// Sets OpenBLAS's own thread count (we parallelise ourselves; default 1).
void ck_blas_set_threads(int threads);

/* ------------------------------------------------- bias and activations */

/// An activation applied elementwise (softmax: along each row).
typedef enum {
    CK_ACT_LINEAR = 0,
    CK_ACT_RELU = 1,
    CK_ACT_SIGMOID = 2,
    CK_ACT_TANH = 3,
    CK_ACT_SOFTMAX = 4
} ck_act;

/// y(rows×cols) := act(x + bias) with bias broadcast over rows (bias may be NULL).
/// y may equal x (in place).
void ck_bias_act_forward(float *y, const float *x, const float *bias, size_t rows,
                         size_t cols, ck_act act);

/// dx := dy ⊙ act'(·), written from the activation's output y (rows×cols).
/// Softmax: dx = y ⊙ (dy − Σ_row dy·y). dx may equal dy (in place).
void ck_act_backward(float *dx, const float *dy, const float *y, size_t rows, size_t cols,
                     ck_act act);

/// dbias(cols) := Σ_rows dz (overwrites dbias).
void ck_bias_backward(float *dbias, const float *dz, size_t rows, size_t cols);

/// A dense layer's forward pass: y(rows×units) := act(x·w + bias), x rows×inputs and
/// w inputs×units row-major (contiguous), bias `units` floats or NULL. The same product
/// ck_sgemm computes with the active ISA followed by ck_bias_act_forward, bit for bit; on
/// AVX2 small products run a direct kernel that reads x in place (no packing) and adds
/// the bias and ReLU in registers.
void ck_linear_forward(float *y, const float *x, const float *w, const float *bias,
                       size_t rows, size_t inputs, size_t units, ck_act act);

/// A dense layer's activation and bias backward in one pass: dz := dy ⊙ act'(·) from the
/// output y (as ck_act_backward; dz may equal dy) and, when dbias is not NULL,
/// dbias(cols) := Σ_rows dz (as ck_bias_backward, same order of sums).
void ck_act_bias_backward(float *dz, const float *dy, const float *y, float *dbias,
                          size_t rows, size_t cols, ck_act act);

/// Numerically stable logistic: 1/(1+e^-x) without overflow for any finite x.
void ck_sigmoid_forward(float *y, const float *x, size_t n);

/* ------------------------------------------------------ dense inference */

/// One layer of a dense inference chain: output (rows×units) := act(input (rows×inputs)
/// · weight + bias), weight (inputs×units) row-major, bias `units` floats or NULL.
typedef struct {
    const float *weight;
    const float *bias;
    size_t inputs, units;
    ck_act act;
} ck_dense;

/// Floats of workspace ck_mlp_pack and ck_mlp_forward need for this chain (the same for
/// every ISA).
/// - Complexity: O(count).
size_t ck_mlp_workspace_size(const ck_dense *layers, size_t count);

/// Packs the chain's weights and biases into `workspace` (ck_mlp_workspace_size floats,
/// any alignment) for ck_mlp_forward: 16-column k-panels, biases padded to whole panels.
/// Pack once, then run any number of ck_mlp_forward calls while the weights are unchanged.
/// - Complexity: O(Σ inputs·units).
void ck_mlp_pack(float *workspace, const ck_dense *layers, size_t count);

/// Inference through `count ≥ 1` dense layers, each feeding the next
/// (layers[i].units == layers[i+1].inputs): y (rows×layers[count−1].units) := the chain
/// applied to x (rows×layers[0].inputs), both row-major and contiguous, with the active
/// ISA. `workspace` holds the chain as ck_mlp_pack left it; its block buffers are
/// overwritten. The rows go through all layers in blocks of a few dozen, so the hidden
/// activations stay in L1/L2, and bias + ReLU are applied as each output tile leaves the
/// registers. With the native variants rows are independent: a row gets the same value
/// whatever rows it is run with. y must not overlap x or the workspace.
/// Each block's inputs are checked as the block is about to be read (so x is swept once):
/// returns `rows` when every value of x is finite; otherwise the first row of the first
/// block (≤ 48 rows) holding a NaN or ±Inf, with y written only for the rows before it.
/// - Complexity: O(rows · Σ inputs·units).
size_t ck_mlp_forward(float *y, const float *x, size_t rows, const ck_dense *layers,
                      size_t count, float *workspace);

/// ck_mlp_forward with an explicit variant (tests and benchmarks): CK_ISA_AVX2 and
/// CK_ISA_AVX512 run the fused AVX2 kernels, any other ISA one ck_sgemm_isa and one
/// ck_bias_act_forward per layer and block; CK_ISA_AUTO picks the native variant.
/// Returns as ck_mlp_forward, or −1 if the CPU lacks the variant (nothing is written).
ptrdiff_t ck_mlp_forward_isa(ck_isa isa, float *y, const float *x, size_t rows,
                             const ck_dense *layers, size_t count, float *workspace);

/* ------------------------------------------------------------------ losses */

/// Binary cross-entropy from logits z against targets t in [0,1], averaged over n:
/// L = mean(max(z,0) − z·t + log(1+e^−|z|)). Writes dz = (σ(z) − t)/n (dz may be NULL)
/// and, if prob is not NULL, σ(z). Returns L (accumulated in double).
double ck_bce_logits(float *dz, float *prob, const float *z, const float *t, size_t n);

/// Binary cross-entropy on probabilities p (clipped to [eps, 1−eps], eps = 1e-7, as Keras).
/// Writes dp = ∂L/∂p (mean over n); returns L.
double ck_bce_prob(float *dp, const float *p, const float *t, size_t n);

/// Mean squared error over n values: L = mean((y − t)²); dy = 2(y − t)/n (may be NULL).
double ck_mse(float *dy, const float *y, const float *t, size_t n);

/// Softmax cross-entropy from logits (rows×cols), averaged over rows. Targets are either
/// dense rows (t_dense, rows×cols, e.g. one-hot) or class indices (t_index, rows); pass
/// NULL for the other. Writes dz = (softmax − target)/rows (may be NULL) and, if prob is
/// not NULL, the softmax. Returns L. An index outside [0, cols) makes the result NaN.
double ck_softmax_xent(float *dz, float *prob, const float *z, const float *t_dense,
                       const int32_t *t_index, size_t rows, size_t cols);

/// Categorical cross-entropy on probabilities (rows×cols, clipped to [1e-7, 1−1e-7]):
/// writes dp (may be NULL), returns mean over rows.
double ck_xent_prob(float *dp, const float *p, const float *t_dense, const int32_t *t_index,
                    size_t rows, size_t cols);

/* -------------------------------------------------------------- optimizers */

/// SGD as Keras: p −= lr·wd·p (decoupled decay, if wd > 0); without momentum p −= lr·g;
/// with momentum v := μ·v − lr·g, then p += v, or with Nesterov p += μ·v − lr·g.
/// velocity may be NULL when momentum == 0.
void ck_sgd_step(float *param, float *velocity, const float *grad, size_t n,
                 float learning_rate, float momentum, int nesterov, float weight_decay);

/// Adam as Keras (and AdamW when weight_decay > 0, decoupled: p −= lr·wd·p first):
/// m += (1−β1)(g − m); v += (1−β2)(g² − v);
/// p −= lr·√(1−β2^t)/(1−β1^t) · m/(√v + ε), t = step ≥ 1.
void ck_adam_step(float *param, float *m, float *v, const float *grad, size_t n,
                  float learning_rate, float beta1, float beta2, float epsilon,
                  uint64_t step, float weight_decay);

/// `ck_adam_step` on the rows `rows[0..<row_count]` of a row-major table of `width`
/// floats per row (param, m and v start at the table's first row) with a *compact*
/// gradient: the gradient of listed row `rows[r]` is `grad[r·width ..< (r+1)·width]`
/// (as ck_embedding_backward_compact writes it). The lazy update of an embedding's
/// touched rows, with the bias correction computed once; a listed row moves exactly as
/// ck_adam_step on the same ISA moves it. Rows must be distinct.
void ck_adam_rows(float *param, float *m, float *v, const float *grad, const int32_t *rows,
                  size_t row_count, size_t width, float learning_rate, float beta1, float beta2,
                  float epsilon, uint64_t step, float weight_decay);
/// `ck_adam_rows` on a given ISA (CK_ISA_SCALAR: the baseline loop; CK_ISA_AVX2 or
/// AVX512: the AVX2 + FMA loop; CK_ISA_AUTO: the CPU's best): 0, or −1 if `isa` is not
/// available. For tests.
int ck_adam_rows_isa(ck_isa isa, float *param, float *m, float *v, const float *grad,
                     const int32_t *rows, size_t row_count, size_t width, float learning_rate,
                     float beta1, float beta2, float epsilon, uint64_t step, float weight_decay);

/// Adagrad as Keras 3: acc += g²; p −= lr·g/√(acc + ε) (ε inside the root, unlike
/// Adam). `accumulator` starts at Keras' initial_accumulator_value (0.1 by default) and
/// must stay ≥ 0; param, accumulator and grad hold n floats each and do not overlap.
void ck_adagrad_step(float *param, float *accumulator, const float *grad, size_t n,
                     float learning_rate, float epsilon);

/* ------------------------------------------------------------------- utils */

/// 1 if all n values are finite, else 0.
int ck_all_finite(const float *x, size_t n);

/// 1 if every value of the rows `rows[0..<row_count]` (each `width` floats of a row-major
/// table starting at x) is finite, else 0.
int ck_rows_finite(const float *x, const int32_t *rows, size_t row_count, size_t width);

/// Copies rows: dst row i := src row index[i] (each `cols` floats). For batch gathers.
void ck_gather_rows(float *dst, const float *src, const int64_t *index, size_t rows,
                    size_t cols);

/// Copies a rows × cols block: dst row r (stride ldd floats) := src row r (stride lds).
/// For splitting and joining column blocks (packed inputs, concatenation).
void ck_copy_block(float *dst, size_t ldd, const float *src, size_t lds, size_t rows, size_t cols);

/* ------------------------------------------------------------ recommenders */

/// Top-k selection per row of `scores` (rows×cols, row stride ld): writes the k best
/// column indices (descending score; ties go to the lower index; NaN counts as −∞) into
/// out_ids (rows×k) and their scores into out_scores (rows×k, may be NULL). Columns listed
/// for row r in exclude_items[exclude_offsets[r] ..< exclude_offsets[r+1]] (any order) are
/// skipped (ids outside 0..<cols are ignored); exclude_offsets may be NULL. Rows with fewer
/// than k candidates are padded with id −1 and score −∞.
/// - Complexity: O(rows·cols·log k) worst case, O(rows·cols) typical.
void ck_topk(int32_t *out_ids, float *out_scores, const float *scores, size_t rows,
             size_t cols, size_t ld, size_t k, const int64_t *exclude_offsets,
             const int32_t *exclude_items);

/// Floats in the packed panels of n item vectors of `width` floats (ck_pack_item_panels).
size_t ck_item_panels_count(size_t n, size_t width);

/// Packs n item vectors (row-major, `width` floats each) for ck_topk_dot: panels of 16
/// items, each width × 16 floats (the 16 items' q-th components together), the last
/// panel zero-padded.
void ck_pack_item_panels(float *panels, const float *items, size_t n, size_t width);

/// Users ck_topk_dot scores together against each panel: calls with a multiple of this
/// many rows leave no partial group.
#define CK_TOPK_DOT_GROUP 96

/// Exact top-k of dot-product scores with the selection fused into the scoring, for
/// `rows` user vectors (row-major, `width` floats each) against the n items of `panels`
/// (ck_pack_item_panels): column j stands for id col_ids[j] (distinct, in [0, id_count));
/// writes per user the k best ids (descending score, ties to the lower id) and scores,
/// padded with −1 / −∞, skipping the ids excluded for that user (CSR lists as ck_topk;
/// exclude_offsets may be NULL). Scores are never stored: each 6 × 16 tile is computed in
/// registers (one FMA chain per score from +0 over the width in order, on every ISA) and
/// only scores that reach a user's current k-th best are looked at. When `norms` is given
/// (the items' norms in column order, non-increasing, each ≥ the true norm), a tile of
/// users stops at the first panel where ‖u‖·‖v‖ (widened for rounding) falls below every
/// one of its users' k-th best: the result is exactly that of scoring every item.
/// NaN scores count as −∞ while a heap is not full and never enter a full one (so with NaN
/// scores the padding picks differ from ck_topk's). `tiles_scored` (may be NULL) receives
/// the number of 6 × 16 tiles computed (a group's last tile of 1 to 3 users is computed as
/// a 3 × 16 half tile and counted as one), for tests and diagnostics.
/// `isa`: CK_ISA_AUTO (the best tile kernel here), CK_ISA_SCALAR or CK_ISA_AVX2 (for
/// tests; every variant gives the same bits). Returns 0 (outputs untouched) when that
/// variant does not run here or scratch memory could not be allocated, else 1.
int ck_topk_dot(ck_isa isa, int32_t *out_ids, float *out_scores, const float *users, size_t rows,
                size_t width, const float *panels, size_t n, const float *norms,
                const int32_t *col_ids, size_t id_count, size_t k,
                const int64_t *exclude_offsets, const int32_t *exclude_items, size_t *tiles_scored);

/// One iALS half-step (Hu, Koren, Volinsky 2008) by conjugate gradient, as `implicit`:
/// for rows r in [row_begin, row_end), warm-starts x_r and runs `cg_steps` CG iterations
/// on (YᵀY + λI + Yᵀ(C_r − I)Y) x_r = Yᵀ C_r p_r, where row r's interactions are
/// cols[row_start[r] ..< row_start[r+1]] with confidences conf (c ≥ 1) and p = 1 there.
/// yty_reg is YᵀY + λI (k×k). x is (rows×k), y is (cols×k).
void ck_ials_solve_cg(float *x, const float *y, const float *yty_reg, const int64_t *row_start,
                      const int32_t *cols, const float *conf, size_t row_begin, size_t row_end,
                      size_t k, int cg_steps);

/// The same half-step solved exactly: builds each row's k×k system and solves it by
/// Cholesky (own AVX2 kernels for k a multiple of 16, else ck_sgemm and LAPACKE sposv).
/// `scratch` holds k·k + k floats. Returns 0, or the LAPACK-style info (order of the
/// failing leading minor) of the first row whose system is not positive definite.
int ck_ials_solve_cholesky(float *x, const float *y, const float *yty_reg,
                           const int64_t *row_start, const int32_t *cols, const float *conf,
                           size_t row_begin, size_t row_end, size_t k, float *scratch);

/// ck_ials_solve_cg with a chosen variant (for tests and benchmarks): CK_ISA_SCALAR runs the
/// plain loops (vectorised by target clones); CK_ISA_AVX2 the AVX2 + FMA kernel (k a
/// multiple of 8: rows gathered once per row, eight items per pass, YᵀY·v by columns); any
/// other value the fastest variant for this CPU and k, as ck_ials_solve_cg. Returns 0, or
/// −2 when the variant cannot run here (no AVX2, k not a multiple of 8, or k ∉ 1...512).
int ck_ials_solve_cg_isa(ck_isa isa, float *x, const float *y, const float *yty_reg,
                         const int64_t *row_start, const int32_t *cols, const float *conf,
                         size_t row_begin, size_t row_end, size_t k, int cg_steps);

/// ck_ials_solve_cholesky with a chosen way of building each row's system: CK_ISA_SCALAR
/// by one ck_sgemm per row and LAPACKE sposv; CK_ISA_AVX2 by the AVX2 + FMA kernels (k a
/// multiple of 16: the upper triangle only, then an in-place Cholesky); any other value
/// the fastest for this CPU and k. Returns as
/// ck_ials_solve_cholesky, or −2 when the variant cannot run here.
int ck_ials_solve_cholesky_isa(ck_isa isa, float *x, const float *y, const float *yty_reg,
                               const int64_t *row_start, const int32_t *cols, const float *conf,
                               size_t row_begin, size_t row_end, size_t k, float *scratch);

/// One epoch of BPR matrix factorisation (Rendle et al. 2009) by SGD: `samples` draws of
/// a user's positive item i (uniform over interactions) and a negative j (uniform over
/// items, or with `popular_negatives` drawn like i, i.e. by popularity, as `implicit`
/// does; redrawn while the user has it, or with `skip_liked` drawn once and the sample
/// skipped when the user has it, as `implicit`'s verify_negative_samples; with
/// `candidates` > 1, that many such draws and the one scoring highest for the user, i.e.
/// dynamic negative sampling, Zhang et al. 2013), each step raising σ(x_ui − x_uj) with
/// x_ui = u·v_i + b_i: u += lr(z(v_i − v_j) − reg·u), v_i += lr(z·u − reg·v_i),
/// v_j += lr(−z·u − reg·v_j), b_i += lr(z − reg·b_i), b_j += lr(−z − reg·b_j), z = σ(−x_uij).
/// `rng` is a xorshift state (non-zero) advanced in place. Returns the fraction of the
/// steps taken (samples not skipped) whose pair was already ranked right (x_uij > 0), a
/// training-progress measure.
double ck_bpr_epoch(float *user_factors, float *item_factors, float *item_bias, size_t k,
                    const int64_t *row_start, const int32_t *cols, size_t users, size_t items,
                    size_t samples, float learning_rate, float regularization, int popular_negatives,
                    int skip_liked, size_t candidates, uint64_t *rng);

/// Asks the system for transparent huge pages behind `p` (2 MiB aligned) … `p + bytes`
/// (Linux madvise; a hint, ignored elsewhere): big tables read at random rows then miss
/// the TLB far less.
void ck_advise_huge_pages(void *p, size_t bytes);

/// Embedding lookup into a strided output: for rows r < `rows` and j < `per_row`, copies
/// table row `ids[r·per_row + j]` to `out + r·ldo + j·dim` (ldo ≥ per_row·dim), so the
/// vectors can land straight in their columns of a wider matrix (a concatenation).
void ck_embedding_forward_ld(const float *table, size_t dim, const float *ids, size_t rows,
                             size_t per_row, float *out, size_t ldo);

/// An embedding table's row-sparse gradient for one step, in one pass: zeroes the rows
/// `list[0..<previous)` (last step's), then for each id in order (as
/// ck_embedding_forward_ld lays them out, dy row r at `dy + r·ldy`) records its row the
/// first time it is seen this step (`stamps[row] != stamp` → `stamps[row] = stamp`,
/// appended to `list`) and adds its dy vector into the row. Returns the number of rows
/// recorded. The gradient is then zero outside `list[0..<returned)`.
size_t ck_embedding_backward_rows(float *grad, size_t dim, const float *ids, size_t rows,
                                  size_t per_row, const float *dy, size_t ldy,
                                  uint32_t *stamps, uint32_t stamp, int32_t *list,
                                  size_t previous);

/// A lazily stepped table's gradient for one step, in compact rows: for each id in order
/// (as ck_embedding_backward_rows reads them), the first time its row is seen this step
/// (`stamps[row] != stamp`) the row gets the next slot s (`stamps[row] = stamp`,
/// `slots[row] = s`, `list[s] = row`) and `compact[s·dim ..< (s+1)·dim] = 0 + dy`; later
/// ids of the row add their dy vector to its slot. Returns the number of slots used;
/// `compact` needs min(table rows, rows·per_row)·dim floats. Sums are formed in the same
/// order as ck_embedding_backward_rows forms them (bit-identical), but no table-sized
/// gradient is written, cleared or read (ck_adam_rows reads the compact rows).
size_t ck_embedding_backward_compact(float *compact, size_t dim, const float *ids, size_t rows,
                                     size_t per_row, const float *dy, size_t ldy, uint32_t *stamps,
                                     uint32_t stamp, int32_t *slots, int32_t *list);
/// `ck_embedding_backward_compact` on a given ISA (as ck_adam_rows_isa): the slot count,
/// or −1 if `isa` is not available. For tests.
ptrdiff_t ck_embedding_backward_compact_isa(ck_isa isa, float *compact, size_t dim,
                                            const float *ids, size_t rows, size_t per_row,
                                            const float *dy, size_t ldy, uint32_t *stamps,
                                            uint32_t stamp, int32_t *slots, int32_t *list);

/// The first of `count` values (at `x + i·stride`) that is not an integer id in
/// [0, limit), or `count` when all are.
size_t ck_first_invalid_id(const float *x, size_t count, size_t stride, size_t limit);
/// `ck_first_invalid_id` on a given ISA (as ck_adam_rows_isa), or −1 if `isa` is not
/// available. For tests.
ptrdiff_t ck_first_invalid_id_isa(ck_isa isa, const float *x, size_t count, size_t stride,
                                  size_t limit);

/// Embedding lookup: for each of `count` ids (stored as floats holding integers in
/// [0, rows), checked by the caller), copies row `ids[i]` of `table` (rows × dim) to
/// `out + i·dim`.
void ck_embedding_forward(const float *table, size_t dim, const float *ids, size_t count,
                          float *out);

/// Element-wise product of `n` pairs: `out[i] = a[i]·b[i]`; and its backward,
/// `da[i] = dy[i]·b[i]`, `db[i] = dy[i]·a[i]` (either gradient may be NULL).
void ck_mul_forward(const float *a, const float *b, float *out, size_t n);
void ck_mul_backward(const float *a, const float *b, const float *dy, float *da, float *db,
                     size_t n);

/// Inverts the symmetric positive definite n×n matrix `a` in place (both triangles
/// written) by Cholesky (LAPACKE spotrf + spotri). Returns 0 or the LAPACK info.
int ck_spd_inverse(float *a, size_t n);

/// Solves A·X = B for the symmetric positive definite n×n matrix `a` and the n×nrhs
/// row-major right-hand sides `b`, overwritten with X: a Cholesky factorisation (LAPACKE
/// spotrf, left in `a`'s lower triangle, row-major) and two triangular solves (BLAS
/// strsm). Returns 0, or the LAPACK info (order of the failing leading minor).
int ck_spd_solve(float *a, size_t n, float *b, size_t nrhs);

/// Sparse × dense rows: for r in [row_begin, row_end), out row r (stride ldo) :=
/// Σ_p vals[p] · dense row cols[p] (stride ldd) over p in row_start[r] ..< row_start[r+1]
/// (a CSR matrix; vals NULL means every value is 1), n columns; an empty row gives zeros.
/// The terms of a row are added in a fixed order, so the result is deterministic.
void ck_csr_dense_rows(float *out, size_t ldo, const int64_t *row_start, const int32_t *cols,
                       const float *vals, size_t row_begin, size_t row_end, const float *dense,
                       size_t ldd, size_t n);

/// y[i] += x[i] for n floats (y and x do not overlap). Sums the gradient arenas of a
/// data-parallel training step; each addition is one IEEE float rounding, so the result
/// equals Float(Double(y) + Double(x)) exactly.
void ck_add(float *y, const float *x, size_t n);

/// The number of nonzero entries of x[0..<n] (NaN counts as nonzero).
size_t ck_count_nonzero(const float *x, size_t n);
/// C(m×n) := A(m×k)·B(k×n), row-major and contiguous, visiting only the nonzero entries of
/// A (each adds a scaled row of B): for a mostly-zero A, e.g. a bag-of-items input.
/// Zero entries of A contribute nothing, even where B holds Inf or NaN.
void ck_sgemm_sparse_a(size_t m, size_t n, size_t k, const float *a, const float *b, float *c);
/// C(k×n) := Aᵀ·D for A(m×k) and D(m×n), visiting only the nonzero entries of A; with a
/// non-NULL W(k×n), C := Aᵀ·D + decay·W (a layer's weight gradient with its L2 term) in
/// one sweep over C instead of a clear and a separate pass, rounded as that pass would
/// round it: a row of C that A's column never reads is decay·W's row, any other is the
/// product's row plus decay·W's row, added last.
void ck_sgemm_sparse_at(size_t m, size_t n, size_t k, const float *a, const float *d, float *c,
                        const float *w, float decay);
/// For a square layer with its diagonal masked out: y[r·n + i] −= x[r·n + i] · w[i·n + i]
/// for every row r < m and column i < n (x, y are m × n, w is n × n, all contiguous);
/// zero entries of x change nothing.
void ck_sub_diagonal_product(float *y, const float *x, const float *w, size_t m, size_t n);

/// Counters for coordinating threads (data-parallel training steps), atomic on plain
/// 8-byte-aligned int64_t: add is acquire-release and returns the new value, load
/// acquires, store releases (so writes before an add or store are visible to a thread
/// whose load or add sees its result).
/// `ck_counter_wait` returns once `*counter >= target`: it spins briefly, then yields the
/// core between checks. Only wait for work another running thread has already claimed.
int64_t ck_counter_add(int64_t *counter, int64_t delta);
int64_t ck_counter_load(const int64_t *counter);
void ck_counter_store(int64_t *counter, int64_t value);
void ck_counter_wait(const int64_t *counter, int64_t target);

#ifdef __cplusplus
}
#endif
#endif
