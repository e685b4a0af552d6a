import ArgumentParser
import EntertainmentRecs
import Foundation

/// The domain of a recommender file.
enum Domain: String, ExpressibleByArgument, CaseIterable {
    case films, music, games
}

/// Input formats `recs fit` reads.
enum DataFormat: String, ExpressibleByArgument, CaseIterable {
    case movielens100k = "movielens-100k", movielens1m = "movielens-1m", movielensLatest = "movielens-latest"
    case lastfm, steam

    var domain: Domain {
        switch self {
        case .movielens100k, .movielens1m, .movielensLatest: .films
        case .lastfm: .music
        case .steam: .games
        }
    }
}

/// `recs fit`: trains a recommender from a dataset folder and saves it.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a recommender on a dataset and save it.")

    @Option(help: "Dataset format: \(DataFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: DataFormat
    @Option(help: "The dataset folder (e.g. the one holding u.data and u.item).")
    var data: String
    @Option(help: "Model: popularity, itemknn, ials, ease, bpr, neumf, multdae, edlae, twotower (uses the catalog's genres/tags).")
    var model = "ials"
    @Option(help: "Where to save the fitted recommender.")
    var output: String
    @Flag(help: "Skip malformed lines (counted) instead of stopping at the first.")
    var skipMalformed = false

    func run() throws {
        let folder = URL(fileURLWithPath: data)
        let options = ReadOptions(onMalformedLine: skipMalformed ? .skip : .throw)
        let algorithm = try Self.algorithm(model)
        switch format {
        case .movielens100k, .movielens1m, .movielensLatest:
            let (ratings, films) = try Self.readFilms(format, folder, options)
            try train(FilmRecommender(algorithm: algorithm, catalog: Catalog(films)), on: ratings)
        case .lastfm:
            let listens = try LastFM2K.readListens(from: folder.appendingPathComponent("user_artists.dat"), options: options).records
            let artists = (try? LastFM2K.readCatalog(in: folder, options: options).records) ?? []
            try train(MusicRecommender(algorithm: algorithm, catalog: Catalog(artists)), on: listens)
        case .steam:
            let records = try Steam200K.read(from: folder.appendingPathComponent("steam-200k.csv"), options: options).records
            try train(GameRecommender(algorithm: algorithm, catalog: Catalog(records.games)), on: records.plays)
        }
    }

    /// Fits `recommender` on `events` (spinner on a terminal), saves it and reports.
    func train<Event, UserID, ItemID>(_ recommender: DomainRecommender<Event, UserID, ItemID>, on events: [Event]) throws {
        let start = ContinuousClock.now
        try Progress(label: "fitting \(model)").run { try recommender.fit(events) }
        try recommender.save(to: output)
        print("fitted \(model) on \(events.count) events (\(recommender.engine.knownUsers.count) users × "
              + "\(recommender.engine.knownItems.count) items) in \(ContinuousClock.now - start); saved \(output)")
    }

    static func readFilms(_ format: DataFormat, _ folder: URL, _ options: ReadOptions) throws -> ([FilmRating], [CatalogItem<FilmID>]) {
        switch format {
        case .movielens100k:
            return (try MovieLens100K.readRatings(from: folder.appendingPathComponent("u.data"), options: options).records,
                    (try? MovieLens100K.readFilms(from: folder.appendingPathComponent("u.item"), options: options).records) ?? [])
        case .movielens1m:
            return (try MovieLens1M.readRatings(from: folder.appendingPathComponent("ratings.dat"), options: options).records,
                    (try? MovieLens1M.readFilms(from: folder.appendingPathComponent("movies.dat"), options: options).records) ?? [])
        default:
            return (try MovieLensLatest.readRatings(from: folder.appendingPathComponent("ratings.csv"), options: options).records,
                    (try? MovieLensLatest.readFilms(from: folder.appendingPathComponent("movies.csv"), options: options).records) ?? [])
        }
    }

    static func algorithm(_ name: String) throws -> any RecommenderAlgorithm {
        switch name {
        case "popularity": Popularity()
        case "itemknn": ItemKNN(neighbors: 200)
        case "ials": ImplicitALS(factors: 64, regularization: 10, alpha: 1, iterations: 15)
        case "ease": EASE(lambda: 200)
        case "bpr": BPR()
        case "neumf": NeuMF()
        case "multdae": MultDAE()
        case "edlae": EDLAE()
        case "twotower": TwoTower.fromCatalog()
        default: throw ValidationError("unknown model '\(name)'; choose popularity, itemknn, ials, ease, bpr, neumf, multdae, edlae or twotower")
        }
    }
}

/// `recs recommend`: loads a saved recommender and prints a user's recommendations.
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Recommend items for a user from a saved recommender.")

    @Option(help: "A file written by `recs fit`.")
    var model: String
    @Option(help: "The domain the file was trained for: films, music or games.")
    var domain: Domain
    @Option(help: "The user's id in the original data.")
    var user: Int64
    @Option(help: "How many items.")
    var count = 10
    @Flag(help: "Recommend popular items for a user the model does not know.")
    var popularFallback = false
    @Flag(help: "Print JSON instead of a list.")
    var json = false

    func run() throws {
        let policy: UnknownUserPolicy = popularFallback ? .popular : .fail
        switch domain {
        case .films:
            let r = try FilmRecommender.load(from: model)
            try output(try r.recommend(for: ViewerID(user), count: count, unknownUser: policy, explain: true), titles: r.catalog)
        case .music:
            let r = try MusicRecommender.load(from: model)
            try output(try r.recommend(for: ListenerID(user), count: count, unknownUser: policy, explain: true), titles: r.catalog)
        case .games:
            let r = try GameRecommender.load(from: model)
            try output(try r.recommend(for: PlayerID(user), count: count, unknownUser: policy, explain: true), titles: r.catalog)
        }
    }

    func output<ID: EntityID>(_ recs: [Recommendation<ID>], titles: Catalog<ID>) throws {
        if json {
            let rows = recs.map { r -> [String: Any] in
                ["item": r.item.rawValue, "score": Double(r.score), "title": r.title ?? "", "tags": r.tags,
                 "because": r.because.map(\.rawValue)]
            }
            let data = try JSONSerialization.data(withJSONObject: ["user": user, "recommendations": rows], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for (n, r) in recs.enumerated() {
            let because = r.because.compactMap { titles[$0]?.title }.joined(separator: ", ")
            print("\(n + 1). \(r.title ?? "item \(r.item)")  (score \(String(format: "%.3f", r.score)))" + (because.isEmpty ? "" : "  because: \(because)"))
        }
    }
}

/// A spinner with elapsed time on stderr while long work runs, when stderr is a terminal.
struct Progress {
    let label: String

    func run(_ work: () throws -> Void) throws {
        guard isatty(STDERR_FILENO) != 0 else { return try work() }
        let done = DoneFlag()
        let label = self.label
        let thread = Thread {
            let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
            let start = Date()
            var i = 0
            while !done.isSet {
                FileHandle.standardError.write("\r\(frames[i % frames.count]) \(label) \(String(format: "%.1f", Date().timeIntervalSince(start)))s".data(using: .utf8)!)
                i += 1
                Thread.sleep(forTimeInterval: 0.1)
            }
            FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
        }
        thread.start()
        defer { done.set() }
        try work()
    }
}

final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
