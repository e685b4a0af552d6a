/// A quantity reported during `fit` and by `evaluate`, accumulated over an epoch.
///
/// ```swift
/// model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy, .auc])
/// ```
public struct Metric: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case accuracy, binaryAccuracy, categoricalAccuracy, auc, meanSquaredError, meanAbsoluteError
    }
    let kind: Kind

    /// Binary or categorical accuracy, chosen from the loss and output width, as Keras does.
    public static let accuracy = Metric(kind: .accuracy)
    /// The fraction of outputs on the right side of 0.5.
    public static let binaryAccuracy = Metric(kind: .binaryAccuracy)
    /// The fraction of samples whose largest output is the target class.
    public static let categoricalAccuracy = Metric(kind: .categoricalAccuracy)
    /// Area under the ROC curve of a binary output (1,000 probability bins).
    public static let auc = Metric(kind: .auc)
    /// Mean squared error of the outputs.
    public static let meanSquaredError = Metric(kind: .meanSquaredError)
    /// Mean absolute error of the outputs.
    public static let meanAbsoluteError = Metric(kind: .meanAbsoluteError)

    /// The key in logs and `History` (`val_` is prefixed for validation).
    public var description: String {
        switch kind {
        case .accuracy: "accuracy"
        case .binaryAccuracy: "binary_accuracy"
        case .categoricalAccuracy: "categorical_accuracy"
        case .auc: "auc"
        case .meanSquaredError: "mse"
        case .meanAbsoluteError: "mae"
        }
    }
}

/// The running state of one metric over an epoch. Fixed-size: updating allocates nothing.
final class MetricAccumulator {
    let metric: Metric
    private let kind: Metric.Kind
    private var total = 0.0
    private var weight = 0.0
    private static let bins = 1000
    private var positives: [Double]
    private var negatives: [Double]

    init(_ metric: Metric, loss: Loss, outputWidth: Int) {
        self.metric = metric
        var kind = metric.kind
        if kind == .accuracy {
            switch loss.kind {
            case .categoricalCrossentropy, .sparseCategoricalCrossentropy: kind = .categoricalAccuracy
            default: kind = outputWidth > 1 && !loss.isBinary ? .categoricalAccuracy : .binaryAccuracy
            }
        }
        self.kind = kind
        let n = kind == .auc ? Self.bins : 0
        positives = Array(repeating: 0, count: n)
        negatives = Array(repeating: 0, count: n)
    }

    func reset() {
        total = 0
        weight = 0
        for i in positives.indices { positives[i] = 0; negatives[i] = 0 }
    }

    /// Adds a batch. `sparse`: targets hold one class index per row.
    func update(predictions p: MatrixView, targets t: MatrixView, sparse: Bool) {
        let rows = p.rows, cols = p.columns
        switch kind {
        case .binaryAccuracy:
            var hits = 0
            for i in 0..<p.count where (p.base[i] > 0.5) == (t.base[i] > 0.5) { hits += 1 }
            total += Double(hits); weight += Double(p.count)
        case .categoricalAccuracy, .accuracy:
            var hits = 0
            for r in 0..<rows {
                let row = p.base + r * cols
                var best = 0
                for c in 1..<max(cols, 1) where row[c] > row[best] { best = c }
                let target: Int
                if sparse { target = Int(t.base[r]) } else {
                    let trow = t.base + r * cols
                    var tb = 0
                    for c in 1..<max(cols, 1) where trow[c] > trow[tb] { tb = c }
                    target = tb
                }
                if best == target { hits += 1 }
            }
            total += Double(hits); weight += Double(rows)
        case .meanSquaredError, .meanAbsoluteError:
            var s = 0.0
            let square = kind == .meanSquaredError
            for i in 0..<p.count {
                let d = Double(p.base[i] - t.base[i])
                s += square ? d * d : abs(d)
            }
            total += s; weight += Double(p.count)
        case .auc:
            for i in 0..<p.count {
                let b = min(max(Int(p.base[i] * Float(Self.bins)), 0), Self.bins - 1)
                if t.base[i] > 0.5 { positives[b] += 1 } else { negatives[b] += 1 }
            }
        }
    }

    /// The metric over everything added since the last reset.
    var result: Double {
        guard kind == .auc else { return weight > 0 ? total / weight : 0 }
        // Mann–Whitney over bins: a negative beats the positives above it, ties count half.
        let p = positives.reduce(0, +), n = negatives.reduce(0, +)
        guard p > 0, n > 0 else { return 0 }
        var above = 0.0, sum = 0.0
        for b in stride(from: Self.bins - 1, through: 0, by: -1) {
            sum += negatives[b] * (above + 0.5 * positives[b])
            above += positives[b]
        }
        return sum / (p * n)
    }
}

extension Loss {
    var isBinary: Bool { if case .binaryCrossentropy = kind { true } else { false } }
}
