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

    /// Every row-sparse parameter (lazy or dense update), in arena order. A dense-update
    /// table's gradient slice is zero outside the rows the last backward touched; a lazy
    /// table's step gradient is in its `TouchedRows`' compact rows, and its slice is only
    /// written by `expandLazyGradients()` (gradient checks).
    let sparseSegments: [LazySegment]

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
        var sparse: [LazySegment] = []
        for (p, offset) in zip(parameters, offsets) {
            p.bind(value: values + offset, gradient: gradients + offset, owner: workspace)
            if let rows = p.touchedRows { sparse.append(LazySegment(offset: offset, count: p.count, rows: rows)) }
        }
        sparseSegments = sparse
        lazySegments = sparse.filter { $0.rows.lazy }
        hasRowSparseParameters = parameters.contains { $0.touchedRows != nil }
    }

    /// Whether any parameter keeps a row-sparse gradient (an embedding table): such models
    /// train on one thread, since the touched-row bookkeeping is per model.
    let hasRowSparseParameters: Bool

    /// Whether every gradient is finite. For row-sparse tables only what the batch wrote is
    /// read (a dense-update table's touched rows, a lazy table's compact rows), not the
    /// whole table.
    func gradientsFinite() -> Bool {
        var start = 0
        for s in 0..<sparseSegments.count {   // index loop: no iterator in debug builds
            let segment = sparseSegments[s]
            if segment.offset > start, !Kernels.allFinite(gradients + start, count: segment.offset - start) {
                return false
            }
            var finite = true
            if segment.rows.lazy {       // the compact rows, contiguous
                segment.rows.withCompactGradient { _, n, compact in
                    finite = Kernels.allFinite(compact, count: n * segment.rows.width)
                }
            } else {
                segment.rows.withTouched { list, n in
                    finite = Kernels.rowsFinite(gradients + segment.offset, rows: list, count: n, width: segment.rows.width)
                }
            }
            guard finite else { return false }
            start = segment.offset + segment.count
        }
        return count <= start || Kernels.allFinite(gradients + start, count: count - start)
    }

    /// Writes each lazy table's compact gradient into its arena slice (zero outside the
    /// touched rows), so that the slice holds the full-table gradient as for a dense-update
    /// table. Training never needs it (the optimizer reads the compact rows); gradient
    /// checks (`lossAndGradients`) do.
    func expandLazyGradients() {
        for s in 0..<lazySegments.count {
            let segment = lazySegments[s]
            let slice = gradients + segment.offset, width = segment.rows.width
            slice.update(repeating: 0, count: segment.count)
            segment.rows.withCompactGradient { list, n, compact in
                for r in 0..<n { (slice + Int(list[r]) * width).update(from: compact + r * width, count: width) }
            }
        }
    }

    /// A copy of all values.
    func snapshot() -> [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// Restores values from `snapshot()`.
    func restore(_ snapshot: [Float]) {
        precondition(snapshot.count == count)
        snapshot.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }
}
