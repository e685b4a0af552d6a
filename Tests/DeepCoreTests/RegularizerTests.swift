@testable import DeepCore
import Foundation
import Testing

@Suite("Regularizers") struct RegularizerTests {
    @Test func penaltyAndGradientByHand() {
        let w: [Float] = [1, -2, 0, 0.5]
        // Σ|w| = 3.5, Σw² = 5.25.
        #expect(abs(Regularizer.l1(0.1).penalty(values: w, count: 4) - 0.35) < 1e-7)
        #expect(abs(Regularizer.l2(0.01).penalty(values: w, count: 4) - 0.0525) < 1e-8)
        #expect(abs(Regularizer.l1l2(l1: 0.1, l2: 0.01).penalty(values: w, count: 4) - 0.4025) < 1e-7)
        #expect(Regularizer.l2().l2 == 0.01 && Regularizer.l1().l1 == 0.01)  // Keras' defaults

        var g: [Float] = [1, 1, 1, 1]
        Regularizer.l1l2(l1: 0.1, l2: 0.01).addGradient(values: w, gradient: &g, count: 4)
        // += l1·sign(w) + 2·l2·w = [0.12, −0.14, 0 (sign 0 = 0), 0.11]
        let expected: [Float] = [1.12, 0.86, 1, 1.11]
        for i in 0..<4 { #expect(abs(g[i] - expected[i]) < 1e-6, "element \(i): \(g[i])") }
        var g2: [Float] = [0, 0, 0, 0]
        Regularizer.l2(0.5).addGradient(values: w, gradient: &g2, count: 4)
        #expect(g2 == [1, -2, 0, 0.5])
        #expect(Regularizer.l2(0.5).description == "L2(0.5)")
    }

    @Test func denseReportsItsPenalty() throws {
        let unbuilt = Dense(units: 2, kernelRegularizer: .l2(0.1))
        #expect(unbuilt.regularizationPenalty == 0)
        let model = Sequential([Input(shape: [2]), unbuilt, Dense(units: 1)])
        unbuilt.kernel!.assign(Tensor([[1, -1], [2, 0.5]]))
        #expect(abs(unbuilt.regularizationPenalty - 0.1 * 6.25) < 1e-7)
        #expect((model.layers[2] as! Dense).regularizationPenalty == 0)
    }

    /// The kernels' gradients with regularizers against central differences of
    /// (data loss + penalties), with the Double reference of the gradient checks.
    @Test func gradientMatchesFiniteDifferencesOfLossPlusPenalty() throws {
        let inputs = 3, batch = 6
        let first = Dense(units: 4, activation: .tanh, kernelRegularizer: .l1l2(l1: 0.01, l2: 0.05))
        let last = Dense(units: 1, activation: .sigmoid, kernelRegularizer: .l2(0.1))
        let model = Sequential([Input(shape: [inputs]), first, last], seed: 13)
        model.compile(optimizer: SGD(), loss: .binaryCrossentropy)
        for p in model.parameters where p.name == "bias" {
            p.assign(Tensor.uniform(p.shape, in: -0.3...0.3, seed: 5))
        }
        let x = Tensor.normal([batch, inputs], seed: 3)
        let y = Tensor(shape: [batch, 1], scalars: [1, 0, 0, 1, 1, 0])
        _ = try model.lossAndGradients(x, y)

        let params = model.parameters  // kernel 0, bias 0, kernel 1, bias 1
        let regularizers: [Regularizer?] = [first.kernelRegularizer, nil, last.kernelRegularizer, nil]
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        #expect(theta[0].allSatisfy { abs($0) > 1e-3 }, "L1 is not differentiable at 0")
        let xs = (0..<batch).map { r in (0..<inputs).map { Double(x[r, $0]) } }
        let ys = (0..<batch).map { [Double(y[$0, 0])] }
        func penalty(_ t: [[Double]]) -> Double {
            zip(t, regularizers).reduce(0.0) { sum, pair in
                guard let r = pair.1 else { return sum }
                return sum + pair.0.reduce(0.0) { $0 + Double(r.l1) * abs($1) + Double(r.l2) * $1 * $1 }
            }
        }
        let f = { (t: [[Double]]) in Reference.loss(.binaryCrossentropy, Reference.forward(model, t, xs), ys) + penalty(t) }
        #expect(abs(first.regularizationPenalty + last.regularizationPenalty - penalty(theta)) < 1e-6)

        let (rel, worst) = Reference.normwiseGradientError(params, theta, f)
        #expect(rel <= 1e-4, "normwise error \(rel); worst parameter \(worst.0) index \(worst.1)")
    }

    @Test func strongL2ShrinksTheKernel() throws {
        let (x, y) = hyperplaneData(samples: 1_000, features: 8, seed: 41)
        func kernelSquareSum(_ regularizer: Regularizer?) throws -> Double {
            let hidden = Dense(units: 16, activation: .relu, kernelRegularizer: regularizer)
            let model = Sequential([Input(shape: [8]), hidden, Dense(units: 1, activation: .sigmoid)], seed: 4)
            model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy)
            try model.fit(x, y, epochs: 5, batchSize: 32, verbose: .silent)
            return hidden.kernel!.tensor.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
        }
        let plain = try kernelSquareSum(nil), shrunk = try kernelSquareSum(.l2(0.1))
        #expect(shrunk < 0.5 * plain, "Σw² \(shrunk) with L2 vs \(plain) without")
    }

    @Test func twoThreadsAddThePenaltyGradientOnce() throws {
        let (x, y) = hyperplaneData(samples: 256, features: 16, seed: 21)
        func weightsAfterOneStep(threads: Int) throws -> [Float] {
            let model = Sequential([Input(shape: [16]),
                                    Dense(units: 32, activation: .relu, kernelRegularizer: .l1l2(l1: 0.01, l2: 0.1)),
                                    Dense(units: 1, activation: .sigmoid, kernelRegularizer: .l2(0.2))], seed: 5)
            model.compile(optimizer: SGD(learningRate: 0.5), loss: .binaryCrossentropy)
            model.threads = threads
            try model.fit(x, y, epochs: 1, batchSize: 256, shuffle: false, verbose: .silent)
            return model.parameters.flatMap { $0.tensor.scalars }
        }
        let one = try weightsAfterOneStep(threads: 1), two = try weightsAfterOneStep(threads: 2)
        for i in one.indices {
            #expect(abs(one[i] - two[i]) <= 1e-5 * max(1, abs(one[i])), "weight \(i): \(one[i]) vs \(two[i])")
        }
    }
}
