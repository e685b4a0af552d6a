import AllocationCounter
@testable import DeepCore
import Testing

/// Labels from a fixed random hyperplane: the seed scenario's learnable problem.
func hyperplaneData(samples: Int, features: Int, seed: UInt64, planeSeed: UInt64 = 99) -> (Tensor, Tensor) {
    let w = Tensor.normal([features], seed: planeSeed).scalars
    let x = Tensor.normal([samples, features], seed: seed)
    let labels = x.withUnsafeBufferPointer { xs in
        (0..<samples).map { i -> Float in
            var dot: Float = 0
            for j in 0..<features { dot += xs[i * features + j] * w[j] }
            return dot > 0 ? 1 : 0
        }
    }
    return (x, Tensor(shape: [samples, 1], scalars: labels))
}

/// Reads this thread's allocation counter after batches 10 and 50 of a `fit`.
final class AllocationProbe: Callback {
    var atBatch10: UInt64 = 0
    var atBatch50: UInt64 = 0
    func onBatchEnd(_ batch: Int, logs: BatchLogs) {
        if batch == 10 { atBatch10 = allocation_counter_value() }
        if batch == 50 { atBatch50 = allocation_counter_value() }
    }
}

func seedModel(features: Int = 64, seed: UInt64 = 42) -> Sequential {
    let model = Sequential([
        Input(shape: [features]),
        Dense(units: 128, activation: .relu),
        Dense(units: 64, activation: .relu),
        Dense(units: 1, activation: .sigmoid),
    ], seed: seed)
    model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
    return model
}

@Suite("Training") struct TrainingTests {
    /// The seed scenario: Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid), Adam,
    /// binary cross-entropy, accuracy, batch 32, on a hyperplane problem (smaller than the
    /// example's 100,000 samples so the debug test stays fast).
    @Test func seedModelLearnsTheHyperplane() throws {
        let (x, y) = hyperplaneData(samples: 24_000, features: 64, seed: 1)
        let (xTest, yTest) = hyperplaneData(samples: 4_000, features: 64, seed: 2)
        let model = seedModel()
        let history = try model.fit(x, y, epochs: 3, batchSize: 32, validationSplit: 0.1, verbose: .silent)
        #expect(history.epochs == [0, 1, 2])
        #expect(history["loss"].count == 3 && history["val_accuracy"].count == 3)
        #expect(history["loss"][2] < history["loss"][0])
        let scores = try model.evaluate(xTest, yTest)
        #expect(scores["accuracy"]! >= 0.97, "held-out accuracy \(scores["accuracy"]!)")
        let p = try model.predict(xTest.rows(0..<10))
        #expect(p.shape == [10, 1] && p.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func tinyRegressionFitsItsLine() throws {
        // y = 3x − 2 by a single Dense(1): MSE falls well below the targets' variance.
        let x = Tensor.uniform([256, 1], in: -1...1, seed: 3)
        let y = Tensor(shape: [256, 1], scalars: x.scalars.map { 3 * $0 - 2 })
        let model = Sequential([Input(shape: [1]), Dense(units: 1)], seed: 1)
        model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .meanSquaredError, metrics: [.meanAbsoluteError])
        let h = try model.fit(x, y, epochs: 30, batchSize: 16, verbose: .silent)
        #expect(h["loss"].last! < 1e-4)
        let dense = model.layers[1] as! Dense
        #expect(abs(dense.kernel!.tensor.scalars[0] - 3) < 0.01 && abs(dense.bias!.tensor.scalars[0] + 2) < 0.01)
    }

    @Test func softmaxClassifierLearnsThreeClusters() throws {
        var rng = SeededGenerator(seed: 5)
        var xs: [Float] = [], ys: [Float] = []
        let centers: [[Float]] = [[2, 0], [-2, 2], [0, -2]]
        for i in 0..<600 {
            let c = i % 3
            xs += [centers[c][0] + 0.5 * rng.nextNormal(), centers[c][1] + 0.5 * rng.nextNormal()]
            ys.append(Float(c))
        }
        let model = Sequential([Input(shape: [2]), Dense(units: 16, activation: .tanh), Dense(units: 3, activation: .softmax)])
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .sparseCategoricalCrossentropy, metrics: [.accuracy])
        try model.fit(Tensor(shape: [600, 2], scalars: xs), Tensor(ys), epochs: 10, batchSize: 32, verbose: .silent)
        let scores = try model.evaluate(Tensor(shape: [600, 2], scalars: xs), Tensor(ys))
        #expect(scores["accuracy"]! > 0.95)
        let p = try model.predict(Tensor([[2, 0]]))
        #expect(abs(p.scalars.reduce(0, +) - 1) < 1e-5 && p[0, 0] > 0.8)
    }

    @Test func sameSeedGivesBitIdenticalWeights() throws {
        let (x, y) = hyperplaneData(samples: 500, features: 8, seed: 7)
        func train(_ seed: UInt64) throws -> [Float] {
            let model = seedModel(features: 8)
            try model.fit(x, y, epochs: 2, batchSize: 32, seed: seed, verbose: .silent)
            return model.parameters.flatMap { $0.tensor.scalars }
        }
        let a = try train(1), b = try train(1), c = try train(2)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a != c)
    }

    /// One thread at batch 32, and a batch of 256 split over two threads (the step's
    /// hand-off to the worker pool is on the calling thread, which is what the counter sees;
    /// `recs-bench --cases alloc` counts every thread).
    @Test(arguments: [(batch: 32, threads: 1), (batch: 256, threads: 2)])
    func trainingStepAllocatesNothingAfterWarmUp(batch: Int, threads: Int) throws {
        guard allocation_counter_supported() != 0 else { return }
        let (x, y) = hyperplaneData(samples: batch * 60, features: 64, seed: 8)
        let model = seedModel()
        model.threads = threads
        let probe = AllocationProbe()
        try model.fit(x, y, epochs: 1, batchSize: batch, callbacks: [probe], verbose: .silent)
        #expect(probe.atBatch10 > 0, "the allocation counter is not counting")
        #expect(probe.atBatch50 - probe.atBatch10 == 0, "\(probe.atBatch50 - probe.atBatch10) allocations in 40 steps")
    }

    @Test func validationDataAndMetricsAreReported() throws {
        let (x, y) = hyperplaneData(samples: 400, features: 4, seed: 9)
        let (vx, vy) = hyperplaneData(samples: 100, features: 4, seed: 10)
        let model = Sequential([Input(shape: [4]), Dense(units: 8, activation: .relu), Dense(units: 1, activation: .sigmoid)])
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy,
                      metrics: [.accuracy, .auc, .meanSquaredError, .meanAbsoluteError])
        let h = try model.fit(x, y, epochs: 2, batchSize: 50, validationData: (vx, vy), verbose: .silent)
        for key in ["loss", "accuracy", "auc", "mse", "mae", "val_loss", "val_accuracy", "val_auc", "val_mse", "val_mae"] {
            #expect(h[key].count == 2, "missing \(key)")
        }
        let e = try model.evaluate(vx, vy)
        #expect(abs(e["loss"]! - h["val_loss"][1]) < 1e-9)
        #expect(e["auc"]! > 0.9)
    }
}

@Suite("Data-parallel training") struct ThreadedTrainingTests {
    @Test func twoThreadsComputeTheSameStepAsOne() throws {
        let (x, y) = hyperplaneData(samples: 256, features: 16, seed: 21)
        func weightsAfterOneStep(threads: Int) throws -> [Float] {
            let model = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu), Dense(units: 1, activation: .sigmoid)], seed: 5)
            model.compile(optimizer: SGD(learningRate: 0.5), loss: .binaryCrossentropy)
            model.threads = threads
            try model.fit(x, y, epochs: 1, batchSize: 256, shuffle: false, verbose: .silent)
            return model.parameters.flatMap { $0.tensor.scalars }
        }
        let one = try weightsAfterOneStep(threads: 1), two = try weightsAfterOneStep(threads: 2)
        let start = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu), Dense(units: 1, activation: .sigmoid)], seed: 5)
            .parameters.flatMap { $0.tensor.scalars }
        #expect(one != start)
        for i in one.indices {
            #expect(abs(one[i] - two[i]) <= 1e-5 * max(1, abs(one[i])), "weight \(i): \(one[i]) vs \(two[i])")
        }
    }

    @Test func twoThreadsAreReproducibleAndLearn() throws {
        let (x, y) = hyperplaneData(samples: 4_096, features: 16, seed: 22)
        func train() throws -> ([Float], Double) {
            let model = seedModel(features: 16)
            model.threads = 2
            try model.fit(x, y, epochs: 3, batchSize: 256, verbose: .silent)
            return (model.parameters.flatMap { $0.tensor.scalars }, try model.evaluate(x, y)["accuracy"]!)
        }
        let (a, accuracy) = try train(), (b, _) = try train()
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(accuracy > 0.9)
    }
}
