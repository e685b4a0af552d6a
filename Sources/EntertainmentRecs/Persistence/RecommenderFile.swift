import DeepCore
import Foundation

/// The recommender file format (little-endian):
///
///     magic "ERMODEL1" · version u32 · user id type · item id type · algorithm description
///     user ids [i64] · item ids [i64] · training matrix (CSR) · model kind · model payload
///     catalog: count u64, then per item id i64 · title · tag count u32 · tags · year i64 (−1: none)
///     CRC-32 of everything before it
///
/// Saving is atomic (``AtomicFile``). Loading checks the magic, the version, the domain
/// (id types), every declared size against the bytes left, and the checksum before
/// anything is built; a damaged file is a ``RecommenderError/invalidModelFile(path:reason:)``.
enum RecommenderFile {
    static let magic = Array("ERMODEL1".utf8)
    static let version: UInt32 = 1

    static func encode<U: EntityID, I: EntityID>(_ s: FittedState<U, I>, algorithm: String, catalog: Catalog<I>) throws -> [UInt8] {
        guard let model = s.model as? any PersistableModel else {
            throw RecommenderError.invalidArgument("model '\(s.model.name)' cannot be saved")
        }
        var w = ByteWriter()
        for b in magic { w.write(b) }
        w.write(version)
        w.write(String(describing: U.self)); w.write(String(describing: I.self)); w.write(algorithm)
        w.write(s.users.ids.map(\.rawValue)); w.write(s.items.ids.map(\.rawValue))
        s.matrix.encode(to: &w)
        w.write(type(of: model).kind)
        model.encode(to: &w)
        let entries = catalog.items.values.sorted { $0.id < $1.id }
        w.write(UInt64(entries.count))
        for e in entries {
            w.write(e.id.rawValue); w.write(e.title); w.write(UInt32(e.tags.count))
            for t in e.tags { w.write(t) }
            w.write(Int64(e.year ?? -1))
        }
        w.writeChecksum()
        return w.bytes
    }

    static func decode<U: EntityID, I: EntityID>(_ bytes: [UInt8], path: String) throws
        -> (state: FittedState<U, I>, algorithm: String, catalog: Catalog<I>) {
        let fail = { (why: String) in RecommenderError.invalidModelFile(path: path, reason: why) }
        var r = ByteReader(bytes: bytes) { needed, present in
            RecommenderError.invalidModelFile(path: path, reason: "truncated: needs at least \(needed) bytes, has \(present)")
        }
        guard bytes.count >= magic.count + 8, Array(bytes.prefix(magic.count)) == magic else {
            throw fail("not an EntertainmentRecs recommender file")
        }
        guard r.hasValidChecksum else { throw fail("checksum mismatch (the file is damaged or truncated)") }
        r.offset = magic.count
        let v: UInt32 = try r.read()
        guard v == version else { throw fail("format version \(v); this library reads version \(version)") }
        let userType = try r.readString(), itemType = try r.readString()
        guard userType == String(describing: U.self), itemType == String(describing: I.self) else {
            throw fail("holds a \(userType) → \(itemType) recommender, not \(U.self) → \(I.self)")
        }
        let algorithm = try r.readString()
        let users = IDMap(try r.readIntegers(Int64.self).map(U.init))
        let items = IDMap(try r.readIntegers(Int64.self).map(I.init))
        let matrix = try InteractionMatrix.decode(from: &r, path: path)
        guard matrix.userCount == users.count, matrix.itemCount == items.count else {
            throw fail("matrix is \(matrix.userCount)×\(matrix.itemCount) but the file maps \(users.count) users and \(items.count) items")
        }
        let model: any ScoringModel
        do { model = try ModelCoding.decode(kind: try r.readString(), from: &r, path: path) } catch RecommenderError.invalidModelFile(_, let why) {
            throw fail(why)
        }
        guard model.itemCount == items.count else { throw fail("model scores \(model.itemCount) items, the file maps \(items.count)") }
        if let factorUsers = (model as? any PersistableModel)?.factorUsers, factorUsers != users.count {
            throw fail("model has factors for \(factorUsers) users, the file maps \(users.count)")
        }
        let n: UInt64 = try r.read()
        guard n <= UInt64(r.remaining / 16) else { throw fail("catalog of \(n) items exceeds the file") }
        var catalog = Catalog<I>()
        for _ in 0..<n {
            let id = I(try r.read()), title = try r.readString()
            let tagCount: UInt32 = try r.read()
            guard tagCount <= UInt32(r.remaining / 4) else { throw fail("tag count \(tagCount) exceeds the file") }
            var tags: [String] = []
            for _ in 0..<tagCount { tags.append(try r.readString()) }
            let year: Int64 = try r.read()
            catalog.insert(CatalogItem(id: id, title: title, tags: tags, year: year < 0 ? nil : Int(year)))
        }
        guard r.remaining == 4 else { throw fail("\(r.remaining - 4) unexpected bytes before the checksum") }
        return (FittedState(users: users, items: items, matrix: matrix, model: model), algorithm, catalog)
    }
}

/// Stands in for the algorithm of a loaded recommender: it describes what was trained and
/// refuses to train again (make a new recommender to retrain).
struct SavedAlgorithm: RecommenderAlgorithm {
    let description: String
    var name: String { "saved" }
    func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        throw RecommenderError.invalidArgument("a loaded recommender (\(description)) cannot be refitted; create a new one")
    }
}

extension RecommenderEngine {
    /// Saves the fitted engine (and `catalog`) atomically to `path`.
    public func save(to path: String, catalog: Catalog<ItemID> = Catalog()) throws {
        let bytes = try RecommenderFile.encode(try fitted(), algorithm: algorithm.description, catalog: catalog)
        do { try AtomicFile.write(bytes, to: path) } catch let e as WeightsFileError {
            throw RecommenderError.unreadableFile(path: path, reason: e.description)
        }
    }

    /// Loads an engine saved by ``save(to:catalog:)``, with its catalog.
    public static func load(from path: String) throws -> (engine: RecommenderEngine, catalog: Catalog<ItemID>) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecommenderError.unreadableFile(path: path, reason: "cannot read the file")
        }
        let (state, algorithm, catalog): (FittedState<UserID, ItemID>, String, Catalog<ItemID>) = try RecommenderFile.decode([UInt8](data), path: path)
        let engine = RecommenderEngine(algorithm: SavedAlgorithm(description: algorithm))
        try engine.install(state)
        return (engine, catalog)
    }
}

extension DomainRecommender {
    /// Saves the fitted recommender with its catalog, atomically.
    public func save(to path: String) throws { try engine.save(to: path, catalog: catalog) }

    static func load(from path: String, confidence: ConfidenceRule<Event>,
                     key: @escaping @Sendable (Event) -> (UserID, ItemID)) throws -> DomainRecommender {
        let (engine, catalog) = try RecommenderEngine<UserID, ItemID>.load(from: path)
        return DomainRecommender(engine: engine, catalog: catalog, confidence: confidence, key: key)
    }
}

extension DomainRecommender where Event == FilmRating, UserID == ViewerID, ItemID == FilmID {
    /// Loads a film recommender saved by `save(to:)`.
    public static func load(from path: String, confidence: ConfidenceRule<FilmRating> = .stars) throws -> FilmRecommender {
        try load(from: path, confidence: confidence) { ($0.viewer, $0.film) }
    }
}

extension DomainRecommender where Event == Listen, UserID == ListenerID, ItemID == TrackID {
    /// Loads a music recommender saved by `save(to:)`.
    public static func load(from path: String, confidence: ConfidenceRule<Listen> = .logPlays) throws -> MusicRecommender {
        try load(from: path, confidence: confidence) { ($0.listener, $0.track) }
    }
}

extension DomainRecommender where Event == GamePlay, UserID == PlayerID, ItemID == GameID {
    /// Loads a game recommender saved by `save(to:)`.
    public static func load(from path: String, confidence: ConfidenceRule<GamePlay> = .logHours) throws -> GameRecommender {
        try load(from: path, confidence: confidence) { ($0.player, $0.game) }
    }
}
