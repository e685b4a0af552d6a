/// How a parameter's first values are drawn.
public enum Initializer: Sendable, Equatable {
    /// All zeros (Keras' default for biases).
    case zeros
    /// Uniform in ±√(6 / (fanIn + fanOut)) (Keras' default for `Dense` kernels).
    case glorotUniform
    /// Uniform in `range`.
    case uniform(ClosedRange<Float>)
    /// Normal with the given standard deviation.
    case normal(standardDeviation: Float)

    func fill(_ p: UnsafeMutablePointer<Float>, shape: [Int], rng: inout SeededGenerator) {
        let count = shape.reduce(1, *)
        switch self {
        case .zeros:
            p.update(repeating: 0, count: count)
        case .glorotUniform:
            let fanIn = shape.count >= 2 ? shape[shape.count - 2] : count
            let fanOut = shape.last ?? 1
            let limit = (6 / Float(max(fanIn + fanOut, 1))).squareRoot()
            for i in 0..<count { p[i] = rng.nextFloat(in: -limit...limit) }
        case .uniform(let range):
            for i in 0..<count { p[i] = rng.nextFloat(in: range) }
        case .normal(let sd):
            for i in 0..<count { p[i] = sd * rng.nextNormal() }
        }
    }
}

/// A trainable array of a layer (a kernel or a bias). The model places every parameter's
/// values in one contiguous arena and its gradient in a second arena of the same layout,
/// so an optimizer step is one kernel call; `Parameter` is the layer's handle to its slice.
public final class Parameter {
    /// A short name unique within its layer, e.g. `kernel` or `bias`.
    public let name: String
    /// The parameter's shape, e.g. `[inputs, units]` for a `Dense` kernel.
    public let shape: [Int]
    /// How its values are first drawn.
    public let initializer: Initializer
    /// Number of scalars.
    public var count: Int { shape.reduce(1, *) }

    /// The values, bound by the model when it is built.
    private(set) var value: UnsafeMutablePointer<Float>?
    /// The gradient of the loss with respect to the values, bound with them.
    private(set) var gradient: UnsafeMutablePointer<Float>?

    /// A parameter of `shape`, initialised by `initializer`.
    public init(name: String, shape: [Int], initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        touchedRows = nil
    }

    /// For a row-sparse parameter (an embedding table), the rows the current step touched;
    /// `nil` for dense parameters.
    let touchedRows: TouchedRows?

    /// A parameter of `shape` whose gradient touches only some rows per step.
    init(name: String, shape: [Int], initializer: Initializer, touchedRows: TouchedRows?) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.touchedRows = touchedRows
    }

    /// Keeps the memory behind `value` and `gradient` alive while this handle exists: a
    /// parameter may outlive its model (`Sequential(...).parameters`).
    private var storageOwner: AnyObject?

    func bind(value: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>, owner: AnyObject) {
        self.value = value
        self.gradient = gradient
        storageOwner = owner
    }

    /// The values as a tensor (a copy). Empty before the model is built.
    public var tensor: Tensor {
        guard let value else { return Tensor(zeros: [0]) }
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: value, count: count) }
        return t
    }

    /// Overwrites the values; the shape must match.
    public func assign(_ t: Tensor) {
        precondition(t.shape == shape, "Parameter \(name): assigning \(t.shape) to \(shape)")
        guard let value else { preconditionFailure("Parameter \(name) is not built yet") }
        t.withUnsafeBufferPointer { value.update(from: $0.baseAddress!, count: count) }
    }
}

/// The rows of a row-sparse parameter that the current step's backward pass wrote, each
/// once, in first-touch order. The row list has a fixed capacity (one entry per row)
/// allocated at build time; a lazy table's compact gradient (below) is allocated on the
/// first step and grows only when a step can touch more rows than any before (a larger
/// batch), so steady-state steps allocate nothing.
///
/// A lazily updated table (``EmbeddingUpdate/lazy``) keeps its step's gradient here, in
/// *compact* rows: the gradient of row `list[s]` is `compactGradient[s·width ..< (s+1)·width]`
/// (`ck_embedding_backward_compact`), and the optimizer and the NaN guard read it there; the
/// arena's gradient slice of such a table is not written during training (see
/// ``ParameterArena/expandLazyGradients()``). A dense-update table keeps the full-table
/// gradient in the arena, zero outside the listed rows.
final class TouchedRows {
    /// Floats per row.
    let width: Int
    /// Rows in the table.
    let rowCount: Int
    /// Whether the optimizer updates only these rows (lazy) or the whole table (dense).
    let lazy: Bool
    private(set) var count = 0
    private let list: UnsafeMutablePointer<Int32>
    private let stamps: UnsafeMutablePointer<UInt32>
    private var stamp: UInt32 = 0
    /// Lazy tables: each touched row's slot in the compact gradient (valid where the stamp
    /// is this step's).
    private let slots: UnsafeMutablePointer<Int32>?
    /// Lazy tables: the compact gradient, `compactCapacity` rows of `width` floats, grown
    /// when a step could touch more rows (the first step of a fit, or a larger batch).
    private(set) var compactGradient: UnsafeMutablePointer<Float>?
    private var compactCapacity = 0

    init(rowCount: Int, width: Int, lazy: Bool) {
        self.rowCount = rowCount
        self.width = width
        self.lazy = lazy
        list = .allocate(capacity: max(rowCount, 1))
        stamps = .allocate(capacity: max(rowCount, 1))
        stamps.initialize(repeating: 0, count: max(rowCount, 1))
        if lazy {
            let s = UnsafeMutablePointer<Int32>.allocate(capacity: max(rowCount, 1))
            s.initialize(repeating: 0, count: max(rowCount, 1))
            slots = s
        } else {
            slots = nil
        }
    }

    deinit {
        list.deallocate()
        stamps.deallocate()
        slots?.deallocate()
        compactGradient.map { UnsafeMutableRawPointer($0).deallocate() }
    }

    /// Makes room for `rows` compact rows (at most the table's), keeping the current ones.
    private func reserveCompactRows(_ rows: Int) {
        let needed = min(max(rows, 1), max(rowCount, 1))
        guard needed > compactCapacity else { return }
        let grown = min(max(needed, compactCapacity * 2), max(rowCount, 1))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: grown * width * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        let fresh = raw.initializeMemory(as: Float.self, repeating: 0, count: grown * width)
        if let old = compactGradient {
            fresh.update(from: old, count: compactCapacity * width)
            UnsafeMutableRawPointer(old).deallocate()
        }
        compactGradient = fresh
        compactCapacity = grown
    }

    /// Starts a new step: the list empties.
    func reset() {
        count = 0
        stamp &+= 1
        if stamp == 0 {   // wrapped: clear so no stale stamp matches
            stamps.update(repeating: 0, count: max(rowCount, 1))
            stamp = 1
        }
    }

    /// Records `row`; returns `true` the first time in this step. A lazy table gives the
    /// row the next compact slot, with a zero gradient.
    @inline(__always) func touch(_ row: Int) -> Bool {
        if stamps[row] == stamp { return false }
        stamps[row] = stamp
        if let slots {
            reserveCompactRows(count + 1)
            slots[row] = Int32(truncatingIfNeeded: count)
            (compactGradient! + count * width).update(repeating: 0, count: width)
        }
        list[count] = Int32(truncatingIfNeeded: row)
        count += 1
        return true
    }

    /// Calls `body` with the touched rows and their number.
    func withTouched(_ body: (UnsafePointer<Int32>, Int) -> Void) { body(list, count) }

    /// Lazy tables: calls `body` with the touched rows, their number and their compact
    /// gradient (row `list[s]` at `gradient + s·width`).
    func withCompactGradient(_ body: (_ list: UnsafePointer<Int32>, _ count: Int,
                                      _ gradient: UnsafeMutablePointer<Float>) -> Void) {
        guard count > 0, let compactGradient else { return }
        body(list, count, compactGradient)
    }

    /// Starts a new step whose rows `record` finds in one pass: `record` gets the row
    /// list (still holding the previous step's `previous` rows), the stamps and this
    /// step's stamp, and returns how many rows it recorded (first-touch order).
    func recordStep(_ record: (_ list: UnsafeMutablePointer<Int32>, _ previous: Int,
                               _ stamps: UnsafeMutablePointer<UInt32>, _ stamp: UInt32) -> Int) {
        let previous = count
        reset()
        count = record(list, previous, stamps, stamp)
    }

    /// Lazy tables: starts a new step of at most `ids` lookups whose rows and compact
    /// gradient `record` writes in one pass (`ck_embedding_backward_compact`'s arguments);
    /// it returns how many rows it recorded.
    func recordCompactStep(ids: Int, _ record: (_ list: UnsafeMutablePointer<Int32>,
                                                _ stamps: UnsafeMutablePointer<UInt32>, _ stamp: UInt32,
                                                _ slots: UnsafeMutablePointer<Int32>,
                                                _ gradient: UnsafeMutablePointer<Float>) -> Int) {
        guard let slots else { preconditionFailure("TouchedRows: compact gradients are for lazy tables") }
        reset()
        reserveCompactRows(ids)
        count = record(list, stamps, stamp, slots, compactGradient!)
    }
}
