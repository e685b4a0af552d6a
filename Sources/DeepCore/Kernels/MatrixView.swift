/// A non-owning row-major view of `rows × columns` floats: the currency of layer
/// `forward` and `backward` calls. The model owns the memory; a view is valid only
/// during the call that receives it.
public struct MatrixView: @unchecked Sendable {
    /// Number of rows (the batch dimension for activations).
    public let rows: Int
    /// Number of columns (features per sample).
    public let columns: Int
    @usableFromInline let base: UnsafeMutablePointer<Float>

    @inlinable init(base: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        self.base = base
        self.rows = rows
        self.columns = columns
    }

    /// A 0 × 0 placeholder view (its pointer is never read).
    static let empty = MatrixView(base: UnsafeMutablePointer(bitPattern: 64)!, rows: 0, columns: 0)

    /// Number of elements, `rows · columns`.
    @inlinable public var count: Int { rows * columns }

    /// The element at `(row, column)`.
    @inlinable public subscript(row: Int, column: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns)
            return base[row * columns + column]
        }
        nonmutating set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns)
            base[row * columns + column] = newValue
        }
    }

    /// The same memory seen with fewer rows (a partial last batch).
    @inlinable func prefix(rows newRows: Int) -> MatrixView {
        precondition(newRows <= rows)
        return MatrixView(base: base, rows: newRows, columns: columns)
    }

    /// Rows `range` of the same memory.
    @inlinable func rows(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        return MatrixView(base: base + range.lowerBound * columns, rows: range.count, columns: columns)
    }

    /// Multiplies every element by `factor`.
    func scale(by factor: Float) {
        for i in 0..<count { base[i] *= factor }
    }

    /// Copies the view into a new tensor of shape `[rows, columns]`.
    public func toTensor() -> Tensor {
        var t = Tensor(zeros: [rows, columns])
        t.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: base, count: count)
        }
        return t
    }
}

/// Memory for matrices that lives as long as its owner, 64-byte aligned, freed on deinit.
final class Workspace {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A zero-filled `rows × columns` view, valid while this workspace lives.
    func matrix(rows: Int, columns: Int) -> MatrixView {
        MatrixView(base: floats(max(rows * columns, 1)), rows: rows, columns: columns)
    }

    /// `count` zero-filled floats, 64-byte aligned (on huge pages from 1 MiB: parameter
    /// arenas and optimizer state, whose embedding rows are read at random).
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        let (raw, size) = Kernels.allocateLarge(max(count, 1) * 4)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        blocks.append(raw)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// `count` zero-filled 64-bit integers.
    func indices(_ count: Int) -> UnsafeMutablePointer<Int64> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 8, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1) * 8)
        blocks.append(raw)
        return raw.bindMemory(to: Int64.self, capacity: max(count, 1))
    }

    deinit { for b in blocks { b.deallocate() } }
}
