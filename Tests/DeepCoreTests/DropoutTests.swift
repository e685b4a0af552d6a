import AllocationCounter
@testable import DeepCore
import Foundation
import Testing

/// Runs a `Dropout` forward over a `rows × columns` matrix (filled by `fill`) and returns the output.
private func dropoutOutput(_ layer: Dropout, rows: Int, columns: Int, context: LayerContext,
                           fill: (Int) -> Float = { _ in 1 }) -> [Float] {
    let ws = Workspace()
    let x = ws.matrix(rows: rows, columns: columns), y = ws.matrix(rows: rows, columns: columns)
    for i in 0..<x.count { x.base[i] = fill(i) }
    layer.forward(x, into: y, context: context)
    return Array(UnsafeBufferPointer(start: y.base, count: y.count))
}

private func training(step: UInt64 = 0, seed: UInt64 = 42) -> LayerContext {
    LayerContext(isTraining: true, step: step, seed: seed)
}

@Suite("Dropout") struct DropoutTests {
    @Test func evaluateAndPredictAreTheIdentity() throws {
        let model = Sequential([Input(shape: [6]), Dropout(rate: 0.5)])
        model.compile(optimizer: SGD(), loss: .meanSquaredError)
        let x = Tensor.normal([40, 6], seed: 1)
        #expect(try model.predict(x) == x)
        #expect(try model.evaluate(x, x)["loss"] == 0)
        let layer = Dropout(rate: 0.7)
        let out = dropoutOutput(layer, rows: 3, columns: 5, context: LayerContext(isTraining: false, step: 3, seed: 1),
                                fill: { Float($0) - 4.5 })
        #expect(out == (0..<15).map { Float($0) - 4.5 })
    }

    @Test(arguments: [0.1, 0.3, 0.5, 0.9] as [Float])
    func trainingKeepsTheRightFractionWithTheRightScale(rate: Float) {
        let layer = Dropout(rate: rate)
        let out = dropoutOutput(layer, rows: 1000, columns: 100, context: training(step: 7))
        let scale = Float(1 / (1 - Double(rate)))
        #expect(out.allSatisfy { $0 == 0 || $0 == scale }, "outputs other than 0 and \(scale)")
        let kept = Double(out.filter { $0 != 0 }.count) / Double(out.count)
        // 100 000 draws: the standard deviation of the kept fraction is below 0.0016.
        #expect(abs(kept - Double(1 - rate)) < 0.01, "kept \(kept), expected \(1 - rate)")
        let mean = out.reduce(0.0) { $0 + Double($1) } / Double(out.count)
        #expect(abs(mean - 1) < 0.03, "mean \(mean) (inverted dropout keeps the expectation)")
    }

    @Test func rateZeroIsTheIdentityInTraining() {
        let out = dropoutOutput(Dropout(rate: 0), rows: 4, columns: 3, context: training(), fill: { Float($0) })
        #expect(out == (0..<12).map(Float.init))
    }

    @Test func maskIsAFunctionOfSeedStepAndName() {
        let layer = Dropout(rate: 0.5)
        let a = dropoutOutput(layer, rows: 16, columns: 32, context: training(step: 3, seed: 9))
        let b = dropoutOutput(layer, rows: 16, columns: 32, context: training(step: 3, seed: 9))
        let nextStep = dropoutOutput(layer, rows: 16, columns: 32, context: training(step: 4, seed: 9))
        let otherSeed = dropoutOutput(layer, rows: 16, columns: 32, context: training(step: 3, seed: 10))
        #expect(a == b)
        #expect(a != nextStep && a != otherSeed)
        // Another layer with the same name draws the same mask; a different name another.
        let twin = Dropout(rate: 0.5)
        #expect(dropoutOutput(twin, rows: 16, columns: 32, context: training(step: 3, seed: 9)) == a)
        twin.name = "dropout_1"
        #expect(dropoutOutput(twin, rows: 16, columns: 32, context: training(step: 3, seed: 9)) != a)
        // Masks of consecutive steps agree on about half the elements (independent draws).
        let same = zip(a, nextStep).filter { $0 == $1 }.count
        #expect(abs(Double(same) / 512 - 0.5) < 0.1)
    }

    @Test func sequentialNamesDropoutLayersApart() {
        let model = Sequential([Input(shape: [4]), Dropout(rate: 0.2), Dense(units: 3), Dropout(rate: 0.2)])
        #expect(model.layers[1].name == "dropout" && model.layers[3].name == "dropout_1")
        #expect(model.summaryDescription.contains("dropout_1 (Dropout)"))
        #expect(model.parameterCount == 4 * 3 + 3)
    }

    /// ∂L/∂x against central differences of L = Σ c ⊙ dropout(x) in the same step.
    @Test func inputGradientMatchesFiniteDifferences() {
        let rows = 5, columns = 7, n = rows * columns
        let layer = Dropout(rate: 0.4)
        let context = training(step: 12, seed: 3)
        var rng = SeededGenerator(seed: 8)
        let x0 = (0..<n).map { _ in rng.nextNormal() }
        let c = (0..<n).map { _ in rng.nextNormal() }
        let ws = Workspace()
        let x = ws.matrix(rows: rows, columns: columns), y = ws.matrix(rows: rows, columns: columns)
        let dy = ws.matrix(rows: rows, columns: columns), dx = ws.matrix(rows: rows, columns: columns)
        for i in 0..<n { x.base[i] = x0[i]; dy.base[i] = c[i] }
        layer.forward(x, into: y, context: context)
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: dx, context: context)
        func f() -> Double {
            layer.forward(x, into: y, context: context)
            return (0..<n).reduce(0.0) { $0 + Double(c[$1]) * Double(y.base[$1]) }
        }
        let h: Float = 1e-2
        var dropped = 0
        for i in 0..<n {
            x.base[i] = x0[i] + h
            let up = f()
            x.base[i] = x0[i] - h
            let down = f()
            x.base[i] = x0[i]
            let numeric = (up - down) / (2 * Double(h))
            #expect(abs(Double(dx.base[i]) - numeric) <= 1e-3 * max(1, abs(numeric)),
                    "element \(i): analytic \(dx.base[i]) vs numeric \(numeric)")
            if dx.base[i] == 0 { dropped += 1 }
        }
        #expect(dropped > 0 && dropped < n)
        // Without an input gradient (first layer) backward does nothing.
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: nil, context: context)
    }

    /// Parameter gradients of Dense → Dropout → Dense against central differences of a
    /// Double mirror that applies the same mask (read off the layer applied to ones).
    @Test func backwardThroughAModelMatchesFiniteDifferences() throws {
        let inputs = 3, hidden = 6, outputs = 2, batch = 5
        let model = Sequential([Input(shape: [inputs]), Dense(units: hidden, activation: .tanh),
                                Dropout(rate: 0.4), Dense(units: outputs)], seed: 11)
        model.compile(optimizer: SGD(), loss: .meanSquaredError)
        for p in model.parameters where p.name == "bias" {
            p.assign(Tensor.uniform(p.shape, in: -0.3...0.3, seed: 5))
        }
        let x = Tensor.normal([batch, inputs], seed: 3), y = Tensor.normal([batch, outputs], seed: 6)
        let lossValue = try model.lossAndGradients(x, y)  // step 0, the model's seed

        let dropout = model.layers[2] as! Dropout
        let maskScale = dropoutOutput(dropout, rows: batch, columns: hidden, context: training(step: 0, seed: model.seed))
        let mask = (0..<batch).map { r in (0..<hidden).map { Double(maskScale[r * hidden + $0]) } }
        #expect(maskScale.contains(0) && maskScale.contains { $0 > 1 })

        let xs = (0..<batch).map { r in (0..<inputs).map { Double(x[r, $0]) } }
        let ys = (0..<batch).map { r in (0..<outputs).map { Double(y[r, $0]) } }
        func affine(_ rows: [[Double]], _ w: [Double], _ b: [Double], _ units: Int) -> [[Double]] {
            var out: [[Double]] = []
            for r in rows {
                var z = b
                for j in 0..<units {
                    for i in 0..<r.count { z[j] += r[i] * w[i * units + j] }
                }
                out.append(z)
            }
            return out
        }
        func f(_ t: [[Double]]) -> Double {
            var h: [[Double]] = []
            for (r, z) in affine(xs, t[0], t[1], hidden).enumerated() {
                let a = Reference.activate(z, .tanh)
                h.append((0..<hidden).map { a[$0] * mask[r][$0] })
            }
            return Reference.loss(.meanSquaredError, affine(h, t[2], t[3], outputs), ys)
        }
        let params = model.parameters
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        #expect(abs(lossValue - f(theta)) <= 1e-5 * max(1, abs(f(theta))), "loss \(lossValue) vs \(f(theta))")
        let rel = Reference.normwiseGradientError(params, theta, f).relative
        #expect(rel <= 1e-4, "normwise gradient error \(rel)")
    }

    @Test func modelWithDropoutLearnsAndIsReproducible() throws {
        let (x, y) = hyperplaneData(samples: 2_000, features: 16, seed: 31)
        let (xTest, yTest) = hyperplaneData(samples: 1_000, features: 16, seed: 32)
        func train(rate: Float, seed: UInt64 = 7) throws -> ([Float], Double) {
            let model = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu),
                                    Dropout(rate: rate), Dense(units: 1, activation: .sigmoid)], seed: seed)
            model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy, metrics: [.accuracy])
            try model.fit(x, y, epochs: 6, batchSize: 32, verbose: .silent)
            return (model.parameters.flatMap { $0.tensor.scalars }, try model.evaluate(xTest, yTest)["accuracy"]!)
        }
        let (a, accuracy) = try train(rate: 0.3)
        let (b, _) = try train(rate: 0.3)
        let (c, _) = try train(rate: 0.3, seed: 8)
        let (none, _) = try train(rate: 0)
        #expect(accuracy > 0.9, "held-out accuracy \(accuracy)")
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(a != c)
        #expect(a != none)  // same initial weights (Dropout has none): the masks changed the run
    }

    @Test func twoThreadsWithDropoutAreReproducibleAndLearn() throws {
        let (x, y) = hyperplaneData(samples: 2_048, features: 16, seed: 33)
        func train() throws -> ([Float], Double) {
            let model = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu),
                                    Dropout(rate: 0.2), Dense(units: 1, activation: .sigmoid)], seed: 3)
            model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy, metrics: [.accuracy])
            model.threads = 2
            try model.fit(x, y, epochs: 4, batchSize: 256, verbose: .silent)
            return (model.parameters.flatMap { $0.tensor.scalars }, try model.evaluate(x, y)["accuracy"]!)
        }
        let (a, accuracy) = try train(), (b, _) = try train()
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(accuracy > 0.85, "accuracy \(accuracy)")
    }

    /// The mask is indexed by batch position, so splitting a batch over threads changes
    /// nothing but summation order; also 11 threads on a last batch of 100 rows, where the
    /// eleventh thread's share is empty (its gradient arena must not be summed stale).
    @Test(arguments: [(2, 256, 256), (11, 804, 704)])
    func threadSplitDoesNotChangeTheStep(threads: Int, samples: Int, rows: Int) throws {
        let (x, y) = hyperplaneData(samples: samples, features: 16, seed: 35)
        func weightsAfterOneStep(threads: Int) throws -> [Float] {
            let model = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu), Dropout(rate: 0.4),
                                    Dense(units: 1, activation: .sigmoid)], seed: 5)
            model.compile(optimizer: SGD(learningRate: 0.5), loss: .binaryCrossentropy)
            model.threads = threads
            try model.fit(x, y, epochs: 2, batchSize: rows, shuffle: false, verbose: .silent)
            return model.parameters.flatMap { $0.tensor.scalars }
        }
        let one = try weightsAfterOneStep(threads: 1), many = try weightsAfterOneStep(threads: threads)
        for i in one.indices {
            #expect(abs(one[i] - many[i]) <= 1e-5 * max(1, abs(one[i])), "weight \(i): \(one[i]) vs \(many[i])")
        }
    }

    /// Dropout, a kernel regularizer, Adagrad and a learning-rate schedule keep the training
    /// step free of allocations (each alone, then all together).
    @Test(arguments: ["none", "dropout", "regularizer", "adagrad", "schedule", "all"])
    func trainingStepAllocatesNothing(with feature: String) throws {
        guard allocation_counter_supported() != 0 else { return }
        let (x, y) = hyperplaneData(samples: 32 * 60, features: 16, seed: 34)
        let all = feature == "all"
        let regularizer: Regularizer? = all || feature == "regularizer" ? .l1l2(l1: 1e-4, l2: 1e-3) : nil
        let model = Sequential([Input(shape: [16]), Dense(units: 32, activation: .relu, kernelRegularizer: regularizer),
                                Dropout(rate: all || feature == "dropout" ? 0.25 : 0), Dense(units: 1, activation: .sigmoid)])
        let optimizer: Optimizer = all || feature == "adagrad" ? Adagrad(learningRate: 0.1) : SGD()
        if all || feature == "schedule" {
            optimizer.schedule = PiecewiseConstantDecay(boundaries: [20, 40], values: [0.1, 0.05, 0.02])
        }
        model.compile(optimizer: optimizer, loss: .binaryCrossentropy)
        final class Probe: Callback {
            var atBatch10: UInt64 = 0
            var atBatch50: UInt64 = 0
            var penalty = 0.0
            let dense: Dense
            init(dense: Dense) { self.dense = dense }
            func onBatchEnd(_ batch: Int, logs: BatchLogs) {
                penalty = dense.regularizationPenalty  // as a model reporting it per batch would
                if batch == 10 { atBatch10 = allocation_counter_value() }
                if batch == 50 { atBatch50 = allocation_counter_value() }
            }
        }
        let probe = Probe(dense: model.layers[1] as! Dense)
        try model.fit(x, y, epochs: 1, batchSize: 32, callbacks: [probe], verbose: .silent)
        #expect(probe.atBatch10 > 0, "the allocation counter is not counting")
        #expect(probe.atBatch50 - probe.atBatch10 == 0, "\(probe.atBatch50 - probe.atBatch10) allocations in 40 steps")
        #expect((probe.penalty > 0) == (regularizer != nil))
    }
}
