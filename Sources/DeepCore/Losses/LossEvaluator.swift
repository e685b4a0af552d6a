/// Computes a compiled loss over one batch: the mean loss, ∂L/∂(model output or logits)
/// and the probabilities that metrics and `predict` see. Buffers are planned once.
struct LossEvaluator {
    let loss: Loss
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
        }
    }

    private func copyIfNeeded(_ src: MatrixView, _ dst: MatrixView) {
        if src.base != dst.base { dst.base.update(from: src.base, count: src.count) }
    }
}
