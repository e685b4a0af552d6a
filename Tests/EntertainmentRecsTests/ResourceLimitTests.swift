@testable import EntertainmentRecs
import Foundation
import Testing

/// Requests that would need more memory than a stated limit are refused before anything is
/// allocated, with a `RecommenderError.tooLarge` that names the sizes.
@Suite("Resource limits") struct ResourceLimitTests {
    @Test func batchRecommendationOverTheLimitIsRefused() throws {
        let engine = RecommenderEngine<ViewerID, FilmID>(algorithm: Popularity(), memoryLimit: 64 * 1024)
        var triples: [(user: ViewerID, item: FilmID, weight: Float)] = []
        for u in 0..<200 { for i in 0..<50 where (u + i) % 3 == 0 { triples.append((ViewerID(Int64(u)), FilmID(Int64(i)), 1)) } }
        try engine.fit(triples)
        let users = (0..<200).map { ViewerID(Int64($0)) }
        // 200 users × 50 items of results plus score blocks exceed 64 KiB...
        do {
            _ = try engine.recommend(for: users, count: 50)
            Issue.record("a batch over the memory limit was served")
        } catch let RecommenderError.tooLarge(message) {
            #expect(message.contains("200 users") && message.contains("65536"), "\(message)")
        }
        // ...a small batch fits.
        #expect(try engine.recommend(for: Array(users.prefix(2)), count: 5).count == 2)
        #expect(RecommenderEngine<ViewerID, FilmID>.batchMemoryNeeded(users: .max / 2, count: 1000, items: 1000, threads: 2) == .max)
    }

    @Test func itemKNNAndEASEAndMultDAEEstimateFirst() throws {
        let (m, _) = checkerboard()
        #expect(throws: RecommenderError.self) { try ItemKNN(neighbors: 10, memoryLimit: 100).fit(m) }
        #expect(try ItemKNN(neighbors: 10, memoryLimit: 1 << 20).fit(m).itemCount == 20)
        #expect(EASE.memoryNeeded(items: 1 << 40) == .max)
        // Two users over 300 million items: Mult-DAE's dense histories would take 4.8 GB.
        let huge = try InteractionMatrix(userCount: 2, itemCount: 300_000_000, users: [0, 1], items: [0, 1], weights: [1, 1])
        #expect(throws: RecommenderError.self) { try MultDAE().fit(huge) }
    }

    @Test func duplicateWeightsSummingPastFloatRangeAreAnError() {
        #expect(throws: RecommenderError.self) {
            try InteractionMatrix(userCount: 1, itemCount: 1, users: [0, 0], items: [0, 0], weights: [3.4e38, 3.4e38])
        }
        #expect((try? InteractionMatrix(userCount: 1, itemCount: 1, users: [0, 0], items: [0, 0], weights: [3.4e38, 3.4e38],
                                        duplicates: .max)) != nil)
    }
}
