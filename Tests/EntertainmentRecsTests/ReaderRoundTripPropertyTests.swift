@testable import EntertainmentRecs
import Foundation
import PropertyBased
import Testing

/// Generators for the round-trip properties: ids over the whole `Int64` range, weights with
/// their extremes, titles with every character the file formats treat specially.
enum RoundTripGen {
    /// The ids at the edges of `Int64` (and around 0), drawn a third of the time.
    static let edgeIDs: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]

    /// Any `Int64`; a third of the draws is one of ``edgeIDs``.
    static let id = zip(Gen.int(in: 0...20), Gen.int64()).map { pick, random in
        pick < edgeIDs.count ? edgeIDs[pick] : random
    }

    /// A non-negative finite `Float`: 0, the largest finite, the smallest subnormal and normal,
    /// half stars, and random values small and large.
    static let weight = zip(Gen.int(in: 0...11), Gen.float(in: 0...5), Gen.float(in: 0...1e9)).map { pick, small, large -> Float in
        switch pick {
        case 0: 0
        case 1: .greatestFiniteMagnitude
        case 2: .leastNonzeroMagnitude
        case 3: .leastNormalMagnitude
        case 4: (small * 2).rounded() / 2
        case 5, 6: large
        default: small
        }
    }

    /// Stars as a film recommender is fitted on: 0.5...5.
    static let stars = Gen.float(in: 0.5...5)

    /// Characters of titles: the separators of every format (`,` `"` `|` `:`), parentheses
    /// and digits (a `(1995)` year), spaces at either end, Latin-1 range letters, CJK, emoji.
    static let titleCharacters: [Character] = Array("aZq 09(),\"'|:-éßñø日本🎮")
    static let title = Gen<Character?>.element(of: titleCharacters).map { $0! }.array(of: 0...12).map { String($0) }
    /// Genre names: letters only (the formats trim and split them).
    static let genre = Gen<Character?>.element(of: Array("ABCdefé")).map { $0! }.array(of: 1...6).map { String($0) }

    /// A line ending (LF or CRLF) and whether the last line has one.
    static let lineLayout = zip(Gen.bool, Gen.bool)
}

/// One interaction as the rating files hold it.
struct RoundTripInteraction: Sendable {
    var user: Int64, item: Int64, weight: Float, time: Int64
}

/// Interactions over a few users and items (so ids repeat), and a line layout.
struct RoundTripInteractions: Sendable, CustomStringConvertible {
    var rows: [RoundTripInteraction]
    var crlf: Bool, finalNewline: Bool

    static let generator = zip(
        RoundTripGen.id.array(of: 1...6), RoundTripGen.id.array(of: 1...10),
        zip(Gen.int(in: 0...99), Gen.int(in: 0...99), RoundTripGen.weight, RoundTripGen.id).array(of: 1...40),
        RoundTripGen.lineLayout
    ).map { users, items, picks, layout in
        RoundTripInteractions(
            rows: picks.map { RoundTripInteraction(user: users[$0.0 % users.count], item: items[$0.1 % items.count],
                                                   weight: $0.2, time: $0.3) },
            crlf: layout.0, finalNewline: layout.1)
    }

    /// `lines` joined with this layout's line ending.
    func file(_ lines: [String]) -> String {
        let end = crlf ? "\r\n" : "\n"
        return lines.joined(separator: end) + (finalNewline ? end : "")
    }

    var description: String {
        rows.map { "(\($0.user), \($0.item), \($0.weight), \($0.time))" }.joined(separator: " ")
            + (crlf ? " CRLF" : " LF") + (finalNewline ? "" : " no final newline")
    }
}

/// A film of a catalog file.
struct RoundTripFilm: Sendable {
    var id: Int64, title: String, genres: [String], quoted: Bool
}

/// A Steam row group: one (player, title) with a purchase row and/or play rows.
struct RoundTripPlay: Sendable {
    var player: Int64, title: String, purchased: Bool, hours: [Float]
}

@Suite("Readers and files: round-trip properties") struct ReaderRoundTripPropertyTests {
    /// Writes `text` to `name` in a fresh folder, runs `body` on its URL, removes the folder.
    func withFile<T>(_ name: String, _ text: String, _ body: (URL) throws -> T) throws -> T {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        return try body(try fixture.write(name, text))
    }

    // MARK: - MovieLens and Last.fm interaction files

    /// Ratings written as `u.data` (tabs), `ratings.dat` (`::`) and `ratings.csv` (commas,
    /// with or without header) read back as exactly the records written, in order, streamed
    /// or collected; so do the same rows as Last.fm's `user_artists.dat`.
    @Test func ratingFilesReadBackWhatWasWritten() async throws {
        await propertyCheck(count: 120, input: RoundTripInteractions.generator, Gen.bool) { set, header in
            let expected = set.rows.map {
                FilmRating(viewer: ViewerID($0.user), film: FilmID($0.item), stars: $0.weight,
                           date: Date(timeIntervalSince1970: TimeInterval($0.time)))
            }
            let tabs = set.file(set.rows.map { "\($0.user)\t\($0.item)\t\($0.weight)\t\($0.time)" })
            let colons = set.file(set.rows.map { "\($0.user)::\($0.item)::\($0.weight)::\($0.time)" })
            let commas = set.file((header ? ["userId,movieId,rating,timestamp"] : [])
                                  + set.rows.map { "\($0.user),\($0.item),\($0.weight),\($0.time)" })
            try withFile("u.data", tabs) { url in
                let read = try MovieLens100K.readRatings(from: url)
                #expect(read.records == expected, "u.data")
                var streamed: [FilmRating] = []
                let report = try MovieLens100K.forEachRating(in: url) { streamed.append($0) }
                #expect(streamed == expected && report.recordsRead == expected.count && report.skippedLines == 0)
            }
            try withFile("ratings.dat", colons) { url in
                let read = try MovieLens1M.readRatings(from: url)
                #expect(read.records == expected, "ratings.dat")
            }
            try withFile("ratings.csv", commas) { url in
                let read = try MovieLensLatest.readRatings(from: url)
                #expect(read.records == expected, "ratings.csv")
                #expect(read.report.linesRead == expected.count + (header ? 1 : 0))
            }
            let listens = set.file((header ? ["userID\tartistID\tweight"] : [])
                                   + set.rows.map { "\($0.user)\t\($0.item)\t\($0.weight)" })
            try withFile("user_artists.dat", listens) { url in
                let read = try LastFM2K.readListens(from: url)
                #expect(read.records
                        == set.rows.map { Listen(listener: ListenerID($0.user), track: TrackID($0.item), plays: $0.weight) })
            }
        }
    }

    /// Films written as `movies.csv` (titles quoted when they must be, or at random; `""` for
    /// a quote) and `movies.dat` (`::`, titles with single colons) read back with the same
    /// ids, titles, genres, and the year of the title's last `(dddd)`.
    @Test func filmCatalogFilesReadBackWhatWasWritten() async throws {
        let films = zip(RoundTripGen.id, RoundTripGen.title, RoundTripGen.genre.array(of: 0...3), Gen.bool)
            .map { RoundTripFilm(id: $0, title: $1, genres: $2, quoted: $3) }
            .array(of: 1...15)
        await propertyCheck(count: 120, input: films, RoundTripGen.lineLayout) { films, layout in
            let set = RoundTripInteractions(rows: [], crlf: layout.0, finalNewline: layout.1)
            let csv = set.file(["movieId,title,genres"] + films.map { f in
                let mustQuote = f.title.contains(",") || f.title.hasPrefix("\"")
                let title = mustQuote || f.quoted ? "\"" + f.title.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f.title
                return "\(f.id),\(title),\(f.genres.joined(separator: "|"))"
            })
            try withFile("movies.csv", csv) { url in
                let read = try MovieLensLatest.readFilms(from: url)
                #expect(read.records == films.map {
                    CatalogItem(id: FilmID($0.id), title: $0.title, tags: $0.genres, year: ByteParsing.yearInTitle($0.title))
                })
            }
            // `::` separates fields, so a title keeps single colons only.
            let datTitles = films.map { f in
                var t = f.title
                while t.contains("::") { t = t.replacingOccurrences(of: "::", with: ":-") }
                return t
            }
            let dat = set.file(zip(films, datTitles).map { f, t in "\(f.id)::\(t)::\(f.genres.joined(separator: "|"))" })
            try withFile("movies.dat", dat) { url in
                let read = try MovieLens1M.readFilms(from: url)
                #expect(read.records == zip(films, datTitles).map { f, t in
                    CatalogItem(id: FilmID(f.id), title: t, tags: f.genres, year: ByteParsing.yearInTitle(t))
                })
            }
        }
    }

    // MARK: - Steam

    /// Steam rows (purchase and play rows per player and title, shuffled, titles quoted with
    /// `""` escapes) read back as one record per (player, title): hours summed, purchase
    /// flag, games numbered by title in code-point order, records sorted by player then game.
    @Test func steamFilesReadBackWhatWasWritten() async throws {
        let plays = zip(
            RoundTripGen.id.array(of: 1...5), RoundTripGen.title.array(of: 1...6),
            zip(Gen.int(in: 0...99), Gen.int(in: 0...99), Gen.bool, RoundTripGen.weight.array(of: 0...2)).array(of: 1...25),
            Gen.uint64()
        ).map { players, titles, picks, seed in
            (picks.map { RoundTripPlay(player: players[$0.0 % players.count], title: titles[$0.1 % titles.count],
                                       purchased: $0.2 || $0.3.isEmpty, hours: $0.3) }, seed)
        }
        await propertyCheck(count: 120, input: plays, RoundTripGen.lineLayout) { generated, layout in
            let (groups, seed) = generated
            // One group per (player, title bytes): titles compare byte for byte.
            var seen = Set<[UInt8]>(), unique: [RoundTripPlay] = []
            for g in groups where seen.insert(Array("\(g.player)|".utf8) + Array(g.title.utf8)).inserted { unique.append(g) }
            var rows: [String] = []
            for g in unique {
                let title = "\"" + g.title.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                if g.purchased { rows.append("\(g.player),\(title),purchase,1.0,0") }
                for h in g.hours { rows.append("\(g.player),\(title),play,\(h),0") }
            }
            var rng = TestRNG(seed)
            rows.shuffle(using: &rng)
            let set = RoundTripInteractions(rows: [], crlf: layout.0, finalNewline: layout.1)
            let titles = Array(Set(unique.map { Array($0.title.utf8) })).sorted { $0.lexicographicallyPrecedes($1) }
            let game = Dictionary(uniqueKeysWithValues: titles.enumerated().map { ($1, GameID(Int64($0))) })
            let expected = unique.map { g in
                // The reader sums the rows' values in Double (parsed as the standard library does).
                let hours = g.hours.reduce(0.0) { $0 + Double("\($1)")! }
                return GamePlay(player: PlayerID(g.player), game: game[Array(g.title.utf8)]!, hours: Float(hours),
                                purchased: g.purchased)
            }.sorted { ($0.player, $0.game) < ($1.player, $1.game) }
            try withFile("steam-200k.csv", set.file(rows)) { url in
                let read = try Steam200K.read(from: url)
                #expect(read.records.plays == expected)
                #expect(read.records.games == titles.enumerated().map {
                    CatalogItem(id: GameID(Int64($0)), title: String(decoding: $1, as: UTF8.self))
                })
                #expect(read.report.recordsRead == rows.count)
            }
        }
    }

    // MARK: - Leave-one-out benchmark folders

    /// A random benchmark folder (dense ids; items' original ids anywhere in `Int64`; one
    /// held-out item and 99 negatives per user; `valid/` re-splitting `train.tsv`; test
    /// users in random order; with or without `users.tsv`) loads as exactly what was written.
    @Test func benchmarkFoldersLoadWhatWasWritten() async throws {
        let folders = zip(Gen.int(in: 103...130), Gen.int(in: 1...6), RoundTripGen.id.array(of: 130),
                          zip(RoundTripGen.title, RoundTripGen.genre.array(of: 0...2)).array(of: 130),
                          zip(Gen.bool, Gen.uint64()))
        await propertyCheck(count: 60, input: folders) { itemCount, userCount, originals, names, options in
            let (writesUsers, seed) = options
            var rng = TestRNG(seed)
            let items = (0..<itemCount).map { i in
                BenchmarkItem(id: Int32(i), originalID: "\(originals[i])", name: names[i].0, genres: names[i].1)
            }
            var train: [[Int32: Float]] = [], test: [(user: Int32, item: Int32)] = [], negatives: [[Int32]] = []
            var validTrain: [[Int32: Float]] = [], validTest: [(user: Int32, item: Int32)] = [], validNegatives: [[Int32]] = []
            for u in 0..<userCount {
                let shuffled = (0..<Int32(itemCount)).shuffled(using: &rng)
                // 2...15 training items, leaving at least 101 for the test item and 99 negatives.
                let trainCount = 2 + Int(rng.next() % UInt64(min(15, itemCount - 101) - 1))
                var row: [Int32: Float] = [:]
                for item in shuffled.prefix(trainCount) { row[item] = Float(rng.unit() * 10) }
                train.append(row)
                let rest = Array(shuffled.dropFirst(trainCount))      // at least 101 items
                // User 0 always has held-out items (an empty test.tsv is refused as empty data).
                if u == 0 || rng.next() % 4 != 0 {
                    test.append((Int32(u), rest[0]))
                    negatives.append(Array(rest.dropFirst().shuffled(using: &rng).prefix(99)))
                }
                var valid = row
                if u == 0 || rng.next() % 4 != 0, let held = row.keys.sorted().randomElement(using: &rng) {
                    valid[held] = nil
                    validTest.append((Int32(u), held))
                    validNegatives.append(Array(rest.shuffled(using: &rng).prefix(99)))
                }
                validTrain.append(valid)
            }
            // test.tsv may list users in any order; test.negative follows it.
            let testOrder = test.indices.shuffled(using: &rng), validOrder = validTest.indices.shuffled(using: &rng)
            test = testOrder.map { test[$0] }
            negatives = testOrder.map { negatives[$0] }
            validTest = validOrder.map { validTest[$0] }
            validNegatives = validOrder.map { validNegatives[$0] }

            let fixture = try ReaderFixture()
            defer { fixture.remove() }
            let lines = { (rows: [String]) in rows.joined(separator: "\n") + "\n" }
            let trainLines = { (rows: [[Int32: Float]]) in
                lines(rows.enumerated().flatMap { u, row in row.sorted { $0.key < $1.key }.map { "\(u)\t\($0.key)\t\($0.value)" } })
            }
            let pairLines = { (pairs: [(user: Int32, item: Int32)]) in lines(pairs.map { "\($0.user)\t\($0.item)" }) }
            let negativeLines = { (pairs: [(user: Int32, item: Int32)], rows: [[Int32]]) in
                lines(zip(pairs, rows).map { p, row in ([p.user] + row).map(String.init).joined(separator: "\t") })
            }
            try fixture.write("items.tsv", lines(items.map { i in
                "\(i.id)\t\(i.originalID)\t\(i.name)" + (i.genres.isEmpty && i.id % 2 == 0 ? "" : "\t" + i.genres.joined(separator: "|"))
            }))
            if writesUsers { try fixture.write("users.tsv", lines((0..<userCount).map { "\($0)\t\(originals[$0])" })) }
            try fixture.write("train.tsv", trainLines(train))
            try fixture.write("test.tsv", pairLines(test))
            try fixture.write("test.negative", negativeLines(test, negatives))
            try fixture.write("valid/train.tsv", trainLines(validTrain))
            try fixture.write("valid/test.tsv", pairLines(validTest))
            try fixture.write("valid/test.negative", negativeLines(validTest, validNegatives))

            let data = try BenchmarkDataset.load(from: fixture.folder)
            #expect(data.userCount == userCount && data.itemCount == itemCount)
            #expect(data.items == items)
            #expect(data.items.map { Int64($0.originalID) } == originals.prefix(itemCount).map { $0 })
            let rows = { (m: InteractionMatrix) in
                (0..<m.userCount).map { u in Dictionary(uniqueKeysWithValues: zip(m.items(ofUser: u), m.weights(ofUser: u))) }
            }
            #expect(rows(data.test.train) == train && rows(data.validation.train) == validTrain)
            #expect(data.test.test.map(\.user) == test.map(\.user) && data.test.test.map(\.item) == test.map(\.item))
            #expect(data.test.negatives == negatives)
            #expect(data.validation.test.map(\.user) == validTest.map(\.user))
            #expect(data.validation.test.map(\.item) == validTest.map(\.item))
            #expect(data.validation.negatives == validNegatives)
        }
    }

    // MARK: - Saved recommenders

    /// A fitted film recommender (random algorithm and settings, ids anywhere in `Int64`, a
    /// partial catalog) saved and loaded gives identical answers, scores bit for bit: every
    /// user's picks with explanations, batch picks, an unknown user's popular picks, fold-in,
    /// similar items and raw scores.
    @Test func savedRecommendersAnswerExactlyAsTheOriginal() async throws {
        let recommenders = zip(
            RoundTripGen.id.array(of: 1...10), RoundTripGen.id.array(of: 2...14),
            zip(Gen.int(in: 0...99), Gen.int(in: 0...99), RoundTripGen.stars).array(of: 1...60),
            zip(Gen.int(in: 0...6), Gen.uint64()),
            zip(RoundTripGen.title, RoundTripGen.genre.array(of: 0...2), Gen.bool).array(of: 14)
        )
        await propertyCheck(count: 100, input: recommenders) { users, items, picks, model, titles in
            var rng = TestRNG(model.1)
            let algorithm = Self.algorithm(model.0, &rng)
            let ratings = picks.map {
                FilmRating(viewer: ViewerID(users[$0.0 % users.count]), film: FilmID(items[$0.1 % items.count]), stars: $0.2)
            }
            let catalog = Catalog(zip(items, titles).filter { $1.2 }.map { id, t in
                CatalogItem(id: FilmID(id), title: t.0, tags: t.1, year: ByteParsing.yearInTitle(t.0))
            })
            let original = FilmRecommender(algorithm: algorithm, catalog: catalog)
            try original.fit(ratings)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID().uuidString).recs").path
            defer { unlink(path) }
            try original.save(to: path)
            let loaded = try FilmRecommender.load(from: path)

            let known = original.engine.knownUsers, knownItems = original.engine.knownItems
            #expect(loaded.engine.knownUsers == known && loaded.engine.knownItems == knownItems, "\(algorithm)")
            #expect(loaded.catalog.items == original.catalog.items)
            let count = 1 + Int(rng.next() % UInt64(knownItems.count + 1))
            for user in known {
                #expect(try Self.fingerprint(loaded.recommend(for: user, count: count, explain: true))
                        == Self.fingerprint(original.recommend(for: user, count: count, explain: true)), "\(algorithm) \(user)")
                #expect(try loaded.scores(for: user, items: knownItems).map(\.bitPattern)
                        == original.scores(for: user, items: knownItems).map(\.bitPattern), "\(algorithm) \(user)")
            }
            let batchLoaded = try loaded.recommend(for: known, count: count)
            let batchOriginal = try original.recommend(for: known, count: count)
            for user in known {
                #expect(Self.fingerprint(batchLoaded[user] ?? []) == Self.fingerprint(batchOriginal[user] ?? []), "\(algorithm)")
            }
            if let stranger = RoundTripGen.edgeIDs.map(ViewerID.init).first(where: { !known.contains($0) }) {
                #expect(try Self.fingerprint(loaded.recommend(for: stranger, count: count, unknownUser: .popular))
                        == Self.fingerprint(original.recommend(for: stranger, count: count, unknownUser: .popular)))
            }
            for item in knownItems {
                #expect(try Self.fingerprint(loaded.similarItems(to: item, count: count))
                        == Self.fingerprint(original.similarItems(to: item, count: count)), "\(algorithm) \(item)")
            }
            // Fold-in: a newcomer's history, with one film the model never saw.
            let unseen = RoundTripGen.edgeIDs.map(FilmID.init).first { !knownItems.contains($0) }
            let history = Array(ratings.shuffled(using: &rng).prefix(3)).map { FilmRating(viewer: ViewerID(0), film: $0.film, stars: $0.stars) }
                + (unseen.map { [FilmRating(viewer: ViewerID(0), film: $0, stars: 4)] } ?? [])
            #expect(try Self.fingerprint(loaded.recommend(fromHistory: history, count: count, explain: true))
                    == Self.fingerprint(original.recommend(fromHistory: history, count: count, explain: true)), "\(algorithm)")
        }
    }

    /// A random algorithm among every model (and a weight transform), small settings.
    static func algorithm(_ kind: Int, _ rng: inout TestRNG) -> any RecommenderAlgorithm {
        let small = { (range: ClosedRange<Int>, rng: inout TestRNG) in range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        switch kind {
        case 0: return Popularity()
        case 1: return ItemKNN(neighbors: small(1...10, &rng), shrinkage: Float(rng.unit() * 5), binary: rng.next() % 2 == 0,
                               prunesPerTarget: rng.next() % 2 == 0)
        case 2: return ImplicitALS(factors: small(1...6, &rng), regularization: Float(0.1 + rng.unit() * 5),
                                   alpha: Float(0.5 + rng.unit() * 3), iterations: small(1...3, &rng),
                                   solver: .conjugateGradient(steps: small(1...3, &rng)), seed: rng.next())
        case 3: return ImplicitALS(factors: small(1...6, &rng), regularization: Float(0.1 + rng.unit() * 5),
                                   iterations: small(1...3, &rng), solver: .cholesky, seed: rng.next())
        case 4: return EASE(lambda: Float(0.5 + rng.unit() * 20), binary: rng.next() % 2 == 0)
        case 5: return BPR(factors: small(1...6, &rng), iterations: small(1...5, &rng),
                           popularNegatives: rng.next() % 2 == 0, skipsLikedNegatives: rng.next() % 2 == 0, seed: rng.next())
        default: return Transformed(ImplicitALS(factors: small(1...4, &rng), iterations: 2), .log)
        }
    }

    /// Everything a recommendation carries, scores as bit patterns (so NaN compares too).
    static func fingerprint(_ recs: [Recommendation<FilmID>]) -> [String] {
        recs.map { "\($0.item.rawValue) \($0.score.bitPattern) \($0.title ?? "-") \($0.tags) \($0.because.map(\.rawValue))" }
    }
}
