/// A stack of layers, each feeding the next: Keras' `Sequential`.
///
/// ```swift
/// let model = Sequential([
///     Input(shape: [64]),
///     Dense(units: 128, activation: .relu),
///     Dense(units: 64, activation: .relu),
///     Dense(units: 1, activation: .sigmoid),
/// ])
/// model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
/// let history = try model.fit(x, y, epochs: 3, batchSize: 32, validationSplit: 0.1)
/// let accuracy = try model.evaluate(xTest, yTest)["accuracy"]
/// ```
///
/// Weights are initialised when the input shape is known (from an ``Input`` or the first
/// `fit`) from `seed`, so the same seed gives the same model.
public final class Sequential {
    /// The layers in order (an ``Input``, if given, first).
    public private(set) var layers: [any Layer] = []
    /// Seed of weight initialisation, and default seed of shuffling in `fit`.
    public let seed: UInt64
    /// The model's name in `summary()`.
    public var name = "sequential"
    /// Threads `fit` splits each batch over (data parallel, each with its own gradient
    /// arena, summed before the optimizer step). Batches under 64 rows per thread stay on
    /// one thread. With 1 (the default) training is bit-reproducible for a seed; with more,
    /// it is reproducible for the same thread count.
    public var threads = 1
    /// Set for models whose layers keep per-batch state between forward and backward (a
    /// functional ``Model``'s graph): they train on one thread.
    var isSingleThreaded = false

    /// The per-sample input shape, once built.
    public private(set) var inputShape: [Int]?
    /// Per-sample output shape of each computing layer, once built.
    private(set) var shapes: [[Int]] = []
    /// Layers that compute (without ``Input``).
    private(set) var steps: [any Layer] = []
    /// The first step with parameters: the steps up to it get no input gradient in
    /// `backward` (nothing before them learns), so e.g. a `Dense` after an input `Dropout`
    /// skips its dX = dZ·Wᵀ product.
    private(set) var firstTrainableStep = 0
    private(set) var arena: ParameterArena?

    var optimizer: Optimizer?
    var loss: Loss?
    var metrics: [Metric] = []
    var stopTrainingRequested = false

    /// A model of `layers`; builds at once when the first is an ``Input``.
    public init(_ layers: [any Layer] = [], seed: UInt64 = 42) {
        self.seed = seed
        for layer in layers { add(layer) }
        buildFromInputLayer()
    }

    /// Builds now when the first layer is an ``Input`` (as Keras does).
    func buildFromInputLayer() {
        if !isBuilt, let input = layers.first as? Input { try? build(inputShape: input.shape) }
    }

    /// Appends a layer (before the model is built).
    public func add(_ layer: any Layer) {
        precondition(arena == nil, "Sequential: cannot add layers after the model is built")
        let base = Self.baseName(layer)
        let used = layers.filter { Self.baseName($0) == base }.count
        layer.name = used == 0 ? base : "\(base)_\(used)"
        layers.append(layer)
    }

    static func baseName(_ layer: any Layer) -> String {
        switch layer {
        case is Dense: "dense"
        case is Input: "input_layer"
        case is ActivationLayer: "activation"
        case is Embedding: "embedding"
        default: String(describing: type(of: layer)).lowercased()
        }
    }

    /// Whether the weights exist.
    public var isBuilt: Bool { arena != nil }

    /// Declares every layer's parameters for `inputShape` and initialises them from `seed`.
    public func build(inputShape: [Int]) throws {
        if let built = self.inputShape {
            guard built == inputShape else {
                throw DeepCoreError.shapeMismatch("model '\(name)' was built for input \(built), got \(inputShape)")
            }
            return
        }
        guard inputShape.count == 1, inputShape[0] > 0 else {
            throw DeepCoreError.shapeMismatch("Sequential takes one vector per sample; got input shape \(inputShape)")
        }
        var shape = inputShape
        var built: [[Int]] = []
        let computing = layers.filter { !($0 is Input) }
        guard !computing.isEmpty else { throw DeepCoreError.notReady("model '\(name)' has no layers") }
        for layer in computing {
            shape = try layer.build(inputShape: shape)
            built.append(shape)
        }
        let parameters = computing.flatMap(\.parameters)
        let arena = ParameterArena(parameters: parameters)
        var rng = SeededGenerator(seed: seed)
        for p in parameters { p.initializer.fill(p.value!, shape: p.shape, rng: &rng) }
        self.steps = computing
        self.firstTrainableStep = computing.firstIndex { !$0.parameters.isEmpty } ?? computing.count
        self.shapes = built
        self.inputShape = inputShape
        self.arena = arena
    }

    /// Features per sample of the input, once built.
    var inputWidth: Int { inputShape?.reduce(1, *) ?? 0 }
    /// Features per sample of the output, once built.
    public var outputWidth: Int { shapes.last?.reduce(1, *) ?? 0 }

    /// All trainable parameters, in layer order.
    public var parameters: [Parameter] { steps.flatMap(\.parameters) }
    /// Number of trainable scalars.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// A Keras-style table of layers, output shapes and parameter counts.
    public var summaryDescription: String {
        buildFromInputLayer()
        var rows: [(String, String, String)] = []
        var computed = 0
        for layer in layers where !(layer is Input) {
            let shape = computed < shapes.count ? "(None, " + shapes[computed].map(String.init).joined(separator: ", ") + ")" : "?"
            rows.append(("\(layer.name) (\(layer.typeName))", shape, Self.grouped(layer.parameterCount)))
            computed += 1
        }
        let w = (max(31, rows.map(\.0.count).max() ?? 0), max(22, rows.map(\.1.count).max() ?? 0), 13)
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return right ? fill + s : s + fill
        }
        let bar = { (l: String, m: String, r: String, f: String) in
            l + String(repeating: f, count: w.0 + 2) + m + String(repeating: f, count: w.1 + 2) + m
                + String(repeating: f, count: w.2 + 2) + r }
        var out = ["Model: \"\(name)\"", bar("┏", "┳", "┓", "━"),
                   "┃ " + pad("Layer (type)", w.0) + " ┃ " + pad("Output Shape", w.1) + " ┃ "
                       + pad("Param #", w.2, right: true) + " ┃",
                   bar("┡", "╇", "┩", "━")]
        for (i, r) in rows.enumerated() {
            out.append("│ " + pad(r.0, w.0) + " │ " + pad(r.1, w.1) + " │ " + pad(r.2, w.2, right: true) + " │")
            if i < rows.count - 1 { out.append(bar("├", "┼", "┤", "─")) }
        }
        out.append(bar("└", "┴", "┘", "─"))
        let n = parameterCount
        let size = Self.byteSize(n * 4)
        out.append(" Total params: \(Self.grouped(n)) (\(size))")
        out.append(" Trainable params: \(Self.grouped(n)) (\(size))")
        out.append(" Non-trainable params: 0 (0.00 B)")
        return out.joined(separator: "\n")
    }

    /// Prints ``summaryDescription``.
    public func summary() { print(summaryDescription) }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }

    static func byteSize(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return formatFixed(v, 2) + " " + units[u]
    }
}
