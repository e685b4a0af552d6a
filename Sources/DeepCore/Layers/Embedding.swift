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
        try validateInput(ids.baseAddress, count: ids.count, stride: 1, columns: columns, role: role)
    }

    /// The same for `count` ids `stride` floats apart (one column of a packed matrix:
    /// `columns` is then 1 and the reported row is the id's index).
    func validateInput(_ ids: UnsafePointer<Float>?, count: Int, stride: Int, columns: Int, role: String) throws {
        guard let ids, count > 0,
              let i = Kernels.firstInvalidID(ids, count: count, stride: stride, limit: inputDim) else { return }
        let v = ids[i * stride]
        throw DeepCoreError.invalidInput(
            "\(role): row \(i / max(columns, 1)), column \(i % max(columns, 1)) holds \(v), not an id in 0..<\(inputDim) for embedding '\(name)'")
    }

    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        forward(input, into: output.base, ld: output.columns, context: context)
    }

    public func backward(input: MatrixView, output: MatrixView, outputGradient: MatrixView,
                         inputGradient: MatrixView?, context: LayerContext) {
        backward(input: input, outputGradient: outputGradient.base, ld: outputGradient.columns,
                 inputGradient: inputGradient, context: context)
    }
}

extension Embedding: StridedOutputLayer {
    /// Writes the looked-up vectors of row r at `output + r·ld` (a slice of a wider matrix).
    func forward(_ input: MatrixView, into output: UnsafeMutablePointer<Float>, ld: Int, context: LayerContext) {
        Kernels.embeddingForward(table: embeddings!.value!, dim: outputDim, ids: input, into: output, ld: ld)
    }

    /// Backward with the output gradient of row r at `outputGradient + r·ld`.
    func backward(input: MatrixView, outputGradient: UnsafePointer<Float>, ld: Int,
                  inputGradient: MatrixView?, context: LayerContext) {
        if let inputGradient { inputGradient.base.update(repeating: 0, count: inputGradient.count) }
        guard trainable else { return }    // no rows touched: the lazy step leaves it alone
        let rows = touched!
        let dim = outputDim
        if rows.lazy {
            // The optimizer steps only the touched rows and reads their gradient compactly
            // (`TouchedRows`): one kernel records the rows and sums their dy vectors into
            // consecutive slots, so no table-sized gradient is cleared, written or read.
            // The buffer is the model's own: row-sparse models train on one thread.
            precondition(context.gradientShift == 0, "Embedding '\(name)': a lazy table's step runs on one thread")
            rows.recordCompactStep(ids: input.count) { list, stamps, stamp, slots, compact in
                Kernels.embeddingBackwardCompact(compact, dim: dim, ids: input, dy: outputGradient, ld: ld,
                                                 stamps: stamps, stamp: stamp, slots: slots, list: list)
            }
            if let regularizer {
                let values = embeddings!.value!
                rows.withCompactGradient { list, n, compact in
                    for s in 0..<n {
                        regularizer.addGradient(values: values + Int(list[s]) * dim, gradient: compact + s * dim,
                                                count: dim)
                    }
                }
            }
            return
        }
        let gradient = context.gradient(of: embeddings!)
        // Keep the invariant "the gradient slice is zero outside the touched rows": one
        // kernel clears the previous step's rows, then records and accumulates this step's.
        rows.recordStep { list, previous, stamps, stamp in
            Kernels.embeddingBackwardRows(gradient: gradient, dim: dim, ids: input, dy: outputGradient, ld: ld,
                                          stamps: stamps, stamp: stamp, list: list, previous: previous)
        }
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

/// A layer that can write its output into columns of a wider matrix (row stride `ld`)
/// and read its output gradient from there: a ``GraphLayer`` lets such a node write
/// straight into the ``Concatenate`` that is its only reader (no copy either way).
protocol StridedOutputLayer: Layer {
    func forward(_ input: MatrixView, into output: UnsafeMutablePointer<Float>, ld: Int, context: LayerContext)
    func backward(input: MatrixView, outputGradient: UnsafePointer<Float>, ld: Int,
                  inputGradient: MatrixView?, context: LayerContext)
}

/// A layer that checks the raw values of its input before training or inference (an
/// ``Embedding`` checks its ids), so bad data is a typed error, not an out-of-bounds read.
protocol InputValidating: Layer {
    func validateInput(_ values: UnsafeBufferPointer<Float>, columns: Int, role: String) throws
}
