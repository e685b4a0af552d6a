/// Every trainable value of a model in one contiguous, 64-byte-aligned block, and their
/// gradients in a second block of the same layout. Parameters are views into both, so the
/// optimizer step, weight snapshots and saving are single sweeps over memory.
final class ParameterArena {
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>
    private let workspace = Workspace()
    /// Row-sparse parameters updated lazily (only touched rows), in arena order.
    let lazySegments: [LazySegment]

    struct LazySegment {
        let offset: Int
        let count: Int
        let rows: TouchedRows
    }

    /// Lays out `parameters` back to back (each 16-float aligned) and binds them.
    init(parameters: [Parameter]) {
        var offsets: [Int] = []
        var total = 0
        for p in parameters {
            offsets.append(total)
            total += (p.count + 15) / 16 * 16
        }
        count = total
        values = workspace.floats(total)
        gradients = workspace.floats(total)
        var lazy: [LazySegment] = []
        for (p, offset) in zip(parameters, offsets) {
            p.bind(value: values + offset, gradient: gradients + offset, owner: workspace)
            if let rows = p.touchedRows, rows.lazy { lazy.append(LazySegment(offset: offset, count: p.count, rows: rows)) }
        }
        lazySegments = lazy
        hasRowSparseParameters = parameters.contains { $0.touchedRows != nil }
    }

    /// Whether any parameter keeps a row-sparse gradient (an embedding table): such models
    /// train on one thread, since the touched-row bookkeeping is per model.
    let hasRowSparseParameters: Bool

    /// A copy of all values.
    func snapshot() -> [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// Restores values from `snapshot()`.
    func restore(_ snapshot: [Float]) {
        precondition(snapshot.count == count)
        snapshot.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }
}
