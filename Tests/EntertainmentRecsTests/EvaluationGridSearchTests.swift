import Foundation
import Testing
@testable import EntertainmentRecs

/// An algorithm whose model gives every user the same fixed item scores.
struct EvalFixedAlgorithm: RecommenderAlgorithm {
    let name: String
    let itemScores: [Float]
    var description: String { "\(name)(\(itemScores.map { String(Int($0)) }.joined(separator: ",")))" }

    func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        EvalFixedScoreModel(name: name, itemCount: matrix.itemCount,
                            rows: Array(repeating: itemScores, count: matrix.userCount))
    }
}

/// An algorithm that cannot learn anything.
struct EvalFailingAlgorithm: RecommenderAlgorithm {
    var name: String { "failing" }
    var description: String { "failing" }
    func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel { throw RecommenderError.emptyData("nothing") }
}

@Suite("Evaluation grid search") struct EvaluationGridSearchTests {
    /// Five items, three users. Validation holds out item 1 (train {0, 3}, negatives
    /// {2, 4}); test holds out item 2 (train {0, 1, 3}, negative {4}).
    static func dataset() throws -> BenchmarkDataset {
        let validation = BenchmarkSplit(train: try evalMatrix(Array(repeating: [0, 3], count: 3), itemCount: 5),
                                        test: (0..<3).map { (Int32($0), 1) },
                                        negatives: Array(repeating: [2, 4], count: 3))
        let test = BenchmarkSplit(train: try evalMatrix(Array(repeating: [0, 1, 3], count: 3), itemCount: 5),
                                  test: (0..<3).map { (Int32($0), 2) },
                                  negatives: Array(repeating: [4], count: 3))
        let items = (0..<5).map { BenchmarkItem(id: Int32($0), originalID: "\($0)", name: "item \($0)", genres: []) }
        return BenchmarkDataset(name: "tiny", test: test, validation: validation, items: items)
    }

    // Favouring item 2 is best on test (rank 0) but worst on validation (rank 2);
    // favouring item 1 wins validation (rank 0) and ranks 1 on test.
    static let favoursTest = EvalFixedAlgorithm(name: "b", itemScores: [0, 1, 10, 0, 5])
    static let favoursValidation = EvalFixedAlgorithm(name: "a", itemScores: [0, 10, 1, 0, 5])

    @Test func choosesTheBestOnValidationNotOnTest() throws {
        let dataset = try Self.dataset()
        let search = try GridSearch().run([Self.favoursTest, Self.favoursValidation], on: dataset)
        #expect(search.target == .fullNDCG && search.bestIndex == 1 && search.best.name == "a")
        #expect(search.trials.map(\.validation.fullNDCG) == [1 / log2(4.0), 1])
        #expect(search.trials.allSatisfy { $0.validation.split == "valid" && $0.validation.users == 3 })
        #expect(search.bestValidation.model == Self.favoursValidation.description)
        #expect(search.test.split == "test" && search.test.model == Self.favoursValidation.description)
        expectNear(search.test.fullNDCG, 1 / log2(3.0), "chosen model's test ndcg")
        // The rejected candidate would have scored higher on test: test played no part.
        let rejected = try Evaluator().evaluate(try Self.favoursTest.fit(dataset.test.train), on: dataset.test)
        #expect(rejected.fullNDCG == 1 && rejected.fullNDCG > search.test.fullNDCG)
    }

    @Test func targetMetricAndTiesAreRespected() throws {
        let dataset = try Self.dataset()
        // Coverage@1: both candidates put one item first for every user, a tie → first wins.
        let byCoverage = try GridSearch(evaluator: Evaluator(cutoff: 1), target: .fullCoverage)
            .run([Self.favoursTest, Self.favoursValidation], on: dataset)
        #expect(byCoverage.bestIndex == 0)
        let byHit = try GridSearch(evaluator: Evaluator(cutoff: 1), target: .sampledHitRate)
            .run([Self.favoursTest, Self.favoursValidation], on: dataset)
        #expect(byHit.bestIndex == 1 && byHit.test.cutoff == 1)
    }

    @Test func errorsPropagate() throws {
        let dataset = try Self.dataset()
        #expect(throws: RecommenderError.self) { try GridSearch().run([], on: dataset) }
        #expect(throws: RecommenderError.emptyData("nothing")) {
            try GridSearch().run([Self.favoursValidation, EvalFailingAlgorithm()], on: dataset)
        }
    }

    @Test func validationSplitMayLackUsers() throws {
        // A user without a validation item simply is not in the validation test list.
        var dataset = try Self.dataset()
        dataset.validation.test.removeLast()
        dataset.validation.negatives.removeLast()
        let search = try GridSearch().run([Self.favoursValidation], on: dataset)
        #expect(search.bestValidation.users == 2 && search.test.users == 3)
    }
}
