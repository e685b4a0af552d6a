/// Errors from bad data or bad use that a caller can act on. Each names the problem:
/// the shapes, the index and value, the epoch and batch, the file and field.
public enum DeepCoreError: Error, Equatable, CustomStringConvertible {
    /// Shapes of data, targets and model do not fit together.
    case shapeMismatch(String)
    /// A NaN or infinity in the named data at a flat index (row, column).
    case nonFiniteValue(name: String, row: Int, column: Int, value: Float)
    /// No samples to train, evaluate or predict on.
    case emptyData(String)
    /// An argument out of range, e.g. batch size 0 or a validation split outside [0, 1).
    case invalidArgument(String)
    /// A value the model cannot take, e.g. an id outside an ``Embedding``'s table.
    case invalidInput(String)
    /// The loss cannot be used with this model's output or these targets.
    case incompatibleLoss(String)
    /// `fit`, `evaluate` or `predict` before `compile`, or an unbuilt model.
    case notReady(String)
    /// The loss or a gradient turned NaN or infinite; training stopped there and the
    /// model keeps the weights from before that batch.
    case trainingDiverged(epoch: Int, batch: Int, loss: Double)

    public var description: String {
        switch self {
        case .shapeMismatch(let s): "shape mismatch: \(s)"
        case let .nonFiniteValue(name, row, column, value):
            "non-finite value \(value) in \(name) at row \(row), column \(column)"
        case .emptyData(let s): "empty data: \(s)"
        case .invalidArgument(let s): "invalid argument: \(s)"
        case .invalidInput(let s): "invalid input: \(s)"
        case .incompatibleLoss(let s): "incompatible loss: \(s)"
        case .notReady(let s): "model not ready: \(s)"
        case let .trainingDiverged(epoch, batch, loss):
            "training diverged: loss \(loss) at epoch \(epoch), batch \(batch); weights kept from before that batch"
        }
    }
}
