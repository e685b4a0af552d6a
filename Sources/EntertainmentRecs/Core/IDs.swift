/// An identifier of a user or an item as the caller's system knows it (any `Int64`).
/// Each domain has its own ID types, so a film id cannot reach the music recommender.
public protocol EntityID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The caller's own number for the entity: two ids name the same entity exactly when
    /// their raw values are equal (the engine maps ids by it).
    var rawValue: Int64 { get }
    init(_ rawValue: Int64)
}

extension EntityID {
    public var description: String { "\(rawValue)" }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A person who rates films.
public struct ViewerID: EntityID {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// A film in a catalog.
public struct FilmID: EntityID {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// A person who listens to music.
public struct ListenerID: EntityID {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// An artist or a track in a music catalog.
public struct TrackID: EntityID {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// A person who plays games.
public struct PlayerID: EntityID {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// A game in a catalog.
public struct GameID: EntityID {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// Dense indices `0..<count` for the ids seen in training, in first-seen order, and back.
/// The one place where caller ids become matrix rows and columns.
public struct IDMap<ID: EntityID>: Sendable {
    /// The ids' raw values in index order. Keyed by the raw `Int64`, the maps stay fast
    /// when generic code runs unspecialized (from another module): no hashing or array
    /// access through the ID type's witnesses.
    private var raw: [Int64] = []
    private var indices: [Int64: Int32] = [:]

    public init() {}

    /// A map over `ids` in the given order (duplicates keep their first index).
    public init(_ ids: some Sequence<ID>) { for id in ids { _ = insert(id) } }

    /// The ids in index order.
    public var ids: [ID] { raw.map(ID.init) }

    /// Number of mapped ids.
    public var count: Int { raw.count }

    /// The index of `id`, adding it if new.
    @discardableResult
    public mutating func insert(_ id: ID) -> Int32 {
        let key = id.rawValue
        if let i = indices[key] { return i }
        let i = Int32(raw.count)
        raw.append(key)
        indices[key] = i
        return i
    }

    /// The index of `id`, or `nil` if it was never seen.
    public func index(of id: ID) -> Int32? { indices[id.rawValue] }

    /// The id at a dense index.
    public subscript(index: Int32) -> ID { ID(raw[Int(index)]) }
}
