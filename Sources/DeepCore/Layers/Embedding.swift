/// How the optimizer treats an embedding table, whose gradient touches only the rows a
/// batch looked up.
public enum EmbeddingUpdate: Sendable, Equatable {
    /// The whole table is stepped every batch, as Keras and PyTorch's `Adam` do with an
    /// embedding's gradient (rows not looked up get a zero gradient, but their moments
    /// still decay and move them).
    case dense
    /// Only the rows the batch looked up are stepped (PyTorch's `SparseAdam`); other rows'
    /// values and optimizer state stay as they are. Cost per step is O(rows touched), not
    /// O(table), which is what makes large catalogs trainable.
    case lazy
}

/// Maps integer ids to dense vectors: `keras.layers.Embedding`.
///
/// The input holds ids (integers stored as floats, exact below 2²⁴ = 16,777,216), one or
/// more per sample; the output concatenates their vectors. Backward writes only the rows
/// the batch touched; with ``EmbeddingUpdate/lazy`` the optimizer steps only those rows.
///
/// ```swift
/// let user = Input(shape: [1], name: "user")
/// let vector = Embedding(inputDim: users, outputDim: 32)(user)   // (None, 32)
/// ```
public final class Embedding: Layer, InputValidating {
    public var name = "embedding"
    public var typeName: String { "Embedding" }
    /// Number of ids (rows of the table).
    public let inputDim: Int
    /// Length of each vector.
    public let outputDim: Int
    /// Dense or lazy optimizer updates.
    public let update: EmbeddingUpdate
    /// Whether training changes the table. A frozen table (`false`) is a fixed lookup,
    /// e.g. of item side features assigned after the model is built; it is never stepped.
    public let trainable: Bool
    /// Penalty on the rows a batch looks up (`keras.layers.Embedding(embeddings_regularizer=)`
    /// applied lazily: rows not in the batch are not decayed, which keeps a step O(batch)).
    public let regularizer: Regularizer?
    private let initializer: Initializer
    /// `[inputDim, outputDim]`, available after the model is built.
    public private(set) var embeddings: Parameter?
    private var touched: TouchedRows?

    /// Largest table an id stored in a Float can address exactly.
    public static let maximumInputDim = 1 << 24

    /// An embedding of `inputDim` ids into `outputDim` floats, initialised uniform in
    /// ±0.05 as Keras does.
    public init(inputDim: Int, outputDim: Int, initializer: Initializer = .uniform(-0.05...0.05),
                update: EmbeddingUpdate = .dense, trainable: Bool = true, regularizer: Regularizer? = nil) {
        self.regularizer = regularizer
        precondition(inputDim > 0 && outputDim > 0, "Embedding: dimensions must be positive, got \(inputDim)×\(outputDim)")
        precondition(inputDim <= Self.maximumInputDim,
                     "Embedding: at most \(Self.maximumInputDim) ids (ids travel as Float), got \(inputDim)")
        self.inputDim = inputDim
        self.outputDim = outputDim
        self.initializer = initializer
        self.update = trainable ? update : .lazy
        self.trainable = trainable
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1, inputShape[0] > 0 else {
            throw DeepCoreError.shapeMismatch("Embedding '\(name)' expects a vector of ids per sample, got shape \(inputShape)")
        }
        let rows = TouchedRows(rowCount: inputDim, width: outputDim, lazy: update == .lazy)
        touched = rows
        embeddings = Parameter(name: "embeddings", shape: [inputDim, outputDim], initializer: initializer,
                               touchedRows: rows)
        return [inputShape[0] * outputDim]
    }

    public var parameters: [Parameter] { embeddings.map { [$0] } ?? [] }

    /// Throws unless every value of the `rows × columns` ids is an integer in `0..<inputDim`.
    func validateInput(_ ids: UnsafeBufferPointer<Float>, columns: Int, role: String) throws {
        for (i, v) in ids.enumerated() where !(v >= 0 && v < Float(inputDim) && v == v.rounded(.towardZero)) {
            throw DeepCoreError.invalidInput(
                "\(role): row \(i / max(columns, 1)), column \(i % max(columns, 1)) holds \(v), not an id in 0..<\(inputDim) for embedding '\(name)'")
        }
    }

    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        Kernels.embeddingForward(table: embeddings!.value!, dim: outputDim, ids: input, into: output)
    }

    public func backward(input: MatrixView, output: MatrixView, outputGradient: MatrixView,
                         inputGradient: MatrixView?, context: LayerContext) {
        if let inputGradient { inputGradient.base.update(repeating: 0, count: inputGradient.count) }
        guard trainable else { return }    // no rows touched: the lazy step leaves it alone
        let gradient = context.gradient(of: embeddings!)
        let rows = touched!
        // Keep the invariant "the gradient slice is zero outside the touched rows": clear the
        // previous step's rows, then record and accumulate this step's.
        rows.withTouched { list, n in
            for r in 0..<n { (gradient + Int(list[r]) * outputDim).update(repeating: 0, count: outputDim) }
        }
        rows.reset()
        for i in 0..<input.count { _ = rows.touch(Int(input.base[i])) }
        Kernels.embeddingBackward(gradient: gradient, dim: outputDim, ids: input, dy: outputGradient)
        if let regularizer, context.gradientShift == 0 {
            let values = embeddings!.value!
            rows.withTouched { list, n in
                for r in 0..<n {
                    let at = Int(list[r]) * outputDim
                    regularizer.addGradient(values: values + at, gradient: gradient + at, count: outputDim)
                }
            }
        }
    }
}

/// A layer that checks the raw values of its input before training or inference (an
/// ``Embedding`` checks its ids), so bad data is a typed error, not an out-of-bounds read.
protocol InputValidating: Layer {
    func validateInput(_ values: UnsafeBufferPointer<Float>, columns: Int, role: String) throws
}
