@testable import DeepCore
import Foundation
import Testing

/// A Double mirror of a Sequential made of Dense and ActivationLayer layers, and of each
/// loss, written from the formulas: the reference for the gradient checks.
enum Reference {
    static func activate(_ v: [Double], _ act: Activation) -> [Double] {
        switch act {
        case .linear: v
        case .relu: v.map { max($0, 0) }
        case .sigmoid: v.map { 1 / (1 + exp(-$0)) }
        case .tanh: v.map { Foundation.tanh($0) }
        case .softmax:
            { let m = v.max()!; let e = v.map { exp($0 - m) }; let s = e.reduce(0, +); return e.map { $0 / s } }()
        }
    }

    /// The model's output rows for `x`, with parameters `theta` (one array per Parameter).
    static func forward(_ model: Sequential, _ theta: [[Double]], _ x: [[Double]]) -> [[Double]] {
        var p = 0
        var rows = x
        for layer in model.steps {
            if let d = layer as? Dense {
                let w = theta[p], b = d.usesBias ? theta[p + 1] : nil
                p += d.usesBias ? 2 : 1
                let inputs = rows[0].count
                rows = rows.map { r in
                    let z = (0..<d.units).map { j in (0..<inputs).reduce(b?[j] ?? 0) { $0 + r[$1] * w[$1 * d.units + j] } }
                    return activate(z, d.activation)
                }
            } else if let a = layer as? ActivationLayer {
                rows = rows.map { activate($0, a.activation) }
            }
        }
        return rows
    }

    /// The normwise error ‖analytic − numeric‖ / ‖numeric‖ of the parameters' gradients
    /// against central differences (step `h`) of `f` at `theta`, and where it is worst
    /// (parameter, index, absolute error).
    static func normwiseGradientError(_ params: [Parameter], _ theta: [[Double]], h: Double = 1e-5,
                                      _ f: ([[Double]]) -> Double) -> (relative: Double, worst: (Int, Int, Double)) {
        var theta = theta
        var num = 0.0, den = 0.0, worst = (0, 0, 0.0)
        for (pi, p) in params.enumerated() {
            let g = UnsafeBufferPointer(start: p.gradient!, count: p.count)
            for j in 0..<p.count {
                let saved = theta[pi][j]
                theta[pi][j] = saved + h
                let up = f(theta)
                theta[pi][j] = saved - h
                let down = f(theta)
                theta[pi][j] = saved
                let numeric = (up - down) / (2 * h)
                let d = abs(Double(g[j]) - numeric)
                num += d * d
                den += numeric * numeric
                if d > worst.2 { worst = (pi, j, d) }
            }
        }
        return (num.squareRoot() / max(den.squareRoot(), 1e-12), worst)
    }

    static func loss(_ loss: Loss, _ out: [[Double]], _ y: [[Double]]) -> Double {
        let n = Double(out.count)
        let sig = { (z: Double) in 1 / (1 + exp(-z)) }
        switch loss.kind {
        case .bpr:
            let pairs = out.count / 2
            var sum = 0.0
            for p in 0..<pairs {
                let d: Double = out[2 * p][0] - out[2 * p + 1][0]
                sum += Foundation.log(1 + Foundation.exp(-d))
            }
            return sum / Double(pairs)
        case .inBatchSoftmax(let tau):
            let d = out[0].count / 2
            var total = 0.0
            for r in out.indices {
                var logits: [Double] = []
                for c in out.indices {
                    var dot = 0.0
                    for k in 0..<d { dot += out[r][k] * out[c][d + k] }
                    logits.append(dot / Double(tau))
                }
                let m = logits.max()!
                var sum = 0.0
                for z in logits { sum += Foundation.exp(z - m) }
                total += Foundation.log(sum) + m - logits[r]
            }
            return total / n
        case .meanSquaredError:
            var sum = 0.0
            for (o, t) in zip(out.flatMap { $0 }, y.flatMap { $0 }) { sum += (o - t) * (o - t) }
            return sum / (n * Double(out[0].count))
        case .binaryCrossentropy(let logits):
            let all = zip(out.flatMap { $0 }, y.flatMap { $0 }).map { o, t in
                let p = logits ? sig(o) : o
                return -(t * log(p) + (1 - t) * log(1 - p))
            }
            return all.reduce(0, +) / Double(all.count)
        case .categoricalCrossentropy(let logits), .sparseCategoricalCrossentropy(let logits):
            var total = 0.0
            for (o, t) in zip(out, y) {
                let p = logits ? activate(o, .softmax) : o
                let target = loss.isSparse ? (0..<o.count).map { $0 == Int(t[0]) ? 1.0 : 0 } : t
                total -= zip(p, target).map { $1 * log($0) }.reduce(0, +)
            }
            return total / n
        }
    }
}

struct GradientCase: Sendable, CustomTestStringConvertible {
    let name: String
    let make: @Sendable () -> [any Layer]
    let loss: Loss
    let outputs: Int
    var testDescription: String { name }
}

let gradientCases: [GradientCase] = [
    GradientCase(name: "relu→tanh→sigmoid, BCE (fused)", make: {
        [Dense(units: 4, activation: .relu), Dense(units: 3, activation: .tanh), Dense(units: 1, activation: .sigmoid)]
    }, loss: .binaryCrossentropy, outputs: 1),
    GradientCase(name: "sigmoid→linear, MSE", make: {
        [Dense(units: 4, activation: .sigmoid), Dense(units: 2)]
    }, loss: .meanSquaredError, outputs: 2),
    GradientCase(name: "tanh→Activation(relu)→softmax, CCE (fused)", make: {
        [Dense(units: 5, activation: .tanh), ActivationLayer(.relu), Dense(units: 3, activation: .softmax)]
    }, loss: .categoricalCrossentropy, outputs: 3),
    GradientCase(name: "linear→Activation(sigmoid)→softmax, sparse CCE (fused)", make: {
        [Dense(units: 4), ActivationLayer(.sigmoid), Dense(units: 3, activation: .softmax)]
    }, loss: .sparseCategoricalCrossentropy, outputs: 3),
    GradientCase(name: "linear, BCE from logits", make: { [Dense(units: 3)] },
                 loss: .binaryCrossentropy(fromLogits: true), outputs: 3),
    GradientCase(name: "relu→sigmoid, MSE (sigmoid backward)", make: {
        [Dense(units: 3, activation: .relu), Dense(units: 1, activation: .sigmoid)]
    }, loss: .meanSquaredError, outputs: 1),
    GradientCase(name: "tanh→softmax, MSE (softmax backward)", make: {
        [Dense(units: 4, activation: .tanh), Dense(units: 3, activation: .softmax)]
    }, loss: .meanSquaredError, outputs: 3),
    GradientCase(name: "softmax, BCE on probabilities", make: { [Dense(units: 2, activation: .softmax)] },
                 loss: .binaryCrossentropy, outputs: 2),
    GradientCase(name: "sigmoid, CCE on probabilities", make: { [Dense(units: 3, activation: .sigmoid)] },
                 loss: .categoricalCrossentropy, outputs: 3),
    GradientCase(name: "linear→Activation(tanh)→no-bias linear, CCE from logits", make: {
        [Dense(units: 4), ActivationLayer(.tanh), Dense(units: 3, usesBias: false)]
    }, loss: .categoricalCrossentropy(fromLogits: true), outputs: 3),
    GradientCase(name: "relu→linear(1), BPR over row pairs", make: {
        [Dense(units: 4, activation: .relu), Dense(units: 1)]
    }, loss: .bpr, outputs: 1),
    GradientCase(name: "tanh→linear(2·2), in-batch softmax τ = 0.5", make: {
        [Dense(units: 4, activation: .tanh), Dense(units: 4)]
    }, loss: .inBatchSoftmax(temperature: 0.5), outputs: 4),
]

@Suite("Gradient checks") struct GradientCheckTests {
    /// Every layer's and loss's backward pass against central differences (h = 1e-5) of
    /// the Double reference forward, with the model's own weights.
    @Test(arguments: gradientCases)
    func backwardMatchesFiniteDifferences(c: GradientCase) throws {
        let inputs = 3, batch = 5
        let model = Sequential([Input(shape: [inputs])] + c.make(), seed: 11)
        model.compile(optimizer: SGD(), loss: c.loss)
        // Non-zero biases so every path is exercised.
        for p in model.parameters where p.name == "bias" {
            p.assign(Tensor.uniform(p.shape, in: -0.3...0.3, seed: 5))
        }
        let x = Tensor.normal([batch, inputs], seed: 3)
        var rng = SeededGenerator(seed: 4)
        let y: Tensor
        switch c.loss.kind {
        case .bpr, .inBatchSoftmax:
            y = Tensor(zeros: [batch, 1])
        case .sparseCategoricalCrossentropy:
            y = Tensor(shape: [batch, 1], scalars: (0..<batch).map { _ in Float(rng.nextIndex(below: c.outputs)) })
        case .categoricalCrossentropy:
            var t = [Float](repeating: 0, count: batch * c.outputs)
            for r in 0..<batch { t[r * c.outputs + rng.nextIndex(below: c.outputs)] = 1 }
            y = Tensor(shape: [batch, c.outputs], scalars: t)
        case .binaryCrossentropy:
            y = Tensor(shape: [batch, c.outputs], scalars: (0..<batch * c.outputs).map { _ in rng.nextUnitFloat() > 0.5 ? 1 : 0 })
        case .meanSquaredError:
            y = Tensor.normal([batch, c.outputs], seed: 6)
        }
        let lossValue = try model.lossAndGradients(x, y)

        let params = model.parameters
        let theta = params.map { $0.tensor.scalars.map(Double.init) }
        let xs = (0..<batch).map { r in (0..<inputs).map { Double(x[r, $0]) } }
        let ys = (0..<batch).map { r in (0..<y.shape[1]).map { Double(y[r, $0]) } }
        let f = { (t: [[Double]]) in Reference.loss(c.loss, Reference.forward(model, t, xs), ys) }
        #expect(abs(lossValue - f(theta)) <= 1e-5 * max(1, abs(f(theta))), "loss value")

        let (rel, worst) = Reference.normwiseGradientError(params, theta, h: 1e-5, f)
        #expect(rel <= 1e-4, "normwise error \(rel); worst: parameter \(worst.0), index \(worst.1), |analytic − numeric| \(worst.2)")
    }
}
