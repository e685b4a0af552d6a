/// A hook into `fit`: override the events you need (all default to doing nothing).
///
/// ```swift
/// final class PrintLoss: Callback {
///     func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl) {
///         print(epoch, logs["loss"] ?? .nan)
///     }
/// }
/// ```
public protocol Callback: AnyObject {
    func onTrainBegin(control: TrainingControl)
    func onEpochBegin(_ epoch: Int, control: TrainingControl)
    func onBatchEnd(_ batch: Int, logs: BatchLogs)
    func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl)
    func onTrainEnd(control: TrainingControl)
}

extension Callback {
    public func onTrainBegin(control: TrainingControl) {}
    public func onEpochBegin(_ epoch: Int, control: TrainingControl) {}
    public func onBatchEnd(_ batch: Int, logs: BatchLogs) {}
    public func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl) {}
    public func onTrainEnd(control: TrainingControl) {}
}

/// What a callback may do to the training run: stop it, and save or restore weights.
public final class TrainingControl {
    private let model: Sequential
    /// Epochs requested.
    public let epochs: Int

    init(model: Sequential, epochs: Int) {
        self.model = model
        self.epochs = epochs
    }

    /// Ends training after the current epoch.
    public func stopTraining() { model.stopTrainingRequested = true }
    /// A copy of every weight.
    public func weights() -> [Float] { model.arena?.snapshot() ?? [] }
    /// Restores weights taken by ``weights()``.
    public func setWeights(_ w: [Float]) { model.arena?.restore(w) }
}

/// A callback from closures, as `keras.callbacks.LambdaCallback`.
public final class LambdaCallback: Callback {
    private let epochEnd: ((Int, EpochLogs) -> Void)?
    private let batchEnd: ((Int, BatchLogs) -> Void)?

    /// Calls `onEpochEnd` after each epoch and `onBatchEnd` after each batch.
    public init(onEpochEnd: ((Int, EpochLogs) -> Void)? = nil,
                onBatchEnd: ((Int, BatchLogs) -> Void)? = nil) {
        epochEnd = onEpochEnd
        batchEnd = onBatchEnd
    }

    public func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl) {
        epochEnd?(epoch, logs)
    }
    public func onBatchEnd(_ batch: Int, logs: BatchLogs) { batchEnd?(batch, logs) }
}

/// Stops training when a monitored value stops improving, as
/// `keras.callbacks.EarlyStopping`; optionally restores the best epoch's weights.
public final class EarlyStopping: Callback {
    /// The log key watched, e.g. `val_loss`.
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let restoresBestWeights: Bool
    private let lowerIsBetter: Bool
    private var best = Double.infinity
    private var wait = 0
    private var bestWeights: [Float]?
    /// The epoch at which training was stopped, if it was.
    public private(set) var stoppedEpoch: Int?
    /// The epoch with the best monitored value.
    public private(set) var bestEpoch: Int?

    /// - Parameter lowerIsBetter: `nil` infers it from the name (accuracy and AUC go up).
    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0,
                restoresBestWeights: Bool = false, lowerIsBetter: Bool? = nil) {
        self.monitor = monitor
        self.minDelta = abs(minDelta)
        self.patience = patience
        self.restoresBestWeights = restoresBestWeights
        self.lowerIsBetter = lowerIsBetter ?? !(monitor.hasSuffix("accuracy") || monitor.hasSuffix("auc"))
    }

    public func onTrainBegin(control: TrainingControl) {
        best = .infinity
        wait = 0
        bestWeights = nil
        stoppedEpoch = nil
        bestEpoch = nil
    }

    public func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl) {
        guard let raw = logs[monitor] else { return }
        let value = lowerIsBetter ? raw : -raw
        if value < best - minDelta {
            best = value
            wait = 0
            bestEpoch = epoch
            if restoresBestWeights { bestWeights = control.weights() }
        } else {
            wait += 1
            if wait >= patience {
                stoppedEpoch = epoch
                control.stopTraining()
            }
        }
    }

    public func onTrainEnd(control: TrainingControl) {
        if restoresBestWeights, let w = bestWeights { control.setWeights(w) }
    }
}
