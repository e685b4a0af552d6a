@testable import DeepCore
import Testing

@Suite("Layers and summary") struct LayerTests {
    @Test func denseWithHandSetWeightsComputesByHand() throws {
        let model = Sequential([Input(shape: [2]), Dense(units: 3, activation: .relu)])
        let dense = model.layers[1] as! Dense
        dense.kernel!.assign(Tensor([[1, -1, 0.5], [2, 1, -1]]))
        dense.bias!.assign(Tensor([0.5, 0, -3]))
        let y = try model.predict(Tensor([[1, 2], [-1, 1]]))
        // Row 1: [1+4+0.5, -1+2+0, 0.5-2-3] → relu → [5.5, 1, 0]
        // Row 2: [-1+2+0.5, 1+1+0, -0.5-1-3] → relu → [1.5, 2, 0]
        #expect(y.scalars == [5.5, 1, 0, 1.5, 2, 0])
    }

    @Test func glorotUniformInitialisationAndZeroBias() {
        let model = Sequential([Input(shape: [64]), Dense(units: 128)], seed: 1)
        let dense = model.layers[1] as! Dense
        let limit = (6.0 / Float(64 + 128)).squareRoot()
        let w = dense.kernel!.tensor.scalars
        #expect(w.allSatisfy { abs($0) <= limit })
        #expect(w.max()! > 0.9 * limit && w.min()! < -0.9 * limit)
        #expect(dense.bias!.tensor.scalars.allSatisfy { $0 == 0 })
    }

    @Test func seedModelSummaryMatchesKeras() {
        let model = Sequential([
            Input(shape: [64]),
            Dense(units: 128, activation: .relu),
            Dense(units: 64, activation: .relu),
            Dense(units: 1, activation: .sigmoid),
        ])
        #expect(model.parameterCount == 64 * 128 + 128 + 128 * 64 + 64 + 64 + 1)
        let text = model.summaryDescription
        #expect(text.contains("dense (Dense)") && text.contains("dense_2 (Dense)"))
        #expect(text.contains("(None, 128)") && text.contains("(None, 1)"))
        #expect(text.contains("8,320") && text.contains("8,256") && text.contains("65"))
        #expect(text.contains("Total params: 16,641 (65.00 KB)"))
    }

    @Test func unbuiltModelBuildsOnFirstFit() throws {
        let model = Sequential([Dense(units: 4, activation: .tanh), Dense(units: 1)])
        #expect(!model.isBuilt)
        model.compile(optimizer: SGD(), loss: .meanSquaredError)
        try model.fit(Tensor.normal([8, 3], seed: 1), Tensor(zeros: [8, 1]), epochs: 1, verbose: .silent)
        #expect(model.isBuilt && model.parameterCount == 3 * 4 + 4 + 4 + 1)
    }

    @Test func activationLayerMatchesFusedActivation() throws {
        let x = Tensor.normal([5, 3], seed: 2)
        let fused = Sequential([Input(shape: [3]), Dense(units: 4, activation: .tanh)], seed: 9)
        let split = Sequential([Input(shape: [3]), Dense(units: 4), ActivationLayer(.tanh)], seed: 9)
        #expect(try fused.predict(x) == split.predict(x))
    }
}
