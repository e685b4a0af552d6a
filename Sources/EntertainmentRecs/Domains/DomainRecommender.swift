import Foundation

/// How a domain's events become implicit-feedback confidence weights (≥ 0). Repeated
/// (user, item) pairs are summed after the rule is applied.
public struct ConfidenceRule<Event>: Sendable {
    /// A one-line description for docs and logs.
    public let summary: String
    let weight: @Sendable (Event) -> Float

    /// A custom rule.
    public init(_ summary: String, weight: @escaping @Sendable (Event) -> Float) {
        self.summary = summary
        self.weight = weight
    }

    /// Every event counts 1, whatever its strength.
    public static var binary: ConfidenceRule { ConfidenceRule("1 per event") { _ in 1 } }
}

/// A recommender for one domain: events in, typed recommendations with catalog metadata
/// out. ``FilmRecommender``, ``MusicRecommender`` and ``GameRecommender`` are this type
/// with their own events and ids; the engine underneath is shared.
///
/// ```swift
/// let films = FilmRecommender(catalog: catalog)
/// try films.fit(ratings)
/// for pick in try films.recommend(for: ViewerID(42), count: 5, explain: true) {
///     print(pick.title ?? "?", pick.because)
/// }
/// ```
public final class DomainRecommender<Event: Sendable, UserID: EntityID, ItemID: EntityID>: Sendable {
    /// The generic engine (ids, matrix, model, serving).
    public let engine: RecommenderEngine<UserID, ItemID>
    /// Titles and tags attached to results.
    public let catalog: Catalog<ItemID>
    /// How events become confidence.
    public let confidence: ConfidenceRule<Event>
    let key: @Sendable (Event) -> (UserID, ItemID)

    init(algorithm: any RecommenderAlgorithm, catalog: Catalog<ItemID>, confidence: ConfidenceRule<Event>,
         key: @escaping @Sendable (Event) -> (UserID, ItemID)) {
        engine = RecommenderEngine(algorithm: algorithm)
        self.catalog = catalog
        self.confidence = confidence
        self.key = key
    }

    init(engine: RecommenderEngine<UserID, ItemID>, catalog: Catalog<ItemID>, confidence: ConfidenceRule<Event>,
         key: @escaping @Sendable (Event) -> (UserID, ItemID)) {
        self.engine = engine
        self.catalog = catalog
        self.confidence = confidence
        self.key = key
    }

    /// Trains on `events` (weights from ``confidence``; repeated pairs summed).
    public func fit(_ events: [Event]) throws {
        let triples = events.map { e -> (user: UserID, item: ItemID, weight: Float) in
            let (u, i) = key(e)
            return (u, i, confidence.weight(e))
        }
        let catalog = self.catalog
        try engine.fit(triples, duplicates: .sum, catalogItems: catalog.items.keys.sorted()) { id in
            guard let item = catalog[id] else { return [] }
            return item.tags.map { "tag:" + $0.lowercased() }
                + item.title.lowercased().split { !$0.isLetter && !$0.isNumber }.filter { $0.count > 1 }.map { "word:" + $0 }
        }
    }

    /// The `count` best items for `user` that they do not have yet, without `excluding`.
    /// With `explain`, each result lists the user's items that most led to it.
    public func recommend(for user: UserID, count: Int = 10, excluding: Set<ItemID> = [],
                          unknownUser: UnknownUserPolicy = .fail, explain: Bool = false) throws -> [Recommendation<ItemID>] {
        try engine.recommend(for: user, count: count, excluding: excluding, unknownUser: unknownUser, explain: explain)
            .map(annotate)
    }

    /// Recommendations for many users, computed in parallel.
    public func recommend(for users: [UserID], count: Int = 10,
                          unknownUser: UnknownUserPolicy = .fail) throws -> [UserID: [Recommendation<ItemID>]] {
        try engine.recommend(for: users, count: count, unknownUser: unknownUser).mapValues { $0.map(annotate) }
    }

    /// The same lists for many users, flat (ids and scores, no catalog annotation): row r
    /// is `users[r]`'s; for serving large batches without an array per user.
    public func recommendations(for users: [UserID], count: Int = 10,
                                unknownUser: UnknownUserPolicy = .fail) throws -> BatchRecommendations<UserID, ItemID> {
        try engine.recommendations(for: users, count: count, unknownUser: unknownUser)
    }

    /// Recommendations for someone not in training, from their events, without retraining.
    public func recommend(fromHistory events: [Event], count: Int = 10, explain: Bool = false) throws -> [Recommendation<ItemID>] {
        var history: [ItemID: Float] = [:]
        for e in events { history[key(e).1, default: 0] += confidence.weight(e) }
        return try engine.recommend(history: history, count: count, explain: explain).map(annotate)
    }

    /// The `count` items most similar to `item`.
    public func similarItems(to item: ItemID, count: Int = 10) throws -> [Recommendation<ItemID>] {
        try engine.similarItems(to: item, count: count).map(annotate)
    }

    /// The model's scores of `items` for `user`.
    public func scores(for user: UserID, items: [ItemID]) throws -> [Float] {
        try engine.scores(for: user, items: items)
    }

    func annotate(_ r: Recommendation<ItemID>) -> Recommendation<ItemID> {
        guard let meta = catalog[r.item] else { return r }
        var out = r
        out.title = meta.title
        out.tags = meta.tags
        return out
    }
}

/// Films from ratings. Default confidence: the stars themselves (a 5-star rating counts
/// five times a 1-star one); `.binary` treats every rating alike.
public typealias FilmRecommender = DomainRecommender<FilmRating, ViewerID, FilmID>
/// Music from listening. Default confidence: log(1 + plays), so heavy rotation counts
/// more without drowning everything else.
public typealias MusicRecommender = DomainRecommender<Listen, ListenerID, TrackID>
/// Games from play. Default confidence: 1 + log(1 + hours), so a game bought and never
/// played still counts.
public typealias GameRecommender = DomainRecommender<GamePlay, PlayerID, GameID>

extension ConfidenceRule where Event == FilmRating {
    /// The rating's stars.
    public static var stars: Self { .init("stars") { $0.stars } }
}

extension ConfidenceRule where Event == Listen {
    /// log(1 + plays).
    public static var logPlays: Self { .init("log(1 + plays)") { Float(log1p(Double($0.plays))) } }
}

extension ConfidenceRule where Event == GamePlay {
    /// 1 + log(1 + hours).
    public static var logHours: Self { .init("1 + log(1 + hours)") { 1 + Float(log1p(Double($0.hours))) } }
}

extension DomainRecommender where Event == FilmRating, UserID == ViewerID, ItemID == FilmID {
    /// A film recommender; iALS by default.
    public convenience init(algorithm: any RecommenderAlgorithm = ImplicitALS(factors: 64, regularization: 10, alpha: 1),
                            catalog: Catalog<FilmID> = Catalog(), confidence: ConfidenceRule<FilmRating> = .stars) {
        self.init(algorithm: algorithm, catalog: catalog, confidence: confidence) { ($0.viewer, $0.film) }
    }
}

extension DomainRecommender where Event == Listen, UserID == ListenerID, ItemID == TrackID {
    /// A music recommender; iALS by default.
    public convenience init(algorithm: any RecommenderAlgorithm = ImplicitALS(factors: 64, regularization: 30, alpha: 1),
                            catalog: Catalog<TrackID> = Catalog(), confidence: ConfidenceRule<Listen> = .logPlays) {
        self.init(algorithm: algorithm, catalog: catalog, confidence: confidence) { ($0.listener, $0.track) }
    }
}

extension DomainRecommender where Event == GamePlay, UserID == PlayerID, ItemID == GameID {
    /// A game recommender; iALS by default.
    public convenience init(algorithm: any RecommenderAlgorithm = ImplicitALS(factors: 64, regularization: 10, alpha: 1),
                            catalog: Catalog<GameID> = Catalog(), confidence: ConfidenceRule<GamePlay> = .logHours) {
        self.init(algorithm: algorithm, catalog: catalog, confidence: confidence) { ($0.player, $0.game) }
    }
}
