/// A symbolic value of the functional API (Keras' `KerasTensor`): what an ``Input`` holds
/// or a layer returns when called on other nodes. Shapes are per sample and known at once,
/// so a wrong connection shows when ``Model`` is created, naming the layer.
///
/// ```swift
/// let user = Input(shape: [1], name: "user")
/// let item = Input(shape: [1], name: "item")
/// let u = Embedding(inputDim: 943, outputDim: 8)(user)
/// let i = Embedding(inputDim: 1682, outputDim: 8)(item)
/// let score = Dense(units: 1, activation: .sigmoid)(Multiply()([u, i]))
/// let model = try Model(inputs: [user, item], outputs: score)
/// ```
public final class Node {
    /// The layer that computes this node; `nil` for an input.
    let layer: (any Layer)?
    /// The input this node stands for, when it is one.
    let input: Input?
    /// The nodes the layer reads.
    let sources: [Node]
    /// The per-sample shape, or `nil` when the layer refused its inputs.
    public let shape: [Int]?
    /// Why the layer refused its inputs (thrown by ``Model/init(inputs:outputs:name:seed:)``).
    let error: (any Error)?

    init(input: Input) {
        layer = nil
        self.input = input
        sources = []
        shape = input.shape
        error = nil
    }

    init(layer: any Layer, sources: [Node]) {
        self.layer = layer
        self.input = nil
        self.sources = sources
        var error = sources.lazy.compactMap(\.error).first
        var shape: [Int]?
        if error == nil {
            do {
                let shapes = sources.map { $0.shape! }
                if let merge = layer as? any MergeLayer {
                    shape = try merge.build(inputShapes: shapes)
                } else if shapes.count == 1 {
                    shape = try layer.build(inputShape: shapes[0])
                } else {
                    throw DeepCoreError.shapeMismatch("\(layer.typeName) takes one input; join \(shapes.count) with Concatenate, Multiply or Dot")
                }
            } catch let e { error = e }
        }
        self.shape = shape
        self.error = error
    }

    var width: Int { shape?.reduce(1, *) ?? 0 }
}

extension Input {
    /// The node this input stands for in a functional ``Model`` (one per input).
    public var node: Node {
        if let existing = symbolicNode { return existing }
        let n = Node(input: self)
        symbolicNode = n
        return n
    }
}

extension Layer {
    /// Applies the layer to `x` in a functional ``Model``. A layer is called once.
    public func callAsFunction(_ x: Node) -> Node { Node(layer: self, sources: [x]) }
    /// Applies the layer to an ``Input``.
    public func callAsFunction(_ x: Input) -> Node { Node(layer: self, sources: [x.node]) }
}

extension MergeLayer {
    /// Joins `xs` in a functional ``Model``.
    public func callAsFunction(_ xs: [Node]) -> Node { Node(layer: self, sources: xs) }
}
