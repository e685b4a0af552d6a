/// A model of several inputs joined in a graph: Keras' functional `Model`. Declare
/// ``Input``s, call layers on them (merge layers on arrays of nodes), and name the inputs
/// and the output; `compile`, `fit`, `evaluate`, `predict`, callbacks and weights files
/// work as for ``Sequential``, with one tensor per input.
///
/// ```swift
/// let user = Input(shape: [1], name: "user")
/// let item = Input(shape: [1], name: "item")
/// let u = Embedding(inputDim: users, outputDim: 32)(user)
/// let i = Embedding(inputDim: items, outputDim: 32)(item)
/// let hidden = Dense(units: 64, activation: .relu)(Concatenate()([u, i]))
/// let score = Dense(units: 1, activation: .sigmoid)(hidden)
/// let model = try Model(inputs: [user, item], outputs: score)
/// model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
/// try model.fit([userIds, itemIds], labels, epochs: 5, batchSize: 256)
/// ```
///
/// Inputs travel packed side by side in one float matrix, so ids are exact below 2²⁴.
/// A functional model trains on one thread.
public final class Model {
    /// The model's inputs, in the order `fit` and `predict` take their tensors.
    public let inputs: [Input]
    /// The model's name in `summary()`.
    public var name = "functional"
    let graph: GraphLayer
    /// The chain that runs the graph: `Input(packed) → graph`.
    let core: Sequential

    /// A model computing `outputs` from `inputs`.
    ///
    /// - Throws: ``DeepCoreError`` naming the layer when a layer refused its inputs' shapes,
    ///   the output depends on an input not listed, an input is unused, or a layer is
    ///   called more than once.
    public init(inputs: [Input], outputs: Node, name: String = "functional", seed: UInt64 = 42) throws {
        guard !inputs.isEmpty else { throw DeepCoreError.invalidArgument("Model needs at least one input") }
        self.inputs = inputs
        self.name = name
        graph = try GraphLayer(inputs: inputs, output: outputs)
        core = Sequential([], seed: seed)
        core.add(Input(shape: [graph.packedWidth]))
        core.add(graph)
        core.isSingleThreaded = true
        try core.build(inputShape: [graph.packedWidth])
    }

    /// The seed of initialisation and default seed of shuffling.
    public var seed: UInt64 { core.seed }
    /// All trainable parameters, in graph order.
    public var parameters: [Parameter] { core.parameters }
    /// Number of trainable scalars.
    public var parameterCount: Int { core.parameterCount }
    /// Features per sample of the output.
    public var outputWidth: Int { core.outputWidth }

    /// Chooses the optimizer, the loss and the metrics, as ``Sequential/compile(optimizer:loss:metrics:)``.
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [Metric] = []) {
        core.compile(optimizer: optimizer, loss: loss, metrics: metrics)
    }

    /// Trains on `x` (one tensor per input, samples × features, or a vector for a
    /// one-column input) against `y`; the options are those of ``Sequential/fit(_:_:epochs:batchSize:validationSplit:validationData:shuffle:seed:callbacks:verbose:)``.
    @discardableResult
    public func fit(_ x: [Tensor], _ y: Tensor, epochs: Int = 1, batchSize: Int = 32,
                    validationSplit: Double = 0, validationData: (x: [Tensor], y: Tensor)? = nil,
                    shuffle: Bool = true, seed: UInt64? = nil, callbacks: [any Callback] = [],
                    verbose: Verbosity = .auto) throws -> History {
        let packed = try pack(x, role: "training")
        let validation = try validationData.map { (x: try pack($0.x, role: "validation"), y: $0.y) }
        return try core.fit(packed, y, epochs: epochs, batchSize: batchSize, validationSplit: validationSplit,
                            validationData: validation, shuffle: shuffle, seed: seed, callbacks: callbacks,
                            verbose: verbose)
    }

    /// The loss and every compiled metric over `x` and `y`.
    public func evaluate(_ x: [Tensor], _ y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        try core.evaluate(try pack(x, role: "evaluation"), y, batchSize: batchSize)
    }

    /// The model's outputs for `x` (one tensor per input).
    public func predict(_ x: [Tensor], batchSize: Int = 1024) throws -> Tensor {
        try core.predict(try pack(x, role: "prediction"), batchSize: batchSize)
    }

    /// Saves every parameter (`layer/parameter` names), atomically, as ``Sequential/saveWeights(to:)``.
    public func saveWeights(to path: String) throws { try core.saveWeights(to: path) }
    /// Loads weights saved by a model of the same graph; nothing changes unless the file verifies.
    public func loadWeights(from path: String) throws { try core.loadWeights(from: path) }

    /// One forward and backward pass without an update (gradient checks).
    func lossAndGradients(_ x: [Tensor], _ y: Tensor) throws -> Double {
        try core.lossAndGradients(try pack(x, role: "gradient"), y)
    }

    /// Checks the tensors against the inputs and packs them side by side.
    func pack(_ x: [Tensor], role: String) throws -> Tensor {
        guard x.count == inputs.count else {
            throw DeepCoreError.shapeMismatch("\(role): the model takes \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))), got \(x.count) tensors")
        }
        let columns = try zip(x, inputs).map { t, input -> Tensor in
            let t2 = t.rank == 1 ? t.reshaped([t.shape[0], 1]) : t
            let width = input.shape.reduce(1, *)
            guard t2.rank == 2, t2.shape[1] == width else {
                throw DeepCoreError.shapeMismatch("\(role) input '\(input.name)' must be (samples, \(width)); got shape \(t.shape)")
            }
            return t2
        }
        let n = columns[0].shape[0]
        for (t, input) in zip(columns, inputs) where t.shape[0] != n {
            throw DeepCoreError.shapeMismatch("\(role) input '\(input.name)' has \(t.shape[0]) samples; '\(inputs[0].name)' has \(n)")
        }
        if columns.count == 1 { return columns[0] }
        let total = graph.packedWidth
        var packed = Tensor(zeros: [n, total])
        packed.withUnsafeMutableBufferPointer { dst in
            for (k, t) in columns.enumerated() {
                let w = t.shape[1], offset = graph.inputOffsets[k]
                t.withUnsafeBufferPointer { src in
                    for r in 0..<n { (dst.baseAddress! + r * total + offset).update(from: src.baseAddress! + r * w, count: w) }
                }
            }
        }
        return packed
    }

    /// A Keras-style table of layers, output shapes, parameter counts and connections.
    public var summaryDescription: String {
        var rows: [(String, String, String, String)] = inputs.map {
            ("\($0.name) (InputLayer)", Self.shape($0.shape), "0", "-")
        }
        for n in graph.nodes {
            let layer = n.layer!
            let sources = n.sources.map { $0.input?.name ?? $0.layer!.name }.joined(separator: ", ")
            rows.append(("\(layer.name) (\(layer.typeName))", Self.shape(n.shape!),
                         Sequential.grouped(layer.parameterCount), sources))
        }
        let w0 = max(24, rows.map(\.0.count).max()!), w1 = max(14, rows.map(\.1.count).max()!)
        let w2 = max(9, rows.map(\.2.count).max()!), w3 = max(14, rows.map(\.3.count).max()!)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        func line(_ r: (String, String, String, String)) -> String {
            pad(r.0, w0) + "  " + pad(r.1, w1) + "  " + String(repeating: " ", count: max(0, w2 - r.2.count)) + r.2 + "  " + pad(r.3, w3)
        }
        let rule = String(repeating: "─", count: w0 + w1 + w2 + w3 + 6)
        var out = ["Model: \"\(name)\"", rule, line(("Layer (type)", "Output Shape", "Param #", "Connected to")), rule]
        out += rows.map(line)
        out.append(rule)
        let count = parameterCount
        out.append(" Total params: \(Sequential.grouped(count)) (\(Sequential.byteSize(count * 4)))")
        return out.joined(separator: "\n")
    }

    /// Prints ``summaryDescription``.
    public func summary() { print(summaryDescription) }

    private static func shape(_ s: [Int]) -> String { "(None, " + s.map(String.init).joined(separator: ", ") + ")" }
}
