@testable import EntertainmentRecs
import Dispatch
import Foundation
import Testing

func demoFilms() throws -> (FilmRecommender, [FilmRating], Catalog<FilmID>) {
    let (catalog, ratings) = SyntheticData.films(viewers: 120, films: 80, seed: 3)
    let films = FilmRecommender(algorithm: ImplicitALS(factors: 8, regularization: 1, alpha: 1, iterations: 5), catalog: catalog)
    try films.fit(ratings)
    return (films, ratings, catalog)
}

@Suite("Recommender engine") struct EngineTests {
    @Test func recommendsUnseenItemsWithCatalogTitles() throws {
        let (films, ratings, catalog) = try demoFilms()
        let viewer = ViewerID(5)
        let seen = Set(ratings.filter { $0.viewer == viewer }.map(\.film))
        let picks = try films.recommend(for: viewer, count: 7, explain: true)
        #expect(picks.count == 7)
        #expect(picks.allSatisfy { !seen.contains($0.item) })
        #expect(picks.allSatisfy { $0.title == catalog[$0.item]?.title && !$0.tags.isEmpty })
        #expect(zip(picks, picks.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(picks.allSatisfy { $0.because.allSatisfy(seen.contains) })
        let excluded = try films.recommend(for: viewer, count: 7, excluding: [picks[0].item])
        #expect(!excluded.contains { $0.item == picks[0].item })
    }

    @Test func unknownUsersFailOrFallBackToPopularity() throws {
        let (films, ratings, _) = try demoFilms()
        #expect(throws: RecommenderError.unknownUser("999999")) { try films.recommend(for: ViewerID(999_999)) }
        let popular = try films.recommend(for: ViewerID(999_999), count: 3, unknownUser: .popular)
        var counts: [FilmID: Int] = [:]
        for r in ratings { counts[r.film, default: 0] += 1 }
        let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : false }.first!.value
        #expect(counts[popular[0].item] == top)
        #expect(throws: RecommenderError.invalidArgument("count must be ≥ 1, got 0")) { try films.recommend(for: ViewerID(5), count: 0) }
        #expect(throws: RecommenderError.unknownItem("424242")) { try films.similarItems(to: FilmID(424_242)) }
    }

    @Test func foldInMatchesTheTrainedUserClosely() throws {
        let (films, ratings, _) = try demoFilms()
        let viewer = ViewerID(9)
        let history = ratings.filter { $0.viewer == viewer }
        let trained = try films.recommend(for: viewer, count: 10).map(\.item)
        let folded = try films.recommend(fromHistory: history, count: 10).map(\.item)
        // The fold-in vector solves the same least squares as the last ALS user step.
        #expect(Set(trained).intersection(folded).count >= 8)
    }

    @Test func batchRecommendationsEqualSingleOnes() throws {
        let (films, _, _) = try demoFilms()
        let users = (1...40).map { ViewerID(Int64($0)) }
        let batch = try films.recommend(for: users, count: 5)
        for u in users { #expect(batch[u]?.map(\.item) == (try films.recommend(for: u, count: 5)).map(\.item)) }
    }

    @Test func flatBatchHoldsTheDictionaryListsRowByRow() throws {
        let (films, _, _) = try demoFilms()
        // Repeats and an unknown user (served popular items) keep their rows, in order.
        let users = (1...30).map { ViewerID(Int64($0)) } + [ViewerID(7), ViewerID(999_999)]
        let flat = try films.recommendations(for: users, count: 5, unknownUser: .popular)
        let lists = try films.recommend(for: users, count: 5, unknownUser: .popular)
        #expect(flat.count == users.count && flat.users == users)
        for r in flat.indices {
            let row = flat[r]
            #expect(row.user == users[r])
            #expect(Array(row.items) == lists[users[r]]!.map(\.item))
            #expect(Array(row.scores) == lists[users[r]]!.map(\.score))
            #expect(flat.recommendations(at: r).map(\.item) == Array(row.items))
        }
        #expect(Array(flat[users.count - 1].items) == (try films.recommend(for: ViewerID(999_999), count: 5, unknownUser: .popular)).map(\.item))
        #expect(throws: RecommenderError.unknownUser("999999")) { try films.recommendations(for: [ViewerID(999_999)]) }
        #expect(throws: RecommenderError.invalidArgument("count must be ≥ 1, got 0")) { try films.recommendations(for: users, count: 0) }
    }

    @Test func manyThreadsGetExactlyTheSingleThreadAnswers() throws {
        let (films, _, _) = try demoFilms()
        let users = (1...60).map { ViewerID(Int64($0)) }
        let expected = try users.map { try films.recommend(for: $0, count: 5).map(\.item) }
        let mismatches = Mismatches()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for (i, u) in users.enumerated() where (i + t) % 2 == 0 {
                if (try? films.recommend(for: u, count: 5).map(\.item)) != expected[i] { mismatches.add() }
            }
        }
        #expect(mismatches.count == 0)
    }

    @Test func savedRecommenderLoadsAndAnswersTheSame() throws {
        let (films, _, _) = try demoFilms()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("films-\(getpid()).recs").path
        try films.save(to: path)
        let loaded = try FilmRecommender.load(from: path)
        #expect(try loaded.recommend(for: ViewerID(3), count: 5) == films.recommend(for: ViewerID(3), count: 5))
        #expect(throws: RecommenderError.self) { try MusicRecommender.load(from: path) }
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: RecommenderError.self) { try FilmRecommender.load(from: path) }
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        #expect(throws: RecommenderError.self) { try FilmRecommender.load(from: path) }
        #expect(throws: RecommenderError.self) { try FilmRecommender.load(from: path + ".missing") }
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func everyModelKindRoundTrips(kind: Int) throws {
        let algorithms: [any RecommenderAlgorithm] = [Popularity(), ItemKNN(neighbors: 10), ImplicitALS(factors: 4, iterations: 2),
                                                      EASE(lambda: 10), BPR(factors: 4, iterations: 3),
                                                      NeuMF(gmfFactors: 4, mlpLayers: [8, 4], epochs: 2)]
        let (catalog, plays) = SyntheticData.games(players: 50, games: 30, seed: 1)
        let games = GameRecommender(algorithm: algorithms[kind], catalog: catalog)
        try games.fit(plays)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("games-\(kind)-\(getpid()).recs").path
        try games.save(to: path)
        let loaded = try GameRecommender.load(from: path)
        #expect(try loaded.recommend(for: PlayerID(1), count: 5) == games.recommend(for: PlayerID(1), count: 5))
        #expect(try loaded.similarItems(to: GameID(2), count: 3) == games.similarItems(to: GameID(2), count: 3))
    }

    @Test func badEventsAreErrors() throws {
        let films = FilmRecommender()
        #expect(throws: RecommenderError.self) { try films.fit([]) }
        #expect(throws: RecommenderError.self) {
            try films.fit([FilmRating(viewer: ViewerID(1), film: FilmID(1), stars: .nan)])
        }
        #expect(throws: RecommenderError.notFitted) { try films.recommend(for: ViewerID(1)) }
        let music = MusicRecommender()
        #expect(throws: RecommenderError.self) { try music.fit([Listen(listener: ListenerID(1), track: TrackID(2), plays: -3)]) }
    }
}

final class Mismatches: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return n }
}

@Suite("Fold-in edge cases") struct FoldInEdgeTests {
    @Test func historyWithNoKnownItemGetsPopularItems() throws {
        let (films, _, _) = try demoFilms()
        let popular = try films.recommend(for: ViewerID(999_999), count: 3, unknownUser: .popular).map(\.item)
        let folded = try films.recommend(fromHistory: [FilmRating(viewer: ViewerID(-1), film: FilmID(987_654), stars: 5)], count: 3)
        #expect(folded.map(\.item) == popular)
        #expect(folded.allSatisfy { $0.score.isFinite })
    }
}
