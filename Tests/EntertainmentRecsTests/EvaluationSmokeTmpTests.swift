import Foundation
import Testing
@testable import EntertainmentRecs

@Suite("Evaluation smoke tmp") struct EvaluationSmokeTmpTests {
    @Test func popularityOnRealData() throws {
        var results: [EvaluationResult] = []
        for name in ["ml-100k", "lastfm-2k", "steam-200k"] {
            let dataset = try BenchmarkDataset.load(from: "/work/shared/benchmarks/\(name)")
            let start = Date()
            let model = try Popularity().fit(dataset.test.train)
            results.append(try Evaluator().evaluate(model, on: dataset.test, modelName: name, splitName: "test"))
            let knn = try ItemKNN(neighbors: 100).fit(dataset.test.train)
            let t1 = Date()
            results.append(try Evaluator().evaluate(knn, on: dataset.test, modelName: name + "-knn", splitName: "test"))
            print("timing \(name): knn eval \(Date().timeIntervalSince(t1))s total \(Date().timeIntervalSince(start))s")
        }
        print(EvaluationResult.table(results))
        try EvaluationResult.jsonData(results).write(to: URL(fileURLWithPath: "/tmp/eval_smoke.json"))
    }
}
