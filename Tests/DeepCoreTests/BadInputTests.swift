@testable import DeepCore
import Testing

@Suite("Bad input") struct BadInputTests {
    func model(outputs: Int = 1, activation: Activation = .sigmoid, loss: Loss = .binaryCrossentropy) -> Sequential {
        let m = Sequential([Input(shape: [3]), Dense(units: outputs, activation: activation)])
        m.compile(optimizer: Adam(), loss: loss, metrics: [.accuracy])
        return m
    }

    @Test func mismatchedShapesNameBothShapes() {
        let m = model()
        #expect(throws: DeepCoreError.shapeMismatch("training x has 4 features; the model takes 3")) {
            try m.fit(Tensor(zeros: [5, 4]), Tensor(zeros: [5, 1]), verbose: .silent)
        }
        #expect(throws: DeepCoreError.shapeMismatch("training x has 5 samples but y has shape [6, 1]")) {
            try m.fit(Tensor(zeros: [5, 3]), Tensor(zeros: [6, 1]), verbose: .silent)
        }
        #expect(throws: DeepCoreError.self) { try m.fit(Tensor(zeros: [5, 3]), Tensor(zeros: [5, 2]), verbose: .silent) }
        #expect(throws: DeepCoreError.self) { try m.fit(Tensor(zeros: [15]), Tensor(zeros: [5, 1]), verbose: .silent) }
        #expect(throws: DeepCoreError.self) { try m.predict(Tensor(zeros: [2, 2])) }
        #expect(throws: DeepCoreError.self) { try m.evaluate(Tensor(zeros: [2, 3]), Tensor(zeros: [3, 1])) }
    }

    @Test func nonFiniteDataNamesRowAndColumn() {
        let m = model()
        var x = Tensor(zeros: [4, 3])
        x[2, 1] = .nan
        do {
            try m.fit(x, Tensor(zeros: [4, 1]), verbose: .silent)
            Issue.record("NaN accepted")
        } catch let DeepCoreError.nonFiniteValue(name, row, column, value) {
            #expect(name == "training x" && row == 2 && column == 1 && value.isNaN)
        } catch { Issue.record("unexpected \(error)") }
        var y = Tensor(zeros: [4, 1])
        y[3, 0] = -.infinity
        #expect(throws: DeepCoreError.nonFiniteValue(name: "training y", row: 3, column: 0, value: -.infinity)) {
            try m.fit(Tensor(zeros: [4, 3]), y, verbose: .silent)
        }
        #expect(throws: DeepCoreError.self) { try m.predict(Tensor(shape: [1, 3], scalars: [0, .infinity, 0])) }
    }

    @Test func emptyDataAndBadArguments() {
        let m = model()
        #expect(throws: DeepCoreError.emptyData("training x has no samples (shape [0, 3])")) {
            try m.fit(Tensor(zeros: [0, 3]), Tensor(zeros: [0, 1]), verbose: .silent)
        }
        #expect(throws: DeepCoreError.invalidArgument("batch size must be at least 1, got 0")) {
            try m.fit(Tensor(zeros: [4, 3]), Tensor(zeros: [4, 1]), batchSize: 0, verbose: .silent)
        }
        #expect(throws: DeepCoreError.self) { try m.fit(Tensor(zeros: [4, 3]), Tensor(zeros: [4, 1]), validationSplit: 1.5, verbose: .silent) }
        #expect(throws: DeepCoreError.self) { try m.fit(Tensor(zeros: [4, 3]), Tensor(zeros: [4, 1]), validationSplit: 0.1, verbose: .silent) }
        #expect(throws: DeepCoreError.self) { try m.predict(Tensor(zeros: [3, 3]), batchSize: 0) }
        let uncompiled = Sequential([Input(shape: [3]), Dense(units: 1)])
        #expect(throws: DeepCoreError.self) { try uncompiled.fit(Tensor(zeros: [4, 3]), Tensor(zeros: [4, 1]), verbose: .silent) }
    }

    @Test func lossThatDoesNotFitTheOutput() {
        let m = model(outputs: 1, activation: .linear, loss: .sparseCategoricalCrossentropy)
        #expect(throws: DeepCoreError.incompatibleLoss(
            "sparse_categorical_crossentropy needs an output of at least 2 classes; the model outputs 1")) {
            try m.fit(Tensor(zeros: [4, 3]), Tensor(zeros: [4, 1]), verbose: .silent)
        }
        let classes = model(outputs: 3, activation: .softmax, loss: .sparseCategoricalCrossentropy)
        #expect(throws: DeepCoreError.incompatibleLoss(
            "training y row 1 holds 3.0; sparse_categorical_crossentropy needs a class index in 0..<3")) {
            try classes.fit(Tensor(zeros: [2, 3]), Tensor([0, 3]), verbose: .silent)
        }
        let onehot = model(outputs: 3, activation: .softmax, loss: .categoricalCrossentropy)
        #expect(throws: DeepCoreError.self) { try onehot.fit(Tensor(zeros: [2, 3]), Tensor([0, 1]), verbose: .silent) }
    }

    @Test func divergingLossStopsWithEpochAndBatchAndKeepsFiniteWeights() throws {
        // A huge learning rate on a regression blows the weights up within a few steps.
        let x = Tensor.normal([64, 3], standardDeviation: 10, seed: 1)
        let y = Tensor.normal([64, 1], standardDeviation: 1000, seed: 2)
        let m = Sequential([Input(shape: [3]), Dense(units: 8, activation: .relu), Dense(units: 1)])
        m.compile(optimizer: SGD(learningRate: 1e6), loss: .meanSquaredError)
        var lastGood: [Float] = []
        let watch = LambdaCallback(onBatchEnd: { _, _ in lastGood = m.parameters.flatMap { $0.tensor.scalars } })
        do {
            try m.fit(x, y, epochs: 20, batchSize: 8, shuffle: false, callbacks: [watch], verbose: .silent)
            Issue.record("training should have diverged")
        } catch let DeepCoreError.trainingDiverged(epoch, batch, _) {
            #expect(epoch >= 0 && batch >= 0 && batch < 8)
            let now = m.parameters.flatMap { $0.tensor.scalars }
            #expect(now == lastGood, "weights changed after the last good batch")
            #expect(now.allSatisfy { $0.isFinite })
        }
    }
}
