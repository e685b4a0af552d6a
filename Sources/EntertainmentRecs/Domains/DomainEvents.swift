import Foundation

/// A viewer's rating of a film: the signal of ``FilmRecommender``.
public struct FilmRating: Sendable, Equatable {
    public var viewer: ViewerID
    public var film: FilmID
    /// Stars, e.g. 1–5 (MovieLens) or 0.5–5.
    public var stars: Float
    /// When the rating was given, if known.
    public var date: Date?

    public init(viewer: ViewerID, film: FilmID, stars: Float, date: Date? = nil) {
        self.viewer = viewer
        self.film = film
        self.stars = stars
        self.date = date
    }
}

/// How often a listener played an artist or a track: the signal of ``MusicRecommender``.
public struct Listen: Sendable, Equatable {
    public var listener: ListenerID
    public var track: TrackID
    public var plays: Float

    public init(listener: ListenerID, track: TrackID, plays: Float) {
        self.listener = listener
        self.track = track
        self.plays = plays
    }
}

/// A player's hours in a game, and whether they bought it: the signal of ``GameRecommender``.
public struct GamePlay: Sendable, Equatable {
    public var player: PlayerID
    public var game: GameID
    /// Hours played (0 when bought but never played).
    public var hours: Float
    public var purchased: Bool

    public init(player: PlayerID, game: GameID, hours: Float, purchased: Bool = true) {
        self.player = player
        self.game = game
        self.hours = hours
        self.purchased = purchased
    }
}

/// What a catalog knows about an item: a title, genres or tags, and a release year.
public struct CatalogItem<ID: EntityID>: Sendable, Equatable {
    public var id: ID
    public var title: String
    /// Genres (films) or tags (music, games), most relevant first.
    public var tags: [String]
    public var year: Int?

    public init(id: ID, title: String, tags: [String] = [], year: Int? = nil) {
        self.id = id
        self.title = title
        self.tags = tags
        self.year = year
    }
}

/// A catalog: item metadata by id. Missing items simply have no metadata.
public struct Catalog<ID: EntityID>: Sendable {
    public private(set) var items: [ID: CatalogItem<ID>] = [:]

    public init(_ items: [CatalogItem<ID>] = []) {
        for item in items { self.items[item.id] = item }
    }

    public subscript(id: ID) -> CatalogItem<ID>? { items[id] }
    public var count: Int { items.count }

    public mutating func insert(_ item: CatalogItem<ID>) { items[item.id] = item }
}
