@testable import DeepCore
import Foundation
import Testing

private func expectRates(_ schedule: some LearningRateSchedule, _ expected: [(UInt64, Double)],
                         sourceLocation: SourceLocation = #_sourceLocation) {
    for (step, rate) in expected {
        let got = schedule.learningRate(at: step)
        #expect(abs(Double(got) - rate) <= 1e-6 * max(abs(rate), 1e-3), "step \(step): \(got), expected \(rate)",
                sourceLocation: sourceLocation)
    }
}

/// One weight `w` (Dense(1) without bias on x = 1, target 0, MSE): the gradient is 2w.
private func oneWeightModel(_ optimizer: Optimizer, start: Float = 1) -> Sequential {
    let model = Sequential([Input(shape: [1]), Dense(units: 1, usesBias: false)])
    (model.layers[1] as! Dense).kernel!.assign(Tensor([[start]]))
    model.compile(optimizer: optimizer, loss: .meanSquaredError)
    return model
}

private func weight(_ model: Sequential) -> Float { (model.layers[1] as! Dense).kernel!.tensor.scalars[0] }

@Suite("Learning-rate schedules") struct LearningRateScheduleTests {
    @Test func exponentialDecay() {
        let smooth = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5)
        // 0.1·0.5^(step/10)
        expectRates(smooth, [(0, 0.1), (5, 0.070_710_678), (10, 0.05), (25, 0.017_677_670), (100, 0.1 / 1024)])
        let stairs = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        expectRates(stairs, [(0, 0.1), (5, 0.1), (9, 0.1), (10, 0.05), (19, 0.05), (20, 0.025), (25, 0.025)])
    }

    @Test func piecewiseConstantDecay() {
        let s = PiecewiseConstantDecay(boundaries: [3, 7], values: [1, 0.5, 0.1])
        expectRates(s, [(0, 1), (3, 1), (4, 0.5), (7, 0.5), (8, 0.1), (1_000_000, 0.1)])
        expectRates(PiecewiseConstantDecay(boundaries: [], values: [0.3]), [(0, 0.3), (99, 0.3)])
    }

    @Test func cosineDecay() {
        let s = CosineDecay(initialLearningRate: 1, decaySteps: 4)
        // ½(1 + cos(π·step/4)), flat after decaySteps.
        expectRates(s, [(0, 1), (1, 0.853_553_39), (2, 0.5), (3, 0.146_446_61), (4, 0), (10, 0)])
        let floor = CosineDecay(initialLearningRate: 0.5, decaySteps: 4, alpha: 0.2)
        // 0.5·(0.8·cosine + 0.2)
        expectRates(floor, [(0, 0.5), (2, 0.3), (4, 0.1), (50, 0.1)])
        let warm = CosineDecay(initialLearningRate: 0, decaySteps: 4, warmupTarget: 1, warmupSteps: 2)
        // Linear 0 → 1 over 2 steps, then the cosine from 1 over 4 steps.
        expectRates(warm, [(0, 0), (1, 0.5), (2, 1), (3, 0.853_553_39), (4, 0.5), (6, 0), (100, 0)])
    }

    @Test func sgdUsesTheScheduledRateAtEachStep() throws {
        // Step 0 at lr 0.1: w = 1 − 0.1·2 = 0.8; step 1 at lr 0.25: w = 0.8 − 0.25·1.6 = 0.4.
        let sgd = SGD(schedule: PiecewiseConstantDecay(boundaries: [0], values: [0.1, 0.25]))
        #expect(sgd.learningRate == 0.1)
        let model = oneWeightModel(sgd)
        try model.fit(Tensor([[1]]), Tensor([[0]]), epochs: 2, batchSize: 1, verbose: .silent)
        #expect(abs(weight(model) - 0.4) < 1e-6, "w = \(weight(model))")
        #expect(sgd.iterations == 2 && sgd.learningRate == 0.25)

        // The same through the property, with an exponential schedule: lr 0.1, then 0.05.
        let plain = SGD(learningRate: 123)
        plain.schedule = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5)
        let second = oneWeightModel(plain)
        try second.fit(Tensor([[1]]), Tensor([[0]]), epochs: 2, batchSize: 1, verbose: .silent)
        #expect(abs(weight(second) - 0.72) < 1e-6, "w = \(weight(second))")  // 0.8 − 0.05·1.6
    }

    @Test func adamTakesItsRateFromTheSchedule() throws {
        // Adam's first step moves w by ≈ lr (bias-corrected), here the schedule's 0.2.
        let adam = Adam(schedule: CosineDecay(initialLearningRate: 0.2, decaySteps: 10))
        #expect(adam.learningRate == 0.2 && adam.schedule != nil)
        let model = oneWeightModel(adam)
        try model.fit(Tensor([[1]]), Tensor([[0]]), epochs: 1, batchSize: 1, verbose: .silent)
        #expect(abs(weight(model) - 0.8) < 1e-4, "w = \(weight(model))")
        #expect(abs(adam.learningRate - 0.2) < 1e-7)  // cosine at step 0
    }

    @Test func learningRateSchedulerCallbackSetsTheRateEachEpoch() throws {
        let sgd = SGD(learningRate: 1)
        let model = oneWeightModel(sgd)
        let scheduler = LearningRateScheduler(optimizer: sgd) { epoch, lr in epoch == 0 ? 0.1 : lr / 2 }
        try model.fit(Tensor([[1]]), Tensor([[0]]), epochs: 2, batchSize: 1, callbacks: [scheduler], verbose: .silent)
        #expect(scheduler.rates == [0.1, 0.05])
        #expect(abs(weight(model) - 0.72) < 1e-6, "w = \(weight(model))")  // 1 → 0.8 → 0.8 − 0.05·1.6
    }
}

@Suite("Adagrad") struct AdagradOptimizerTests {
    @Test func firstStepsFollowKerasFormula() throws {
        // acc = 0.1 + g², w −= lr·g/√(acc + ε), g = 2w.
        let adagrad = Adagrad(learningRate: 0.1)
        #expect(adagrad.initialAccumulatorValue == 0.1 && adagrad.epsilon == 1e-7)
        let model = oneWeightModel(adagrad)
        try model.fit(Tensor([[1]]), Tensor([[0]]), epochs: 3, batchSize: 1, verbose: .silent)
        var w = 1.0, acc = 0.1
        for _ in 0..<3 {
            let g = 2 * w
            acc += g * g
            w -= 0.1 * g / (acc + 1e-7).squareRoot()
        }
        #expect(abs(Double(weight(model)) - w) < 1e-6, "w = \(weight(model)), expected \(w)")
    }

    @Test func tinyModelTrainsWithAdagrad() throws {
        let (x, y) = hyperplaneData(samples: 2_000, features: 8, seed: 51)
        let model = Sequential([Input(shape: [8]), Dense(units: 16, activation: .relu), Dense(units: 1, activation: .sigmoid)])
        model.compile(optimizer: Adagrad(learningRate: 0.1), loss: .binaryCrossentropy, metrics: [.accuracy])
        let h = try model.fit(x, y, epochs: 5, batchSize: 32, verbose: .silent)
        #expect(h["loss"].last! < h["loss"].first!)
        let accuracy = try model.evaluate(x, y)["accuracy"]!
        #expect(accuracy > 0.93, "accuracy \(accuracy)")
    }

    @Test func scheduledAdagradStartsFromTheSchedule() {
        let adagrad = Adagrad(schedule: ExponentialDecay(initialLearningRate: 0.3, decaySteps: 5, decayRate: 0.1),
                              initialAccumulatorValue: 0.5)
        #expect(adagrad.learningRate == 0.3 && adagrad.initialAccumulatorValue == 0.5)
    }
}
