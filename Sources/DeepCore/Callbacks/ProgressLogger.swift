import Foundation

/// How much `fit` prints.
public enum Verbosity: Sendable {
    /// A live bar when standard output is a terminal, one line per epoch otherwise.
    case auto
    /// A live bar within each epoch and a summary line.
    case progressBar
    /// One line per epoch.
    case epochLines
    /// Nothing.
    case silent
}

/// Prints progress like Keras: `Epoch 1/3`, then a bar or a line with loss, metrics,
/// validation metrics and time.
final class ProgressLogger: Callback {
    private let live: Bool
    private var epochStart = ContinuousClock.now
    private var lastDraw = ContinuousClock.now
    private var epochs = 0
    private var batchCount = 0

    init(verbosity: Verbosity) {
        switch verbosity {
        case .progressBar: live = true
        case .auto: live = isatty(STDOUT_FILENO) != 0
        default: live = false
        }
    }

    func onTrainBegin(control: TrainingControl) { epochs = control.epochs }

    func onEpochBegin(_ epoch: Int, control: TrainingControl) {
        print("Epoch \(epoch + 1)/\(epochs)")
        fflush(nil)
        epochStart = .now
        lastDraw = .now
    }

    func onBatchEnd(_ batch: Int, logs: BatchLogs) {
        batchCount = logs.batchCount
        guard live else { return }
        let now = ContinuousClock.now
        // Redraw at most ten times a second: the bar must not slow training down.
        guard now - lastDraw > .milliseconds(100) || batch + 1 == logs.batchCount else { return }
        lastDraw = now
        let width = 20
        let done = logs.batchCount > 0 ? width * (batch + 1) / logs.batchCount : width
        let bar = String(repeating: "━", count: done) + String(repeating: "─", count: width - done)
        let elapsed = Self.seconds(now - epochStart)
        // \u{1B}[K clears what is left of a longer previous line.
        print("\r\(batch + 1)/\(logs.batchCount) \(bar) \(Self.time(elapsed)) - loss: \(formatMetric(logs.runningLoss))\u{1B}[K",
              terminator: "")
        fflush(nil)
    }

    func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl) {
        let values = logs.entries.map { "\($0.0): \(formatMetric($0.1))" }.joined(separator: " - ")
        let steps = "\(batchCount)/\(batchCount)"
        let perStep = Self.time(logs.seconds / Double(max(batchCount, 1))) + "/step"
        if live {
            let bar = String(repeating: "━", count: 20)
            print("\r\(steps) \(bar) \(Self.time(logs.seconds)) \(perStep) - \(values)\u{1B}[K")
        } else {
            print("\(steps) - \(Self.time(logs.seconds)) - \(perStep) - \(values)")
        }
        fflush(nil)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func time(_ s: Double) -> String {
        if s >= 1 { return "\(Int(s.rounded()))s" }
        if s >= 1e-3 { return "\(Int((s * 1e3).rounded()))ms" }
        return "\(Int((s * 1e6).rounded()))us"
    }
}
