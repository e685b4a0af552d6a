import Foundation
import Testing
@testable import EntertainmentRecs

/// A fitted model with a fixed score row per user (rows indexed by user id).
struct EvalFixedScoreModel: ScoringModel {
    var name = "fixed"
    let itemCount: Int
    let rows: [[Float]]

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        for (offset, user) in users.enumerated() {
            for j in 0..<itemCount { scores[offset * itemCount + j] = rows[Int(user)][j] }
        }
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        scores.update(repeating: 0)
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        scores.update(repeating: 0)
    }
}

/// A binary interaction matrix from each user's item list.
func evalMatrix(_ rows: [[Int32]], itemCount: Int) throws -> InteractionMatrix {
    let users = rows.enumerated().flatMap { u, items in items.map { _ in Int32(u) } }
    let items = rows.flatMap { $0 }
    return try InteractionMatrix(userCount: rows.count, itemCount: itemCount, users: users, items: items,
                                 weights: Array(repeating: 1, count: items.count))
}

func expectNear(_ got: Double, _ want: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(abs(got - want) <= 1e-12, "\(what): got \(got), want \(want)", sourceLocation: sourceLocation)
}

@Suite("Evaluation metrics") struct EvaluationMetricsTests {
    /// Six users, six items, K = 2, Recall@3. Per user (train, test, negatives, scores)
    /// and the hand-computed ranks (sampled, full) and top-2 candidates:
    /// - u0 ties (pessimistic): s(t)=5 ties item 2 and loses to 4 → (2, 2), top [4, 1]
    /// - u1 all scores equal → (3, 4), top [0, 1] (ties to the lower index)
    /// - u2 NaN test score = −∞, ties the NaN item 2 → (3, 3), top [4, 3]
    /// - u3 trains on 4 of 6 items, all scored 100 but masked → (1, 1), top [3, 4]
    /// - u4 test item has the lowest score of all → (3, 4), top [4, 3]
    /// - u5 no training items, NaN negatives → (0, 0), top [2, 3]
    static let nan = Float.nan
    static let train: [[Int32]] = [[0], [2], [0, 1], [0, 1, 2, 5], [5], []]
    static let test: [(user: Int32, item: Int32)] = [(0, 1), (1, 3), (2, 5), (3, 4), (4, 0), (5, 2)]
    static let negatives: [[Int32]] = [[2, 3, 4], [0, 1, 4], [2, 3, 4], [3], [1, 2, 3], [0, 1, 3]]
    static let scores: [[Float]] = [
        [9, 5, 5, 1, 7, 0],
        [1, 1, 1, 1, 1, 1],
        [0, 0, nan, -1, 3, nan],
        [100, 100, 100, 3, 2, 100],
        [-5, 1, 2, 3, 4, 9],
        [nan, 1, 4, 3, nan, 0],
    ]

    static func split() throws -> BenchmarkSplit {
        BenchmarkSplit(train: try evalMatrix(train, itemCount: 6), test: test, negatives: negatives)
    }

    @Test func ranksMatchHandComputedValues() throws {
        let model = EvalFixedScoreModel(itemCount: 6, rows: Self.scores)
        let outcomes = Evaluator(cutoff: 2, recallCutoff: 3, threadCount: 1).userOutcomes(model, on: try Self.split())
        #expect(outcomes.sampledRanks == [2, 3, 3, 1, 3, 0])
        #expect(outcomes.fullRanks == [2, 4, 3, 1, 4, 0])
        #expect(outcomes.topItems == [4, 1, 0, 1, 4, 3, 3, 4, 4, 3, 2, 3])
    }

    @Test func metricsMatchHandComputedValues() throws {
        let model = EvalFixedScoreModel(itemCount: 6, rows: Self.scores)
        let r = try Evaluator(cutoff: 2, recallCutoff: 3, threadCount: 1)
            .evaluate(model, on: try Self.split(), splitName: "test")
        #expect(r.users == 6 && r.cutoff == 2 && r.recallCutoff == 3 && r.model == "fixed" && r.split == "test")
        // Hits at K = 2 come from u3 (rank 1) and u5 (rank 0) under both protocols.
        expectNear(r.sampledHitRate, 2.0 / 6, "sampled hr@2")
        expectNear(r.sampledNDCG, (1 / log2(3.0) + 1) / 6, "sampled ndcg@2")
        expectNear(r.sampledMRR, (1.0 / 3 + 1.0 / 4 + 1.0 / 4 + 1.0 / 2 + 1.0 / 4 + 1) / 6, "sampled mrr")
        expectNear(r.fullHitRate, 2.0 / 6, "full hr@2")
        expectNear(r.fullNDCG, (1 / log2(3.0) + 1) / 6, "full ndcg@2")
        expectNear(r.fullRecall, 3.0 / 6, "full recall@3")  // u0 (rank 2) also hits at 3
        expectNear(r.fullMRR, (1.0 / 3 + 1.0 / 5 + 1.0 / 4 + 1.0 / 2 + 1.0 / 5 + 1) / 6, "full mrr")
        expectNear(r.fullCoverage, 5.0 / 6, "coverage@2")  // item 5 is in nobody's top 2
    }

    @Test func defaultCutoffsCoverEveryCandidate() throws {
        let model = EvalFixedScoreModel(itemCount: 6, rows: Self.scores)
        let r = try Evaluator().evaluate(model, on: try Self.split())
        #expect(r.cutoff == 10 && r.recallCutoff == 20)
        // Every rank is below 10, so HR is 1 and NDCG the mean of 1/log2(r + 2).
        expectNear(r.sampledHitRate, 1, "sampled hr@10")
        expectNear(r.fullRecall, 1, "recall@20")
        let full = [2, 4, 3, 1, 4, 0].reduce(0.0) { $0 + 1 / log2(Double($1) + 2) } / 6
        expectNear(r.fullNDCG, full, "full ndcg@10")
        expectNear(r.fullCoverage, 1, "coverage@10")
    }

    @Test func allEqualScoresGiveHitRateZero() throws {
        let model = EvalFixedScoreModel(itemCount: 6, rows: Array(repeating: Array(repeating: 0.5, count: 6), count: 6))
        let split = try Self.split()
        let r = try Evaluator(cutoff: 3, recallCutoff: 3).evaluate(model, on: split)
        let outcomes = Evaluator(cutoff: 3).userOutcomes(model, on: split)
        // Rank = number of other candidates: negatives, and 6 − |train| − 1 in full ranking.
        #expect(outcomes.sampledRanks == Self.negatives.map(\.count))
        #expect(outcomes.fullRanks == Self.train.map { 6 - $0.count - 1 })
        // u3 has only one other candidate (rank 1 < 3), everyone else has at least 3.
        expectNear(r.sampledHitRate, 1.0 / 6, "sampled hr@3")
        expectNear(r.fullHitRate, 1.0 / 6, "full hr@3")
        let allEqual = try Evaluator(cutoff: 1, recallCutoff: 1).evaluate(model, on: split)
        #expect(allEqual.sampledHitRate == 0 && allEqual.fullHitRate == 0 && allEqual.fullNDCG == 0)
        #expect(allEqual.fullRecall == 0)
    }

    @Test func nanEverywhereRanksLastLikeAllEqual() throws {
        let nanModel = EvalFixedScoreModel(itemCount: 6, rows: Array(repeating: Array(repeating: .nan, count: 6), count: 6))
        let flatModel = EvalFixedScoreModel(itemCount: 6, rows: Array(repeating: Array(repeating: -.infinity, count: 6), count: 6))
        let split = try Self.split()
        // Cutoff 1: every user has another candidate tied at −∞, so nobody hits.
        let evaluator = Evaluator(cutoff: 1, recallCutoff: 1)
        var nanResult = try evaluator.evaluate(nanModel, on: split)
        nanResult.model = "fixed"
        #expect(nanResult == (try evaluator.evaluate(flatModel, on: split)))
        #expect(nanResult.fullHitRate == 0 && nanResult.sampledHitRate == 0 && nanResult.fullRecall == 0)
    }

    @Test func userWhoseTrainingCoversAllButTheTestItemRanksFirst() throws {
        let split = BenchmarkSplit(train: try evalMatrix([[0, 1, 2, 4]], itemCount: 5), test: [(0, 3)], negatives: [[]])
        let model = EvalFixedScoreModel(itemCount: 5, rows: [[9, 9, 9, -1, 9]])
        let outcomes = Evaluator(cutoff: 2).userOutcomes(model, on: split)
        #expect(outcomes.sampledRanks == [0] && outcomes.fullRanks == [0])
        #expect(outcomes.topItems == [3, -1])  // one candidate only
        let r = try Evaluator(cutoff: 2).evaluate(model, on: split)
        #expect(r.fullHitRate == 1 && r.fullNDCG == 1 && r.fullMRR == 1 && r.sampledHitRate == 1)
        expectNear(r.fullCoverage, 1.0 / 5, "coverage")
    }

    @Test func itemsWithoutInteractionsAreCandidates() throws {
        // Item 3 has no interactions at all; it still outranks the test item.
        let split = BenchmarkSplit(train: try evalMatrix([[0], [1]], itemCount: 4), test: [(0, 2), (1, 2)],
                                   negatives: [[1], [0]])
        let model = EvalFixedScoreModel(itemCount: 4, rows: [[0, 0, 1, 2], [0, 0, 1, 2]])
        let outcomes = Evaluator(cutoff: 1).userOutcomes(model, on: split)
        #expect(outcomes.fullRanks == [1, 1] && outcomes.sampledRanks == [0, 0])
        #expect(outcomes.topItems == [3, 3])
    }

    @Test func badSplitsThrow() throws {
        let split = try Self.split()
        let model = EvalFixedScoreModel(itemCount: 6, rows: Self.scores)
        let evaluator = Evaluator()
        #expect(throws: RecommenderError.self) {  // model of another catalog
            try evaluator.evaluate(EvalFixedScoreModel(itemCount: 5, rows: Self.scores), on: split)
        }
        #expect(throws: RecommenderError.emptyData("the split has no held-out users to evaluate")) {
            try evaluator.evaluate(model, on: BenchmarkSplit(train: split.train, test: [], negatives: []))
        }
        #expect(throws: RecommenderError.self) {  // held-out item is a training item
            try evaluator.evaluate(model, on: BenchmarkSplit(train: split.train, test: [(0, 0)], negatives: [[2]]))
        }
        #expect(throws: RecommenderError.self) {  // item out of range
            try evaluator.evaluate(model, on: BenchmarkSplit(train: split.train, test: [(0, 6)], negatives: [[2]]))
        }
        #expect(throws: RecommenderError.self) {  // negative out of range
            try evaluator.evaluate(model, on: BenchmarkSplit(train: split.train, test: [(0, 1)], negatives: [[-1]]))
        }
        #expect(throws: RecommenderError.self) {  // negatives do not line up
            try evaluator.evaluate(model, on: BenchmarkSplit(train: split.train, test: [(0, 1)], negatives: []))
        }
        #expect(throws: RecommenderError.self) {  // user out of range
            try evaluator.evaluate(model, on: BenchmarkSplit(train: split.train, test: [(6, 1)], negatives: [[2]]))
        }
    }

    @Test func topKSelectorKeepsBestWithTiesToLowerIndex() {
        var selector = TopKSelector(capacity: 3)
        let offered: [Float] = [1, 3, 3, -Float.infinity, 5, 3, 0]
        for (item, score) in offered.enumerated() {
            selector.offer(item: Int32(item), score: score)
        }
        #expect(selector.count == 3 && Array(selector.items.prefix(3)) == [4, 1, 2])
        selector.reset()
        selector.offer(item: 0, score: -.infinity)
        #expect(selector.count == 1 && selector.items[0] == 0)
        var empty = TopKSelector(capacity: 0)
        empty.offer(item: 0, score: 1)
        #expect(empty.count == 0)
    }
}
