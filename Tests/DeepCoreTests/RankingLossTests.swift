@testable import DeepCore
import Foundation
import Testing

@Suite("Ranking losses") struct RankingLossTests {
    /// Loss and gradient of both ranking losses against central differences of a Double
    /// formula written from the definitions.
    @Test func bprGradientMatchesFiniteDifferences() {
        let scores: [Float] = [2.0, -1.0, 0.3, 0.7, -4.0, 5.0]
        func reference(_ s: [Double]) -> Double {
            var sum = 0.0
            for p in 0..<(s.count / 2) { sum += Foundation.log(1 + Foundation.exp(s[2 * p + 1] - s[2 * p])) }
            return sum / Double(s.count / 2)
        }
        let (out, outP) = view(scores), (grad, gradP) = view(scores.map { _ in 0 }), (prob, probP) = view(scores.map { _ in 0 })
        defer { outP.deallocate(); gradP.deallocate(); probP.deallocate() }
        let loss = LossEvaluator.bpr(output: out, gradient: grad, probabilities: prob)
        let s = scores.map(Double.init)
        #expect(abs(loss - reference(s)) < 1e-6)
        for i in s.indices {
            var plus = s, minus = s
            plus[i] += 1e-6; minus[i] -= 1e-6
            let numeric = (reference(plus) - reference(minus)) / 2e-6
            #expect(abs(numeric - Double(gradP[i])) < 1e-5, "score \(i): \(numeric) vs \(gradP[i])")
        }
        #expect(abs(probP[5] - 1 / (1 + expf(-5))) < 1e-6)
    }

    @Test func inBatchSoftmaxGradientMatchesFiniteDifferences() {
        let b = 5, d = 3, tau: Float = 0.5
        var rng = SeededGenerator(seed: 12)
        let values = (0..<(b * 2 * d)).map { _ in rng.nextFloat(in: -1...1) }
        func reference(_ x: [Double]) -> Double {
            var total = 0.0
            for r in 0..<b {
                var logits: [Double] = []
                for c in 0..<b {
                    var dot = 0.0
                    for k in 0..<d { dot += x[r * 2 * d + k] * x[c * 2 * d + d + k] }
                    logits.append(dot / Double(tau))
                }
                let m = logits.max()!
                var sum = 0.0
                for z in logits { sum += Foundation.exp(z - m) }
                total += Foundation.log(sum) + m - logits[r]
            }
            return total / Double(b)
        }
        let (out, outP) = view(values, rows: b), (grad, gradP) = view(values.map { _ in 0 }, rows: b)
        defer { outP.deallocate(); gradP.deallocate() }
        let loss = RankingScratch().inBatchSoftmax(output: out, gradient: grad, temperature: tau)
        let x = values.map(Double.init)
        #expect(abs(loss - reference(x)) < 1e-5)
        var worst = 0.0
        for i in x.indices {
            var plus = x, minus = x
            plus[i] += 1e-6; minus[i] -= 1e-6
            worst = max(worst, abs((reference(plus) - reference(minus)) / 2e-6 - Double(gradP[i])))
        }
        #expect(worst < 1e-5, "worst gradient error \(worst)")
    }

    /// Known answer: scores from one Dense layer over one-hot items; BPR must rank each
    /// user's positive item above its negative (users fixed: item 0 > item 1 > item 2).
    @Test func bprTrainsARankingAndShufflesWholePairs() throws {
        // Pairs (positive, negative) of one-hot items: 0 beats 1 and 2, 1 beats 2.
        let pairs: [(Int, Int)] = [(0, 1), (0, 2), (1, 2)]
        var rows: [[Float]] = [], labels: [Float] = []
        for _ in 0..<40 { for (p, n) in pairs { rows.append(oneHot(p)); rows.append(oneHot(n)); labels += [1, 0] } }
        let model = Sequential([Input(shape: [3]), Dense(units: 1, usesBias: false)], seed: 1)
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .bpr)
        let history = try model.fit(Tensor(rows), Tensor(labels), epochs: 20, batchSize: 8, verbose: .silent)
        #expect(history["loss"].last! < history["loss"].first!)
        let w = model.parameters[0].tensor.scalars
        #expect(w[0] > w[1] && w[1] > w[2], "\(w)")
        // Odd counts are refused: pairs would break.
        #expect(throws: DeepCoreError.self) { try model.fit(Tensor(Array(rows.prefix(5))), Tensor(Array(labels.prefix(5))), verbose: .silent) }
        #expect(throws: DeepCoreError.self) { try model.fit(Tensor(rows), Tensor(labels), batchSize: 7, verbose: .silent) }
        // A model with two outputs cannot take BPR.
        let wide = Sequential([Input(shape: [3]), Dense(units: 2)])
        wide.compile(optimizer: Adam(), loss: .bpr)
        #expect(throws: DeepCoreError.self) { try wide.fit(Tensor(rows), Tensor(labels), verbose: .silent) }
    }

    func oneHot(_ i: Int) -> [Float] { (0..<3).map { $0 == i ? 1 : 0 } }

    func view(_ values: [Float], rows: Int? = nil) -> (MatrixView, UnsafeMutablePointer<Float>) {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        let r = rows ?? values.count
        return (MatrixView(base: p, rows: r, columns: values.count / r), p)
    }
}
