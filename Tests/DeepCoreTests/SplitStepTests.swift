@testable import DeepCore
import Testing

/// The data-parallel step: threads claim row chunks, then sum the gradient arenas and run
/// the optimizer over disjoint arena ranges, with one step count and one NaN check per
/// step.
@Suite("Split training steps") struct SplitStepTests {
    /// A diverging step on two threads stops before any update, as on one thread: the
    /// weights are those after the last good batch, and the optimizer counted only the
    /// good steps.
    @Test func divergingSplitStepKeepsTheLastGoodWeights() throws {
        let x = Tensor.normal([1_024, 3], standardDeviation: 10, seed: 1)
        let y = Tensor.normal([1_024, 1], standardDeviation: 1000, seed: 2)
        let m = Sequential([Input(shape: [3]), Dense(units: 8, activation: .relu), Dense(units: 1)])
        let sgd = SGD(learningRate: 1e6)
        m.compile(optimizer: sgd, loss: .meanSquaredError)
        m.threads = 2
        var lastGood: [Float] = []
        var goodSteps: UInt64 = 0
        let watch = LambdaCallback(onBatchEnd: { _, _ in
            lastGood = m.parameters.flatMap { $0.tensor.scalars }
            goodSteps += 1
        })
        do {
            try m.fit(x, y, epochs: 20, batchSize: 128, shuffle: false, callbacks: [watch], verbose: .silent)
            Issue.record("training should have diverged")
        } catch let DeepCoreError.trainingDiverged(epoch, batch, _) {
            #expect(epoch >= 0 && batch >= 0 && batch < 8)
            let now = m.parameters.flatMap { $0.tensor.scalars }
            #expect(goodSteps > 0, "diverged on the first step: the test needs a good step first")
            #expect(now == lastGood, "weights changed after the last good batch")
            #expect(now.allSatisfy { $0.isFinite })
            #expect(sgd.iterations == goodSteps)
        }
    }

    /// Adam's bias correction and a schedule read the step count: on two threads it must
    /// advance once per step, giving the one-thread result.
    @Test func splitStepsCountEachStepOnce() throws {
        let (x, y) = hyperplaneData(samples: 1_280, features: 16, seed: 41)
        func train(threads: Int) throws -> ([Float], Adam) {
            let model = seedModel(features: 16, seed: 7)
            let adam = Adam(learningRate: 0.01)
            adam.schedule = PiecewiseConstantDecay(boundaries: [3, 7], values: [0.01, 0.005, 0.002])
            model.compile(optimizer: adam, loss: .binaryCrossentropy)
            model.threads = threads
            try model.fit(x, y, epochs: 2, batchSize: 256, shuffle: false, verbose: .silent)
            return (model.parameters.flatMap { $0.tensor.scalars }, adam)
        }
        let (one, adam1) = try train(threads: 1), (two, adam2) = try train(threads: 2)
        #expect(adam1.iterations == 10 && adam2.iterations == 10)
        #expect(adam2.learningRate == adam1.learningRate)
        for i in one.indices {
            #expect(abs(one[i] - two[i]) <= 1e-4 * max(1, abs(one[i])), "weight \(i): \(one[i]) vs \(two[i])")
        }
    }

    /// More threads than cores, several `fit` calls in a row (each starts and stops its
    /// helper threads), and a last batch that uses fewer chunks: still the one-thread step.
    @Test func manyThreadsAndRepeatedFitsMatchOneThread() throws {
        let (x, y) = hyperplaneData(samples: 1_600, features: 16, seed: 43)
        func train(threads: Int) throws -> [Float] {
            let model = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu),
                                    Dense(units: 1, activation: .sigmoid)], seed: 9)
            model.compile(optimizer: SGD(learningRate: 0.1), loss: .binaryCrossentropy)
            model.threads = threads
            for _ in 0..<3 { try model.fit(x, y, epochs: 1, batchSize: 512, shuffle: false, verbose: .silent) }
            return model.parameters.flatMap { $0.tensor.scalars }
        }
        let one = try train(threads: 1), many = try train(threads: 8)
        for i in one.indices {
            #expect(abs(one[i] - many[i]) <= 1e-4 * max(1, abs(one[i])), "weight \(i): \(one[i]) vs \(many[i])")
        }
    }
}
