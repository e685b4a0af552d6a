/// A dense row-major array of `Float`s with a shape: the values users hand to `fit`,
/// `evaluate` and `predict`, and the values they get back.
///
/// Tensors are values: copies share storage until one of them is written to.
///
/// ```swift
/// let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// print(x[1, 2])   // 6.0
/// ```
public struct Tensor: Sendable {
    /// Sizes of each dimension; the last one varies fastest.
    public let shape: [Int]
    var storage: TensorStorage

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        storage = TensorStorage(repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` filled with zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        storage = TensorStorage(count: scalars.count)
        scalars.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.initialize(from: base, count: src.count) }
        }
    }

    /// A matrix from rows of equal length.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "Tensor: rows of unequal length")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// A vector.
    public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// The elements in row-major order.
    public var scalars: [Float] { withUnsafeBufferPointer { Array($0) } }

    /// The element at a multi-dimensional index.
    public subscript(indices: Int...) -> Float {
        get { storage.pointer[flatIndex(indices)] }
        set {
            let i = flatIndex(indices)
            makeUnique()
            storage.pointer[i] = newValue
        }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == shape.count, "Tensor: \(indices.count) indices for shape \(shape)")
        var flat = 0
        for (i, n) in zip(indices, shape) {
            precondition(i >= 0 && i < n, "Tensor: index \(indices) out of range for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Calls `body` with the elements, read-only.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Calls `body` with the elements, writable; copies shared storage first.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The same elements with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "Tensor: cannot reshape \(shape) to \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// Rows `range` of a tensor whose first dimension is the sample axis.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0])
        let width = shape.dropFirst().reduce(1, *)
        var out = Tensor(zeros: [range.count] + shape.dropFirst())
        out.withUnsafeMutableBufferPointer { dst in
            guard let d = dst.baseAddress else { return }
            d.update(from: storage.pointer + range.lowerBound * width, count: range.count * width)
        }
        return out
    }

    /// The index and value of the first NaN or infinity, if any.
    public func firstNonFinite() -> (index: Int, value: Float)? {
        withUnsafeBufferPointer { buf in
            if Kernels.allFinite(buf.baseAddress!, count: buf.count) { return nil }
            for (i, v) in buf.enumerated() where !v.isFinite { return (i, v) }
            return nil
        }
    }
}

extension Tensor: Equatable {
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }
}

extension Tensor {
    /// A tensor of `shape` with values drawn uniformly from `range` by a seeded generator.
    public static func uniform(_ shape: [Int], in range: ClosedRange<Float> = 0...1,
                               seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { buf in
            for i in buf.indices { buf[i] = rng.nextFloat(in: range) }
        }
        return t
    }

    /// A tensor of `shape` with standard normal values (Box–Muller) from a seeded generator.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        var t = Tensor(zeros: shape)
        t.withUnsafeMutableBufferPointer { buf in
            for i in buf.indices { buf[i] = mean + standardDeviation * rng.nextNormal() }
        }
        return t
    }
}
