internal import CKernels

extension Kernels {
    /// Sigmoid binary cross-entropy from logits; writes gradient and probabilities.
    static func bceLogits(gradient: MatrixView?, probabilities: MatrixView?,
                          logits: MatrixView, targets: UnsafePointer<Float>) -> Double {
        ck_bce_logits(gradient?.base, probabilities?.base, logits.base, targets, logits.count)
    }

    static func bceProbabilities(gradient: MatrixView?, _ p: MatrixView,
                                 targets: UnsafePointer<Float>) -> Double {
        ck_bce_prob(gradient?.base, p.base, targets, p.count)
    }

    static func meanSquaredError(gradient: MatrixView?, _ y: MatrixView,
                                 targets: UnsafePointer<Float>) -> Double {
        ck_mse(gradient?.base, y.base, targets, y.count)
    }

    /// Softmax cross-entropy from logits; `classIndices` replaces dense targets when given.
    static func softmaxCrossEntropy(gradient: MatrixView?, probabilities: MatrixView?,
                                    logits: MatrixView, dense: UnsafePointer<Float>?,
                                    classIndices: UnsafePointer<Int32>?) -> Double {
        ck_softmax_xent(gradient?.base, probabilities?.base, logits.base, dense, classIndices,
                        logits.rows, logits.columns)
    }

    static func crossEntropyProbabilities(gradient: MatrixView?, _ p: MatrixView,
                                          dense: UnsafePointer<Float>?,
                                          classIndices: UnsafePointer<Int32>?) -> Double {
        ck_xent_prob(gradient?.base, p.base, dense, classIndices, p.rows, p.columns)
    }

    static func sgdStep(_ p: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>?,
                        gradient: UnsafePointer<Float>, count: Int, learningRate: Float,
                        momentum: Float, nesterov: Bool, weightDecay: Float) {
        ck_sgd_step(p, velocity, gradient, count, learningRate, momentum, nesterov ? 1 : 0, weightDecay)
    }

    static func adamStep(_ p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                         v: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                         count: Int, learningRate: Float, beta1: Float, beta2: Float,
                         epsilon: Float, step: UInt64, weightDecay: Float) {
        ck_adam_step(p, m, v, gradient, count, learningRate, beta1, beta2, epsilon, step, weightDecay)
    }

    /// `adamStep` over rows `rows[0..<count]` of a table of `width` floats per row, with
    /// the compact gradient of `ck_adam_rows` (listed row r's gradient at `gradient + r·width`).
    static func adamRows(_ p: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                         v: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                         rows: UnsafePointer<Int32>, count: Int, width: Int, learningRate: Float,
                         beta1: Float, beta2: Float, epsilon: Float, step: UInt64, weightDecay: Float) {
        ck_adam_rows(p, m, v, gradient, rows, count, width, learningRate, beta1, beta2, epsilon, step, weightDecay)
    }

    /// Adagrad as Keras 3: `acc += g²; p −= lr·g/√(acc + ε)`.
    static func adagradStep(_ p: UnsafeMutablePointer<Float>, accumulator: UnsafeMutablePointer<Float>,
                            gradient: UnsafePointer<Float>, count: Int, learningRate: Float,
                            epsilon: Float) {
        ck_adagrad_step(p, accumulator, gradient, count, learningRate, epsilon)
    }
}
