import Foundation
import Testing
@testable import EntertainmentRecs

/// A random split with many ties and some NaN scores, and a model scoring it.
func evalRandomCase(users: Int, items: Int, seed: UInt64) throws -> (EvalFixedScoreModel, BenchmarkSplit) {
    var rng = TestRNG(seed)
    var train: [[Int32]] = []
    var test: [(user: Int32, item: Int32)] = []
    var negatives: [[Int32]] = []
    var rows: [[Float]] = []
    for u in 0..<users {
        var shuffled = (0..<Int32(items)).shuffled(using: &rng)
        let trainCount = Int.random(in: 0...(items - 2), using: &rng)
        let held = shuffled.removeLast()
        train.append(Array(shuffled.prefix(trainCount)).sorted())
        test.append((Int32(u), held))
        negatives.append(Array(shuffled.dropFirst(trainCount).prefix(5)))
        rows.append((0..<items).map { _ in
            Int.random(in: 0..<20, using: &rng) == 0 ? .nan : Float(Int.random(in: 0..<6, using: &rng))
        })
    }
    let split = BenchmarkSplit(train: try evalMatrix(train, itemCount: items), test: test, negatives: negatives)
    return (EvalFixedScoreModel(itemCount: items, rows: rows), split)
}

@Suite("Evaluation in parallel") struct EvaluationParallelTests {
    @Test func parallelEqualsSerialExactly() throws {
        let (model, split) = try evalRandomCase(users: 301, items: 40, seed: 7)
        let serial = try Evaluator(blockSize: 256, threadCount: 1).evaluate(model, on: split)
        for (blockSize, threads) in [(1, 4), (7, 2), (7, 3), (64, 8), (256, 4)] {
            let parallel = try Evaluator(blockSize: blockSize, threadCount: threads).evaluate(model, on: split)
            #expect(parallel == serial, "blockSize \(blockSize), threads \(threads)")
        }
        let again = Evaluator(blockSize: 7, threadCount: 3).userOutcomes(model, on: split)
        #expect(again == Evaluator(blockSize: 256, threadCount: 1).userOutcomes(model, on: split))
    }

    /// Ranks and top-K by the README's definitions, written as plainly as possible.
    @Test func blockedRanksMatchTheDefinition() throws {
        let (model, split) = try evalRandomCase(users: 120, items: 30, seed: 11)
        let k = 4
        let outcomes = Evaluator(cutoff: k, blockSize: 9, threadCount: 2).userOutcomes(model, on: split)
        func key(_ s: Float) -> Float { s.isNaN ? -.infinity : s }
        for (position, pair) in split.test.enumerated() {
            let s = model.rows[Int(pair.user)].map(key)
            let t = Int(pair.item)
            let sampled = split.negatives[position].filter { s[Int($0)] >= s[t] }.count
            let trained = Set(split.train.items(ofUser: Int(pair.user)).map(Int.init))
            let candidates = (0..<30).filter { !trained.contains($0) }
            let full = candidates.filter { $0 != t && s[$0] >= s[t] }.count
            let top = candidates.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }.prefix(k).map(Int32.init)
            #expect(outcomes.sampledRanks[position] == sampled, "user \(pair.user) sampled")
            #expect(outcomes.fullRanks[position] == full, "user \(pair.user) full")
            let got = outcomes.topItems[(position * k)..<(position * k + k)].filter { $0 >= 0 }
            #expect(Array(got) == top, "user \(pair.user) top-\(k)")
        }
    }
}
