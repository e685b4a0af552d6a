/// A fully connected layer: `activation(input · kernel + bias)`, with the kernel of shape
/// `[inputs, units]` initialised Glorot-uniform and the bias zero, as Keras does.
///
/// ```swift
/// Dense(units: 128, activation: .relu)
/// Dense(units: 64, activation: .relu, kernelRegularizer: .l2(1e-4))
/// ```
///
/// With `zeroDiagonal: true` the layer is square (`units` equals its inputs) and its
/// kernel's diagonal is masked out: output `i` never reads input `i`, as in the item-item
/// autoencoders EASE and EDLAE (Steck, *Autoencoders that don't overfit towards the
/// identity*, NeurIPS 2020), which otherwise learn to copy their input:
///
/// ```swift
/// Dense(units: items, usesBias: false, kernelInitializer: .zeros, zeroDiagonal: true)
/// ```
///
/// With `sparseInputs: true`, an input with at most 1 entry in 32 nonzero (a bag of items
/// over a catalog of 64 or more) is multiplied by visiting its nonzero entries only, forward
/// and for the kernel's gradient: the same products up to float summation order.
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
    /// Whether the kernel's diagonal is masked out (a square layer): the layer computes
    /// `input · (kernel ⊙ (1 − I))`, the diagonal's gradient is 0 and its penalty is not
    /// counted, so whatever the stored diagonal holds is never used.
    public let zeroDiagonal: Bool
    /// Whether inputs may be bags of items (mostly zeros): then each batch is checked and,
    /// when at most 1 entry in 32 is nonzero, multiplied by its nonzero entries only. Off by
    /// default: the check is a pass over the input that dense inputs would pay for nothing.
    public let sparseInputs: Bool

    /// A dense layer of `units` outputs, optionally with a penalty on its kernel.
    public init(units: Int, activation: Activation = .linear, usesBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, kernelRegularizer: Regularizer? = nil,
                zeroDiagonal: Bool = false, sparseInputs: Bool = false) {
        precondition(units > 0, "Dense: units must be positive, got \(units)")
        self.zeroDiagonal = zeroDiagonal
        self.sparseInputs = sparseInputs
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
        var penalty = kernelRegularizer.penalty(values: w, count: k.shape[0] * units)
        if zeroDiagonal {
            for i in 0..<units {
                let d = Double(w[i * units + i])
                penalty -= Double(kernelRegularizer.l1) * abs(d) + Double(kernelRegularizer.l2) * d * d
            }
        }
        return penalty
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1, inputShape[0] > 0 else {
            throw DeepCoreError.shapeMismatch("Dense '\(name)' expects a vector input, got shape \(inputShape)")
        }
        guard !zeroDiagonal || inputShape[0] == units else {
            throw DeepCoreError.shapeMismatch("Dense '\(name)' masks its diagonal, so it must be square: \(inputShape[0]) inputs, \(units) units")
        }
        kernel = Parameter(name: "kernel", shape: [inputShape[0], units], initializer: kernelInitializer)
        bias = usesBias ? Parameter(name: "bias", shape: [units], initializer: .zeros) : nil
        return [units]
    }

    public var parameters: [Parameter] { [kernel, bias].compactMap { $0 } }

    var appliedActivation: Activation { defersActivation ? .linear : activation }

    /// Whether `input` is sparse enough (at most 1 entry in 32 nonzero) that visiting its
    /// nonzero entries beats a dense GEMM: a bag-of-items input over a catalog, as in an
    /// autoencoder recommender.
    static func isSparse(_ input: MatrixView) -> Bool {
        input.columns >= 64 && input.rows > 0 && Kernels.nonzeroCount(input) * 32 <= input.count
    }

    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        let w = MatrixView(base: kernel!.value!, rows: input.columns, columns: units)
        let sparse = sparseInputs && Self.isSparse(input)
        guard sparse || zeroDiagonal else {
            Kernels.linearForward(input, weights: w, bias: bias?.value, appliedActivation, into: output)
            return
        }
        guard input.rows > 0 else { return }
        if sparse { Kernels.sparseGemm(input, w, into: output) } else { Kernels.gemm(input, w, into: output) }
        if zeroDiagonal { Kernels.subtractDiagonalProduct(output, input, weights: w) }
        Kernels.biasActivationForward(output, output, bias: bias?.value, appliedActivation)
    }

    public func backward(input: MatrixView, output: MatrixView, outputGradient dy: MatrixView,
                         inputGradient dx: MatrixView?, context: LayerContext) {
        // Fold the activation's derivative into the incoming gradient, dZ = dY ⊙ act'(Y),
        // and sum the bias gradient db = Σ dZ in the same sweep.
        Kernels.activationBiasBackward(dy, dy, output: output, dbias: bias.map { context.gradient(of: $0) },
                                       appliedActivation)
        let w = MatrixView(base: kernel!.value!, rows: input.columns, columns: units)
        let dw = MatrixView(base: context.gradient(of: kernel!), rows: input.columns, columns: units)
        // The penalty's gradient once per step: only the thread writing the model's own
        // gradient arena adds it (the other threads' arenas are summed into that one).
        let penalised = context.gradientShift == 0 ? kernelRegularizer : nil
        if sparseInputs && Self.isSparse(input) {                     // dW = Xᵀ·dZ
            // An L2 term joins the sparse product's sweep over dW (for an items × items layer
            // that sweep, not the product, is the cost); same roundings as a separate pass.
            let fused = penalised.flatMap { $0.l1 == 0 ? (weights: w, decay: 2 * $0.l2) : nil }
            Kernels.sparseGemmTransposedA(input, dy, into: dw, plus: fused)
            if fused == nil, let penalised { penalised.addGradient(values: w.base, gradient: dw.base, count: w.count) }
        } else {
            Kernels.gemm(input, dy, into: dw, transposeA: true)
            penalised?.addGradient(values: w.base, gradient: dw.base, count: w.count)
        }
        if zeroDiagonal { for i in 0..<units { dw.base[i * units + i] = 0 } }
        if let dx {
            Kernels.gemm(dy, w, into: dx, transposeB: true)           // dX = dZ·Wᵀ
            if zeroDiagonal { Kernels.subtractDiagonalProduct(dx, dy, weights: w) }
        }
    }
}
