/// A fully connected layer: `activation(input · kernel + bias)`, with the kernel of shape
/// `[inputs, units]` initialised Glorot-uniform and the bias zero, as Keras does.
///
/// ```swift
/// Dense(units: 128, activation: .relu)
/// Dense(units: 64, activation: .relu, kernelRegularizer: .l2(1e-4))
/// ```
public final class Dense: Layer, ActivationFusing {
    public var name = "dense"
    public var typeName: String { "Dense" }
    /// Output features.
    public let units: Int
    /// The nonlinearity applied after the affine map.
    public let activation: Activation
    /// Whether a bias is added.
    public let usesBias: Bool
    var defersActivation = false
    private let kernelInitializer: Initializer
    /// A penalty on the kernel, whose gradient `backward` adds to the kernel's gradient.
    public let kernelRegularizer: Regularizer?
    /// `[inputs, units]`, available after the model is built.
    public private(set) var kernel: Parameter?
    /// `[units]`, when `usesBias`.
    public private(set) var bias: Parameter?

    /// A dense layer of `units` outputs, optionally with a penalty on its kernel.
    public init(units: Int, activation: Activation = .linear, usesBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, kernelRegularizer: Regularizer? = nil) {
        precondition(units > 0, "Dense: units must be positive, got \(units)")
        self.units = units
        self.activation = activation
        self.usesBias = usesBias
        self.kernelInitializer = kernelInitializer
        self.kernelRegularizer = kernelRegularizer
    }

    /// The kernel regularizer's penalty at the current weights (0 without one, or before
    /// the model is built): the term Keras adds to the reported loss.
    ///
    /// ```swift
    /// let dense = Dense(units: 4, kernelRegularizer: .l2(0.01))
    /// // after building: total loss = data loss + dense.regularizationPenalty
    /// ```
    public var regularizationPenalty: Double {
        guard let kernelRegularizer, let k = kernel, let w = k.value else { return 0 }
        // shape[0]·units, not `k.count`: `reduce` allocates in debug builds, and the model
        // may read this every batch.
        return kernelRegularizer.penalty(values: w, count: k.shape[0] * units)
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1, inputShape[0] > 0 else {
            throw DeepCoreError.shapeMismatch("Dense '\(name)' expects a vector input, got shape \(inputShape)")
        }
        kernel = Parameter(name: "kernel", shape: [inputShape[0], units], initializer: kernelInitializer)
        bias = usesBias ? Parameter(name: "bias", shape: [units], initializer: .zeros) : nil
        return [units]
    }

    public var parameters: [Parameter] { [kernel, bias].compactMap { $0 } }

    var appliedActivation: Activation { defersActivation ? .linear : activation }

    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        let w = MatrixView(base: kernel!.value!, rows: input.columns, columns: units)
        Kernels.linearForward(input, weights: w, bias: bias?.value, appliedActivation, into: output)
    }

    public func backward(input: MatrixView, output: MatrixView, outputGradient dy: MatrixView,
                         inputGradient dx: MatrixView?, context: LayerContext) {
        // Fold the activation's derivative into the incoming gradient, dZ = dY ⊙ act'(Y),
        // and sum the bias gradient db = Σ dZ in the same sweep.
        Kernels.activationBiasBackward(dy, dy, output: output, dbias: bias.map { context.gradient(of: $0) },
                                       appliedActivation)
        let w = MatrixView(base: kernel!.value!, rows: input.columns, columns: units)
        let dw = MatrixView(base: context.gradient(of: kernel!), rows: input.columns, columns: units)
        Kernels.gemm(input, dy, into: dw, transposeA: true)          // dW = Xᵀ·dZ
        // The penalty's gradient once per step: only the thread writing the model's own
        // gradient arena adds it (the other threads' arenas are summed into that one).
        if let kernelRegularizer, context.gradientShift == 0 {
            kernelRegularizer.addGradient(values: w.base, gradient: dw.base, count: w.count)
        }
        if let dx { Kernels.gemm(dy, w, into: dx, transposeB: true) } // dX = dZ·Wᵀ
    }
}
