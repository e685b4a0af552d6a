/// Errors from bad data or bad queries, each naming what is wrong (file, line, field,
/// value, id), so the caller can fix it.
public enum RecommenderError: Error, Equatable, CustomStringConvertible {
    /// A line of an input file could not be parsed.
    case malformedLine(file: String, line: Int, field: String, reason: String)
    /// An input file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A weight is NaN, infinite or negative.
    case invalidWeight(context: String, value: Double)
    /// There is nothing to learn from, or nothing to evaluate.
    case emptyData(String)
    /// A user id the model never saw (and no fallback was requested).
    case unknownUser(String)
    /// An item id the model never saw.
    case unknownItem(String)
    /// A count, size or hyperparameter out of range.
    case invalidArgument(String)
    /// The request would need more memory than allowed.
    case tooLarge(String)
    /// `recommend` or `evaluate` before `fit`.
    case notFitted
    /// A saved recommender file is damaged, foreign, of another version or another domain.
    case invalidModelFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .malformedLine(file, line, field, reason): "\(file):\(line): field '\(field)': \(reason)"
        case let .unreadableFile(path, reason): "\(path): \(reason)"
        case let .invalidWeight(context, value): "invalid weight \(value) (\(context)): weights must be finite and ≥ 0"
        case .emptyData(let s): "empty data: \(s)"
        case .unknownUser(let s): "unknown user \(s)"
        case .unknownItem(let s): "unknown item \(s)"
        case .invalidArgument(let s): "invalid argument: \(s)"
        case .tooLarge(let s): "too large: \(s)"
        case .notFitted: "the recommender is not fitted yet: call fit first"
        case let .invalidModelFile(path, reason): "\(path): \(reason)"
        }
    }
}
