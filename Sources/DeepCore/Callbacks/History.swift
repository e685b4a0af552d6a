/// What `fit` returns: per-epoch values of the loss and every metric, as Keras' `History`.
///
/// ```swift
/// let history = try model.fit(x, y, epochs: 5, batchSize: 32, validationSplit: 0.2)
/// print(history["val_loss"])   // one value per epoch that ran
/// ```
public struct History: Sendable {
    /// Keys (`loss`, `accuracy`, `val_loss`, …) to one value per epoch.
    public internal(set) var values: [String: [Double]] = [:]
    /// Indices of the epochs that ran (early stopping may end sooner).
    public internal(set) var epochs: [Int] = []

    /// The values of `key`, or an empty array.
    public subscript(key: String) -> [Double] { values[key] ?? [] }

    mutating func append(epoch: Int, logs: EpochLogs) {
        epochs.append(epoch)
        for (k, v) in logs.entries { values[k, default: []].append(v) }
    }
}

/// One epoch's results in a fixed order: loss, metrics, then their `val_` twins.
public struct EpochLogs: Sendable {
    /// `(name, value)` pairs in display order.
    public internal(set) var entries: [(String, Double)] = []
    /// Wall time of the epoch in seconds.
    public internal(set) var seconds: Double = 0

    /// The value named `key`, if present.
    public subscript(key: String) -> Double? { entries.first { $0.0 == key }?.1 }
}

/// The state of one batch, passed to ``Callback/onBatchEnd(_:logs:)``; copying it
/// allocates nothing.
public struct BatchLogs: Sendable {
    /// 0-based batch index within the epoch.
    public let batch: Int
    /// Batches per epoch.
    public let batchCount: Int
    /// Mean training loss over the epoch's batches so far.
    public let runningLoss: Double
    /// The loss of this batch.
    public let loss: Double
}
