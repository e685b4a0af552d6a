/// Adagrad (Duchi, Hazan and Singer 2011) with Keras 3's formula and defaults, as
/// `keras.optimizers.Adagrad`: every parameter keeps the sum of its squared gradients,
/// starting at `initialAccumulatorValue`, and steps by
/// `learningRate · g / √(accumulator + ε)`. Parameters with large or frequent gradients
/// take smaller steps, which suits sparse features.
///
/// ```swift
/// model.compile(optimizer: Adagrad(learningRate: 0.05), loss: .binaryCrossentropy)
/// ```
///
/// Keras notes that Adagrad usually wants a larger learning rate than its default 0.001
/// (the paper's form uses 1.0).
public final class Adagrad: Optimizer {
    /// The accumulator's starting value for every parameter (≥ 0).
    public let initialAccumulatorValue: Float
    /// Added to the accumulator under the square root (Keras puts it inside the root).
    public let epsilon: Float
    private var accumulator: UnsafeMutablePointer<Float>?

    /// Adagrad with Keras' defaults.
    ///
    /// ```swift
    /// let adagrad = Adagrad(learningRate: 0.01, initialAccumulatorValue: 0.1)
    /// ```
    public init(learningRate: Float = 0.001, initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7) {
        precondition(initialAccumulatorValue.isFinite && initialAccumulatorValue >= 0,
                     "Adagrad: initialAccumulatorValue must be finite and non-negative, got \(initialAccumulatorValue)")
        precondition(epsilon.isFinite && epsilon >= 0, "Adagrad: epsilon must be finite and non-negative, got \(epsilon)")
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        super.init(learningRate: learningRate)
    }

    override func allocateState(_ count: Int) {
        let a = workspace.floats(count)
        a.update(repeating: initialAccumulatorValue, count: count)
        accumulator = a
    }

    override func apply(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
                        stateOffset: Int) {
        Kernels.adagradStep(values, accumulator: accumulator! + stateOffset, gradient: gradients, count: count,
                            learningRate: learningRate, epsilon: epsilon)
    }

    override var configurationDescription: String {
        "Adagrad(learningRate: \(learningRate), initialAccumulatorValue: \(initialAccumulatorValue), epsilon: \(epsilon))"
    }
}
