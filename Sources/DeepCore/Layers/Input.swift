/// Declares the per-sample input shape of a model, as `keras.Input(shape=...)`.
///
/// ```swift
/// Sequential([Input(shape: [64]), Dense(units: 1, activation: .sigmoid)])
/// ```
public final class Input: Layer {
    public var name = "input"
    public var typeName: String { "InputLayer" }
    /// The per-sample shape.
    public let shape: [Int]
    var symbolicNode: Node?

    /// An input of `shape` (per sample, without the batch axis); `name` labels it in a
    /// functional ``Model``'s summary and errors.
    public init(shape: [Int], name: String? = nil) {
        precondition(shape.allSatisfy { $0 > 0 }, "Input: dimensions must be positive, got \(shape)")
        self.shape = shape
        if let name { self.name = name }
    }

    public func build(inputShape: [Int]) throws -> [Int] { shape }
    public var parameters: [Parameter] { [] }
    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {}
    public func backward(input: MatrixView, output: MatrixView, outputGradient: MatrixView,
                         inputGradient: MatrixView?, context: LayerContext) {}
}
