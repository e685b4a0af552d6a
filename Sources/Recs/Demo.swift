import ArgumentParser
import EntertainmentRecs
import Foundation

/// `recs demo`: trains a film, a music and a game recommender on built-in synthetic data
/// and prints recommendations with titles and the seen items that led to them.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train film, music and game recommenders on built-in data and show their picks.")

    @Option(help: "Users to show per domain.")
    var users = 2
    @Option(help: "Recommendations per user.")
    var count = 5
    @Option(help: "Seed of the synthetic data.")
    var seed: UInt64 = 7

    func run() throws {
        let (films, ratings) = SyntheticData.films(seed: seed)
        let filmRecs = FilmRecommender(catalog: films)
        try show("Films", events: ratings.count, catalog: films, recommender: filmRecs, fit: { try filmRecs.fit(ratings) },
                 history: { u in ratings.filter { $0.viewer == u }.sorted { $0.stars > $1.stars }.map(\.film) },
                 users: Array(Set(ratings.map(\.viewer))).sorted().prefix(users), noun: "rated")

        let (artists, listens) = SyntheticData.music(seed: seed &+ 1)
        let musicRecs = MusicRecommender(catalog: artists)
        try show("Music", events: listens.count, catalog: artists, recommender: musicRecs, fit: { try musicRecs.fit(listens) },
                 history: { u in listens.filter { $0.listener == u }.sorted { $0.plays > $1.plays }.map(\.track) },
                 users: Array(Set(listens.map(\.listener))).sorted().prefix(users), noun: "played most")

        let (games, plays) = SyntheticData.games(seed: seed &+ 2)
        let gameRecs = GameRecommender(catalog: games)
        try show("Games", events: plays.count, catalog: games, recommender: gameRecs, fit: { try gameRecs.fit(plays) },
                 history: { u in plays.filter { $0.player == u }.sorted { $0.hours > $1.hours }.map(\.game) },
                 users: Array(Set(plays.map(\.player))).sorted().prefix(users), noun: "played longest")

        // A newcomer, from history alone (fold-in, no retraining).
        let liked = ratings.prefix(400).filter { $0.stars >= 4 }.prefix(3).map(\.film)
        let newcomer = liked.map { FilmRating(viewer: ViewerID(-1), film: $0, stars: 5) }
        print("\nA new viewer who loved \(liked.map { quote(films[$0]?.title) }.joined(separator: ", ")):")
        for (n, r) in try filmRecs.recommend(fromHistory: newcomer, count: count, explain: true).enumerated() {
            print(line(n, r, catalog: films))
        }
    }

    func show<Event, UserID, ItemID>(_ title: String, events: Int, catalog: Catalog<ItemID>,
                                     recommender: DomainRecommender<Event, UserID, ItemID>, fit: () throws -> Void,
                                     history: (UserID) -> [ItemID], users: ArraySlice<UserID>, noun: String) throws {
        let start = ContinuousClock.now
        try fit()
        let elapsed = ContinuousClock.now - start
        print("\n== \(title): \(recommender.engine.knownUsers.count) users, \(catalog.count) items, \(events) events; "
              + "\(recommender.engine.algorithm), confidence \(recommender.confidence.summary); fitted in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
        for user in users {
            let top = history(user).prefix(3).map { describe(catalog[$0]) }.joined(separator: "; ")
            print("User \(user) \(noun): \(top)")
            for (n, r) in try recommender.recommend(for: user, count: count, explain: true).enumerated() {
                print(line(n, r, catalog: catalog))
            }
        }
        if let first = history(users.first!).first {
            let similar = try recommender.similarItems(to: first, count: 3).map { describe(catalog[$0.item]) }
            print("Similar to \(quote(catalog[first]?.title)): \(similar.joined(separator: "; "))")
        }
    }

    func line<ItemID>(_ n: Int, _ r: Recommendation<ItemID>, catalog: Catalog<ItemID>) -> String {
        let because = r.because.map { quote(catalog[$0]?.title) }.joined(separator: ", ")
        let tags = r.tags.isEmpty ? "" : " (\(r.tags.joined(separator: ", ")))"
        return String(format: "  %d. %@%@  score %.3f", n + 1, r.title ?? "\(r.item)", tags, r.score)
            + (because.isEmpty ? "" : "  because: \(because)")
    }

    func describe<ItemID>(_ item: CatalogItem<ItemID>?) -> String {
        guard let item else { return "?" }
        return item.tags.isEmpty ? item.title : "\(item.title) (\(item.tags.joined(separator: ", ")))"
    }

    func quote(_ s: String?) -> String { "\"\(s ?? "?")\"" }
}
