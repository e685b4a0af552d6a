import Foundation
import Testing
@testable import EntertainmentRecs

@Suite("Evaluation results") struct EvaluationResultTests {
    static let result = EvaluationResult(
        model: "ials", split: "test", users: 943, cutoff: 10, recallCutoff: 20,
        sampledHitRate: 0.7, sampledNDCG: 0.45, sampledMRR: 1.0 / 3, fullHitRate: 0.125, fullNDCG: 0.0625,
        fullRecall: 0.2, fullMRR: 0.05, fullCoverage: 0.25)

    @Test func jsonUsesTheReadmeNamesAndRoundTrips() throws {
        let other = EvaluationResult(
            model: "pop", split: nil, users: 3, cutoff: 5, recallCutoff: 50,
            sampledHitRate: 0, sampledNDCG: 0, sampledMRR: 0.5, fullHitRate: 1, fullNDCG: 1,
            fullRecall: 1, fullMRR: 1, fullCoverage: 1)
        let data = try EvaluationResult.jsonData([Self.result, other])
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"hr@10\"", "\"ndcg@10\"", "\"recall@20\"", "\"mrr\"", "\"coverage@10\"", "\"users\"",
                    "\"hr@5\"", "\"recall@50\"", "\"sampled\"", "\"full\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(try EvaluationResult.results(fromJSON: data) == [Self.result, other])
        #expect(try EvaluationResult.jsonData([Self.result, other]) == data)  // stable bytes
    }

    @Test func decodingReportsMissingMetrics() throws {
        let json = #"[{"model":"x","users":1,"cutoff":10,"recallCutoff":20,"sampled":{"hr@10":1,"ndcg@10":1,"mrr":1},"full":{"hr@10":1}}]"#
        #expect(throws: DecodingError.self) { try EvaluationResult.results(fromJSON: Data(json.utf8)) }
    }

    @Test func tablePrintsModelsSideBySideToFourDecimals() {
        var other = Self.result
        other.model = "popularity"
        other.fullNDCG = 0.123456
        let table = EvaluationResult.table([Self.result, other])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 + EvaluationMetric.allCases.count + 1)
        #expect(lines[0] == "metric            ials    popularity")
        #expect(lines[1] == "split             test    test")
        #expect(lines.contains("sampled mrr       0.3333  0.3333"))
        #expect(lines.contains("full ndcg@10      0.0625  0.1235"))
        #expect(lines.contains("full coverage@10  0.2500  0.2500"))
        #expect(lines.last == "users             943     943")
        #expect(!lines.contains { $0.hasSuffix(" ") })
    }

    @Test func metricNamesFollowTheCutoffs() {
        #expect(Self.result.metrics.map(\.name) == [
            "sampled hr@10", "sampled ndcg@10", "sampled mrr", "full hr@10", "full ndcg@10",
            "full recall@20", "full mrr", "full coverage@10",
        ])
        for metric in EvaluationMetric.allCases {
            #expect(Self.result.metrics.contains { $0.name == metric.name(in: Self.result) && $0.value == Self.result.value(of: metric) })
        }
    }
}
