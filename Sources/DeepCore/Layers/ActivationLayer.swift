/// Applies an ``Activation`` on its own, as `keras.layers.Activation`.
public final class ActivationLayer: Layer, ActivationFusing {
    public var name = "activation"
    public var typeName: String { "Activation" }
    /// The nonlinearity applied.
    public let activation: Activation
    var defersActivation = false

    /// A layer applying `activation`.
    public init(_ activation: Activation) { self.activation = activation }

    public func build(inputShape: [Int]) throws -> [Int] { inputShape }
    public var parameters: [Parameter] { [] }

    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        Kernels.biasActivationForward(output, input, bias: nil, defersActivation ? .linear : activation)
    }

    public func backward(input: MatrixView, output: MatrixView, outputGradient dy: MatrixView,
                         inputGradient dx: MatrixView?, context: LayerContext) {
        guard let dx else { return }
        Kernels.activationBackward(dx, dy, output: output, defersActivation ? .linear : activation)
    }
}
