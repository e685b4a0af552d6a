/// Every buffer one batch needs, allocated once for a batch capacity: the gathered
/// inputs and targets, each layer's output and output gradient, the probabilities the
/// metrics read, and class indices for sparse targets. After planning, a training step
/// only reads and writes these.
final class BatchPlan {
    let capacity: Int
    let input: MatrixView
    let targets: MatrixView
    let outputs: [MatrixView]
    let gradients: [MatrixView]
    let probabilities: MatrixView
    let classIndices: UnsafeMutablePointer<Int32>
    private let workspace: Workspace

    init(capacity: Int, inputWidth: Int, widths: [Int], targetWidth: Int, separateProbabilities: Bool) {
        self.capacity = capacity
        let workspace = Workspace()
        self.workspace = workspace
        input = workspace.matrix(rows: capacity, columns: inputWidth)
        targets = workspace.matrix(rows: capacity, columns: targetWidth)
        outputs = widths.map { workspace.matrix(rows: capacity, columns: $0) }
        gradients = widths.map { workspace.matrix(rows: capacity, columns: $0) }
        probabilities = separateProbabilities
            ? workspace.matrix(rows: capacity, columns: widths.last!) : outputs.last!
        let raw = UnsafeMutableRawPointer(workspace.floats(capacity))
        classIndices = raw.bindMemory(to: Int32.self, capacity: capacity)
    }
}

/// A read-only row source over a tensor with row indices, for gathering batches.
struct RowSource {
    let tensor: Tensor
    let width: Int

    init(_ tensor: Tensor) {
        self.tensor = tensor
        width = tensor.shape.dropFirst().reduce(1, *)
    }

    /// Copies rows `order[start..<start+rows]` into `dst`.
    func gather(into dst: MatrixView, order: UnsafePointer<Int64>, start: Int) {
        tensor.withUnsafeBufferPointer { buf in
            Kernels.gatherRows(dst, from: buf.baseAddress!, indices: order + start)
        }
    }
}
