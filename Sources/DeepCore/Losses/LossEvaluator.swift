import Foundation

/// Computes a compiled loss over one batch: the mean loss, ∂L/∂(model output or logits)
/// and the probabilities that metrics and `predict` see. Buffers are planned once.
struct LossEvaluator {
    let loss: Loss
    /// Scratch for losses that couple rows (in-batch softmax), grown on first use.
    private let scratch = RankingScratch()
    /// The last layer's activation is applied here instead of in the layer.
    let fused: Bool
    let onLogits: Bool

    init(loss: Loss, fused: Bool) {
        self.loss = loss
        self.fused = fused
        onLogits = loss.worksOnLogits(fused: fused)
    }

    /// - Parameters:
    ///   - output: the last layer's output (logits when `onLogits`).
    ///   - targets: `batch × targetWidth` floats.
    ///   - classIndices: scratch of `batch` ints for sparse targets.
    ///   - gradient: receives ∂L/∂output, or `nil` when only the loss is needed.
    ///   - probabilities: receives what the model predicts (equal to `output` when not
    ///     on logits; may be the same view).
    func evaluate(output: MatrixView, targets: MatrixView, classIndices: UnsafeMutablePointer<Int32>,
                  gradient: MatrixView?, probabilities: MatrixView) -> Double {
        switch loss.kind {
        case .binaryCrossentropy:
            if onLogits {
                return Kernels.bceLogits(gradient: gradient, probabilities: probabilities,
                                         logits: output, targets: targets.base)
            }
            copyIfNeeded(output, probabilities)
            return Kernels.bceProbabilities(gradient: gradient, output, targets: targets.base)
        case .meanSquaredError:
            copyIfNeeded(output, probabilities)
            return Kernels.meanSquaredError(gradient: gradient, output, targets: targets.base)
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            var indices: UnsafeMutablePointer<Int32>? = nil
            if loss.isSparse {
                for r in 0..<targets.rows { classIndices[r] = Int32(targets.base[r]) }
                indices = classIndices
            }
            let dense: UnsafeMutablePointer<Float>? = loss.isSparse ? nil : targets.base
            if onLogits {
                return Kernels.softmaxCrossEntropy(gradient: gradient, probabilities: probabilities,
                                                   logits: output, dense: dense, classIndices: indices)
            }
            copyIfNeeded(output, probabilities)
            return Kernels.crossEntropyProbabilities(gradient: gradient, output, dense: dense,
                                                     classIndices: indices)
        case .bpr:
            return Self.bpr(output: output, gradient: gradient, probabilities: probabilities)
        case .inBatchSoftmax(let temperature):
            copyIfNeeded(output, probabilities)
            return scratch.inBatchSoftmax(output: output, gradient: gradient, temperature: temperature)
        }
    }

    /// Mean of −log σ(s⁺ − s⁻) over row pairs; probabilities σ(s) per row.
    static func bpr(output: MatrixView, gradient: MatrixView?, probabilities: MatrixView) -> Double {
        let pairs = output.rows / 2
        var total = 0.0
        for p in 0..<pairs {
            let d = Double(output.base[2 * p]) - Double(output.base[2 * p + 1])
            // −log σ(d) = softplus(−d), stable both ways.
            total += d > 0 ? log1p(exp(-d)) : -d + log1p(exp(d))
            if let g = gradient {
                let s = Float(1 / (1 + exp(d)))   // σ(−d)
                g.base[2 * p] = -s / Float(pairs)
                g.base[2 * p + 1] = s / Float(pairs)
            }
        }
        if output.rows % 2 == 1, let g = gradient { g.base[output.rows - 1] = 0 }
        for r in 0..<output.rows {
            let z = output.base[r]
            probabilities.base[r] = z >= 0 ? 1 / (1 + expf(-z)) : expf(z) / (1 + expf(z))
        }
        return pairs > 0 ? total / Double(pairs) : 0
    }

    private func copyIfNeeded(_ src: MatrixView, _ dst: MatrixView) {
        if src.base != dst.base { dst.base.update(from: src.base, count: src.count) }
    }
}

/// Buffers of the in-batch softmax: the two halves of the output made contiguous, the
/// batch × batch logits. Grown once to the batch size, so steps allocate nothing.
final class RankingScratch: @unchecked Sendable {
    private var capacity = (rows: 0, width: 0)
    private var workspace = Workspace()
    private var users = MatrixView.empty, items = MatrixView.empty, logits = MatrixView.empty
    private var dUsers = MatrixView.empty, dItems = MatrixView.empty

    private func ensure(rows: Int, width: Int) {
        guard rows > capacity.rows || width != capacity.width else { return }
        capacity = (max(rows, capacity.rows), width)
        workspace = Workspace()
        users = workspace.matrix(rows: capacity.rows, columns: width)
        items = workspace.matrix(rows: capacity.rows, columns: width)
        dUsers = workspace.matrix(rows: capacity.rows, columns: width)
        dItems = workspace.matrix(rows: capacity.rows, columns: width)
        logits = workspace.matrix(rows: capacity.rows, columns: capacity.rows)
    }

    /// Loss and gradient of sampled softmax with in-batch negatives; see ``Loss/inBatchSoftmax(temperature:)``.
    func inBatchSoftmax(output: MatrixView, gradient: MatrixView?, temperature: Float) -> Double {
        let b = output.rows, d = output.columns / 2
        guard b > 0 else { return 0 }
        ensure(rows: b, width: d)
        let u = users.prefix(rows: b), v = items.prefix(rows: b)
        Kernels.copyBlock(u.base, ldd: d, from: output.base, lds: 2 * d, rows: b, cols: d)
        Kernels.copyBlock(v.base, ldd: d, from: output.base + d, lds: 2 * d, rows: b, cols: d)
        let z = MatrixView(base: logits.base, rows: b, columns: b)
        Kernels.gemm(u, v, into: z, transposeB: true, alpha: 1 / temperature)
        var total = 0.0
        for r in 0..<b {
            let row = z.base + r * b
            var m = -Float.infinity
            for c in 0..<b { m = max(m, row[c]) }
            var sum = 0.0
            for c in 0..<b { sum += Double(expf(row[c] - m)) }
            total += log(sum) + Double(m) - Double(row[r])
            // Row r becomes (softmax − onehot) / (b · temperature): ∂L/∂(u_r·v_c).
            let scale = 1 / (Float(sum) * Float(b) * temperature)
            for c in 0..<b { row[c] = expf(row[c] - m) * scale }
            row[r] -= 1 / (Float(b) * temperature)
        }
        guard let gradient else { return total / Double(b) }
        let du = dUsers.prefix(rows: b), dv = dItems.prefix(rows: b)
        Kernels.gemm(z, v, into: du)                      // dU = G·V
        Kernels.gemm(z, u, into: dv, transposeA: true)    // dV = Gᵀ·U
        Kernels.copyBlock(gradient.base, ldd: 2 * d, from: du.base, lds: d, rows: b, cols: d)
        Kernels.copyBlock(gradient.base + d, ldd: 2 * d, from: dv.base, lds: d, rows: b, cols: d)
        return total / Double(b)
    }
}
