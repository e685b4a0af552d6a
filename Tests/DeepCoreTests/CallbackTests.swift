@testable import DeepCore
import Testing

@Suite("Callbacks") struct CallbackTests {
    @Test func earlyStoppingStopsAndRestoresTheBestWeights() throws {
        let (x, y) = hyperplaneData(samples: 300, features: 4, seed: 1)
        let (vx, vy) = hyperplaneData(samples: 100, features: 4, seed: 2, planeSeed: 1234)  // unlearnable
        let model = Sequential([Input(shape: [4]), Dense(units: 16, activation: .relu), Dense(units: 1, activation: .sigmoid)])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossentropy)
        let stop = EarlyStopping(monitor: "val_loss", patience: 1, restoresBestWeights: true)
        var snapshots: [[Float]] = []
        let record = LambdaCallback(onEpochEnd: { _, _ in snapshots.append(model.parameters.flatMap { $0.tensor.scalars }) })
        let h = try model.fit(x, y, epochs: 40, batchSize: 20, validationData: (vx, vy), callbacks: [stop, record], verbose: .silent)
        let stopped = try #require(stop.stoppedEpoch)
        let best = try #require(stop.bestEpoch)
        #expect(h.epochs.count == stopped + 1 && stopped < 39)
        #expect(stopped == best + 1)
        #expect(h["val_loss"][best] == h["val_loss"].min())
        #expect(model.parameters.flatMap { $0.tensor.scalars } == snapshots[best])
    }

    @Test func earlyStoppingMaximisesAccuracy() {
        let s = EarlyStopping(monitor: "val_accuracy", patience: 0)
        let control = TrainingControl(model: Sequential(), epochs: 3)
        s.onTrainBegin(control: control)
        var logs = EpochLogs()
        logs.entries = [("val_accuracy", 0.5)]
        s.onEpochEnd(0, logs: logs, control: control)
        logs.entries = [("val_accuracy", 0.7)]
        s.onEpochEnd(1, logs: logs, control: control)
        #expect(s.stoppedEpoch == nil && s.bestEpoch == 1)
        logs.entries = [("val_accuracy", 0.6)]
        s.onEpochEnd(2, logs: logs, control: control)
        #expect(s.stoppedEpoch == 2)
    }

    @Test func lambdaCallbackSeesEveryBatchAndEpoch() throws {
        let (x, y) = hyperplaneData(samples: 100, features: 3, seed: 4)
        let model = Sequential([Input(shape: [3]), Dense(units: 1, activation: .sigmoid)])
        model.compile(optimizer: SGD(), loss: .binaryCrossentropy)
        var batches = 0, epochs: [Int] = []
        var lastLogs: BatchLogs?
        let cb = LambdaCallback(onEpochEnd: { e, _ in epochs.append(e) }, onBatchEnd: { _, l in batches += 1; lastLogs = l })
        try model.fit(x, y, epochs: 2, batchSize: 30, callbacks: [cb], verbose: .silent)
        #expect(batches == 8 && epochs == [0, 1])          // ⌈100/30⌉ = 4 batches per epoch
        #expect(lastLogs?.batch == 3 && lastLogs?.batchCount == 4)
    }
}

@Suite("Metrics") struct MetricTests {
    func view(_ values: [Float]) -> (MatrixView, UnsafeMutablePointer<Float>) {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        return (MatrixView(base: p, rows: values.count, columns: 1), p)
    }

    @Test func aucIsTheProbabilityThatAPositiveOutranksANegative() {
        let (pred, a) = view([0.9, 0.8, 0.35, 0.6, 0.2, 0.1])
        let (target, b) = view([1, 1, 1, 0, 0, 0])
        defer { a.deallocate(); b.deallocate() }
        let auc = MetricAccumulator(.auc, loss: .binaryCrossentropy, outputWidth: 1)
        auc.update(predictions: pred, targets: target, sparse: false)
        // Pairs (pos, neg) ordered right: 8 of 9.
        #expect(abs(auc.result - 8.0 / 9.0) < 1e-12)
        let acc = MetricAccumulator(.accuracy, loss: .binaryCrossentropy, outputWidth: 1)
        acc.update(predictions: pred, targets: target, sparse: false)
        #expect(abs(acc.result - 4.0 / 6.0) < 1e-12)
        let mae = MetricAccumulator(.meanAbsoluteError, loss: .meanSquaredError, outputWidth: 1)
        mae.update(predictions: pred, targets: target, sparse: false)
        #expect(abs(mae.result - (0.1 + 0.2 + 0.65 + 0.6 + 0.2 + 0.1) / 6) < 1e-6)
    }

    @Test func categoricalAccuracyWithDenseAndSparseTargets() {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 6)
        p.initialize(from: [0.1, 0.7, 0.2, 0.5, 0.3, 0.2], count: 6)
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 6)
        t.initialize(from: [0, 1, 0, 0, 0, 1], count: 6)
        let s = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        s.initialize(from: [1, 0], count: 2)
        defer { p.deallocate(); t.deallocate(); s.deallocate() }
        let dense = MetricAccumulator(.accuracy, loss: .categoricalCrossentropy, outputWidth: 3)
        dense.update(predictions: MatrixView(base: p, rows: 2, columns: 3), targets: MatrixView(base: t, rows: 2, columns: 3), sparse: false)
        #expect(dense.result == 0.5)
        let sparse = MetricAccumulator(.accuracy, loss: .sparseCategoricalCrossentropy, outputWidth: 3)
        sparse.update(predictions: MatrixView(base: p, rows: 2, columns: 3), targets: MatrixView(base: s, rows: 2, columns: 1), sparse: true)
        #expect(sparse.result == 1)
    }
}

/// A callback that evaluates and predicts with the model being trained, at every epoch's end.
final class ModelProbe: Callback {
    let model: Sequential
    let x: Tensor, y: Tensor
    var predictions: [Tensor] = []
    init(model: Sequential, x: Tensor, y: Tensor) { (self.model, self.x, self.y) = (model, x, y) }
    func onEpochEnd(_ epoch: Int, logs: EpochLogs, control: TrainingControl) {
        _ = try? model.evaluate(x, y)
        if let p = try? model.predict(x) { predictions.append(p) }
    }
}

@Suite("Callbacks that use the model") struct CallbackModelUseTests {
    /// Keras callbacks often evaluate or predict with the model mid-fit. That must neither
    /// change the training (the fused sigmoid + cross-entropy keeps the output activation
    /// deferred for the remaining steps) nor return logits: the callback's predictions are
    /// probabilities, the same as `predict` with the same weights after `fit`.
    @Test func evaluateAndPredictInACallbackLeaveTrainingAlone() throws {
        let (x, y) = hyperplaneData(samples: 512, features: 64, seed: 21)
        let plain = seedModel(seed: 5), probed = seedModel(seed: 5)
        try plain.fit(x, y, epochs: 3, batchSize: 32, seed: 9, verbose: .silent)
        let probe = ModelProbe(model: probed, x: x, y: y)
        try probed.fit(x, y, epochs: 3, batchSize: 32, seed: 9, callbacks: [probe], verbose: .silent)
        #expect(try probed.predict(x) == plain.predict(x), "training changed by the callback")
        #expect(probe.predictions.count == 3)
        #expect(probe.predictions.last == (try probed.predict(x)))
        #expect(probe.predictions.allSatisfy { $0.scalars.allSatisfy { $0 > 0 && $0 < 1 } })
    }
}
