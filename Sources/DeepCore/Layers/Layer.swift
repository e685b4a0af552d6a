/// What a layer sees of the step it runs in.
public struct LayerContext: Sendable {
    /// `true` during `fit`, `false` in `evaluate` and `predict` (dropout uses this).
    public var isTraining: Bool
    /// The optimizer step counter; with `seed`, fixes any randomness of this step.
    public var step: UInt64
    /// The run's seed.
    public var seed: UInt64
    /// Where this thread's parameter gradients live, relative to the model's gradient
    /// arena (0 on the main thread; each extra training thread has its own arena).
    var gradientShift: Int = 0
    /// The batch row where this thread's rows begin (0 on one thread): layers whose
    /// randomness is per element (``Dropout``) index by batch position, so the result does
    /// not depend on how a batch is split over threads.
    public internal(set) var firstRow: Int = 0

    init(isTraining: Bool, step: UInt64, seed: UInt64, gradientShift: Int = 0) {
        self.isTraining = isTraining
        self.step = step
        self.seed = seed
        self.gradientShift = gradientShift
    }

    /// Where `backward` writes the gradient of `parameter` in this step. Layers must use
    /// this rather than `parameter.gradient`, so that threads never share gradients.
    public func gradient(of parameter: Parameter) -> UnsafeMutablePointer<Float> {
        guard let g = parameter.gradient else { preconditionFailure("Parameter \(parameter.name) is not built yet") }
        return g + gradientShift
    }
}

/// A building block of a model: it declares its parameters for an input shape and maps a
/// batch of inputs to a batch of outputs, forward and backward, over buffers the model
/// owns and plans once (so a training step allocates nothing).
///
/// Shapes are per sample (no batch axis). Activations are `MatrixView`s of
/// `batch × features`. Gradients of parameters are *overwritten* by `backward`.
public protocol Layer: AnyObject {
    /// A unique name within the model (`dense`, `dense_1`, …), set when it is added.
    var name: String { get set }
    /// The type name shown by `summary()`, e.g. `Dense`.
    var typeName: String { get }
    /// Declares parameters for `inputShape` and returns the output shape (per sample).
    func build(inputShape: [Int]) throws -> [Int]
    /// The trainable parameters (empty for parameter-free layers).
    var parameters: [Parameter] { get }
    /// Computes `output` from `input` (both `batch × features`).
    func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext)
    /// Given `outputGradient` (∂L/∂output, which the layer may overwrite), writes the
    /// parameters' gradients and, when `inputGradient` is not `nil`, ∂L/∂input.
    func backward(input: MatrixView, output: MatrixView, outputGradient: MatrixView,
                  inputGradient: MatrixView?, context: LayerContext)
}

/// A layer whose output goes through an ``Activation`` that a loss can absorb: sigmoid
/// before binary cross-entropy and softmax before categorical cross-entropy are then
/// computed from logits in one stable kernel. The model sets `defersActivation`.
protocol ActivationFusing: Layer {
    var activation: Activation { get }
    var defersActivation: Bool { get set }
}

extension Layer {
    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
