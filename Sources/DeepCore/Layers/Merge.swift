/// A layer that joins two or more inputs of a functional ``Model``: ``Concatenate``,
/// ``Multiply``, ``Dot``. It runs only inside a `Model`; its single-input `Layer` entry
/// points are never called.
public protocol MergeLayer: Layer {
    /// Checks the input shapes (per sample) and returns the output shape.
    func build(inputShapes: [[Int]]) throws -> [Int]
    /// Computes `output` from `inputs` (each `batch × features`).
    func forward(_ inputs: [MatrixView], into output: MatrixView, context: LayerContext)
    /// Writes ∂L/∂input for each input whose gradient is not `nil`.
    func backward(inputs: [MatrixView], output: MatrixView, outputGradient: MatrixView,
                  inputGradients: [MatrixView?], context: LayerContext)
}

extension MergeLayer {
    public func build(inputShape: [Int]) throws -> [Int] {
        throw DeepCoreError.shapeMismatch("\(typeName) '\(name)' joins several inputs: use it in a functional Model, e.g. \(typeName)()([a, b])")
    }
    public var parameters: [Parameter] { [] }
    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        preconditionFailure("\(typeName) runs inside a Model")
    }
    public func backward(input: MatrixView, output: MatrixView, outputGradient: MatrixView,
                         inputGradient: MatrixView?, context: LayerContext) {
        preconditionFailure("\(typeName) runs inside a Model")
    }

    func requireVectors(_ shapes: [[Int]], minimum: Int = 2) throws {
        guard shapes.count >= minimum else {
            throw DeepCoreError.shapeMismatch("\(typeName) '\(name)' needs at least \(minimum) inputs, got \(shapes.count)")
        }
        for s in shapes where s.count != 1 {
            throw DeepCoreError.shapeMismatch("\(typeName) '\(name)' joins vectors; got an input of shape \(s)")
        }
    }
}

/// Joins vectors end to end: `keras.layers.Concatenate`.
///
/// ```swift
/// let joined = Concatenate()([userVector, itemVector])
/// ```
public final class Concatenate: MergeLayer {
    public var name = "concatenate"
    public var typeName: String { "Concatenate" }
    private var widths: [Int] = []

    public init() {}

    public func build(inputShapes: [[Int]]) throws -> [Int] {
        try requireVectors(inputShapes)
        widths = inputShapes.map { $0[0] }
        return [widths.reduce(0, +)]
    }

    public func forward(_ inputs: [MatrixView], into output: MatrixView, context: LayerContext) {
        forward(inputs, into: output, skipping: nil)
    }

    /// The forward pass without copying the inputs flagged in `skipping`: a model's graph
    /// has written those straight into their columns of `output`.
    func forward(_ inputs: [MatrixView], into output: MatrixView, skipping: [Bool]?) {
        var offset = 0
        for k in 0..<inputs.count {
            let w = widths[k]
            if skipping?[k] != true {
                Kernels.copyBlock(output.base + offset, ldd: output.columns, from: inputs[k].base, lds: w,
                                  rows: output.rows, cols: w)
            }
            offset += w
        }
    }

    public func backward(inputs: [MatrixView], output: MatrixView, outputGradient: MatrixView,
                         inputGradients: [MatrixView?], context: LayerContext) {
        backward(outputGradient: outputGradient, inputGradients: inputGradients, skipping: nil)
    }

    /// The backward pass without the inputs flagged in `skipping` (their layers read their
    /// gradient from `outputGradient`'s columns themselves).
    func backward(outputGradient: MatrixView, inputGradients: [MatrixView?], skipping: [Bool]?) {
        var offset = 0
        for k in 0..<inputGradients.count {
            let w = widths[k]
            if skipping?[k] != true, let g = inputGradients[k] {
                Kernels.copyBlock(g.base, ldd: w, from: outputGradient.base + offset, lds: outputGradient.columns,
                                  rows: outputGradient.rows, cols: w)
            }
            offset += w
        }
    }
}

/// The element-wise product of two vectors of one length: `keras.layers.Multiply` (the
/// GMF branch of NeuMF).
///
/// ```swift
/// let gmf = Multiply()([userVector, itemVector])
/// ```
public final class Multiply: MergeLayer {
    public var name = "multiply"
    public var typeName: String { "Multiply" }

    public init() {}

    public func build(inputShapes: [[Int]]) throws -> [Int] {
        try requireVectors(inputShapes)
        guard inputShapes.count == 2, inputShapes[0] == inputShapes[1] else {
            throw DeepCoreError.shapeMismatch("Multiply '\(name)' takes two inputs of one shape, got \(inputShapes)")
        }
        return inputShapes[0]
    }

    public func forward(_ inputs: [MatrixView], into output: MatrixView, context: LayerContext) {
        Kernels.multiply(inputs[0], inputs[1], into: output)
    }

    public func backward(inputs: [MatrixView], output: MatrixView, outputGradient: MatrixView,
                         inputGradients: [MatrixView?], context: LayerContext) {
        Kernels.multiplyBackward(inputs[0], inputs[1], dy: outputGradient, da: inputGradients[0], db: inputGradients[1])
    }
}

/// The dot product of two vectors of one length, one value per sample:
/// `keras.layers.Dot(axes=1)` (matrix factorisation, two-tower scores).
///
/// ```swift
/// let score = Dot()([userTower, itemTower])     // (None, 1)
/// ```
public final class Dot: MergeLayer {
    public var name = "dot"
    public var typeName: String { "Dot" }

    public init() {}

    public func build(inputShapes: [[Int]]) throws -> [Int] {
        try requireVectors(inputShapes)
        guard inputShapes.count == 2, inputShapes[0] == inputShapes[1] else {
            throw DeepCoreError.shapeMismatch("Dot '\(name)' takes two inputs of one shape, got \(inputShapes)")
        }
        return [1]
    }

    public func forward(_ inputs: [MatrixView], into output: MatrixView, context: LayerContext) {
        let a = inputs[0], b = inputs[1], w = a.columns
        for r in 0..<output.rows {
            var s: Float = 0
            for k in 0..<w { s += a.base[r * w + k] * b.base[r * w + k] }
            output.base[r] = s
        }
    }

    public func backward(inputs: [MatrixView], output: MatrixView, outputGradient: MatrixView,
                         inputGradients: [MatrixView?], context: LayerContext) {
        let a = inputs[0], b = inputs[1], w = a.columns
        for r in 0..<outputGradient.rows {
            let g = outputGradient.base[r]
            if let da = inputGradients[0] { for k in 0..<w { da.base[r * w + k] = g * b.base[r * w + k] } }
            if let db = inputGradients[1] { for k in 0..<w { db.base[r * w + k] = g * a.base[r * w + k] } }
        }
    }
}
