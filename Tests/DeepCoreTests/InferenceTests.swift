@testable import DeepCore
import Testing

/// `predict` on a chain of `Dense` layers takes the layer-fused path (`ck_mlp_forward`);
/// it must agree with the layer-by-layer forward pass that every other model uses.
@Suite("Fused inference") struct InferenceTests {
    /// The seed model with non-zero biases (so the fused bias is exercised).
    static func seedModel() -> Sequential {
        let model = Sequential([
            Input(shape: [64]),
            Dense(units: 128, activation: .relu),
            Dense(units: 64, activation: .relu),
            Dense(units: 1, activation: .sigmoid),
        ], seed: 3)
        for (i, layer) in model.layers.compactMap({ $0 as? Dense }).enumerated() {
            layer.bias!.assign(Tensor.normal([layer.units], standardDeviation: 0.3, seed: UInt64(10 + i)))
        }
        return model
    }

    static func expectClose(_ got: Tensor, _ want: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, sourceLocation: sourceLocation)
        let worst = zip(got.scalars, want.scalars).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? 0
        #expect(worst <= 1e-5, "worst relative difference \(worst)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [1, 47, 1023, 1025])
    func seedModelMatchesLayerByLayer(rows: Int) throws {
        let model = Self.seedModel()
        #expect(model.denseChain() != nil)
        let x = Tensor.normal([rows, 64], seed: UInt64(rows))
        for batchSize in [1, 1023, 1024, 1025] {
            Self.expectClose(try model.predict(x, batchSize: batchSize),
                             model.predictLayerByLayer(x, batchSize: batchSize))
        }
    }

    @Test func everyActivationMatchesLayerByLayer() throws {
        let model = Sequential([
            Input(shape: [7]),
            Dense(units: 17, activation: .tanh),
            Dense(units: 5, usesBias: false),
            Dense(units: 33, activation: .sigmoid),
            Dense(units: 3, activation: .softmax),
        ], seed: 4)
        let x = Tensor.normal([97, 7], seed: 5)
        Self.expectClose(try model.predict(x), model.predictLayerByLayer(x, batchSize: 32))
    }

    /// A logit that overflows inside the network (∞ − ∞) stays NaN through the fused
    /// sigmoid, as through the layer-by-layer one, in every lane of the 8-row dot kernel.
    @Test func overflowInsideTheNetworkGivesNaNAsLayerByLayer() throws {
        let model = Sequential([
            Input(shape: [2]),
            Dense(units: 2, activation: .relu),
            Dense(units: 1, activation: .sigmoid),
        ], seed: 1)
        let dense = model.layers.compactMap { $0 as? Dense }
        let (hidden, out) = (dense[0], dense[1])
        hidden.kernel!.assign(Tensor(shape: [2, 2], scalars: [3e38, 3e38, 3e38, 3e38]))
        hidden.bias!.assign(Tensor(shape: [2], scalars: [0, 0]))
        out.kernel!.assign(Tensor(shape: [2, 1], scalars: [1, -1]))
        // Rows 0…8: large inputs overflow both hidden units to +∞ (∞ − ∞ = NaN); row 9 is 0.
        let x = Tensor(shape: [10, 2], scalars: (0..<10).flatMap { $0 < 9 ? [Float(1), 1] : [0, 0] })
        let fused = try model.predict(x), reference = model.predictLayerByLayer(x, batchSize: 4)
        #expect(fused.scalars.prefix(9).allSatisfy { $0.isNaN }, "\(fused.scalars)")
        #expect(reference.scalars.prefix(9).allSatisfy { $0.isNaN })
        #expect(fused.scalars[9] == 0.5 && reference.scalars[9] == 0.5)
    }

    /// A row's prediction does not depend on the rows predicted with it, nor on the batch size.
    @Test func rowAloneEqualsRowInBatch() throws {
        let model = Self.seedModel()
        let x = Tensor.normal([100, 64], seed: 6)
        let all = try model.predict(x)
        #expect(try model.predict(x, batchSize: 7) == all)
        for i in [0, 5, 47, 48, 99] {
            #expect(try model.predict(x.rows(i..<(i + 1))).scalars == [all.scalars[i]], "row \(i)")
        }
    }

    /// x is checked chunk by chunk as it is predicted; the error still names the first
    /// non-finite value, wherever it is.
    @Test(arguments: [(0, 0), (255, 63), (300, 5), (999, 1)])
    func nonFiniteInputIsReportedAtItsPosition(row: Int, column: Int) {
        let model = Self.seedModel()
        var values = Tensor.normal([1000, 64], seed: 8).scalars
        values[row * 64 + column] = .nan
        values[999 * 64 + 63] = .infinity
        do {
            _ = try model.predict(Tensor(shape: [1000, 64], scalars: values))
            Issue.record("expected an error")
        } catch let DeepCoreError.nonFiniteValue(name, r, c, _) {
            #expect(name == "prediction x" && r == row && c == column)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func otherLayersAndWideInputsUseTheLayerByLayerPath() {
        let dropout = Sequential([Input(shape: [4]), Dense(units: 3), Dropout(rate: 0.5), Dense(units: 1)])
        #expect(dropout.denseChain() == nil)
        let wide = Sequential([Input(shape: [Sequential.fusedInferenceMaxInputs + 1]), Dense(units: 2)])
        #expect(wide.denseChain() == nil)
    }
}
