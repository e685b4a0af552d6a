import Foundation

/// Reader for the Steam Video Games data (`steam-200k.csv`, Tamber, Kaggle).
///
/// ```swift
/// let result = try Steam200K.read(from: URL(fileURLWithPath: "data/steam-200k/steam-200k.csv"))
/// let plays = result.records.plays        // one per (player, game)
/// let catalog = Catalog(result.records.games)
/// ```
public enum Steam200K {
    /// Play records aggregated per (player, game), and the games they name.
    public struct Records: Sendable {
        /// One record per (player, game title), sorted by player id then game id.
        public var plays: [GamePlay]
        /// Every title in the file; `GameID(i)` is the `i`-th title in code-point order.
        public var games: [CatalogItem<GameID>]

        /// Pairs plays with their catalog.
        public init(plays: [GamePlay], games: [CatalogItem<GameID>]) {
            self.plays = plays
            self.games = games
        }
    }

    /// Per (player, title): play hours and whether a purchase row was seen.
    private struct Aggregate {
        var player: Int64
        var title: Int32
        var hours: Double
        var purchased: Bool
    }

    private struct PairKey: Hashable {
        var player: Int64
        var title: Int32
    }

    /// Reads `steam-200k.csv`: no header; `user_id,"game title",behavior,value,0` where
    /// behavior is `purchase` (value 1.0) or `play` (value = hours). Rows are aggregated per
    /// (user, title): `hours` is the sum of the play rows (0 when only bought), `purchased`
    /// whether any purchase row exists. Titles are CSV fields (quoted, may hold commas and
    /// `""`), compared byte for byte; game ids number the distinct titles from 0 in
    /// code-point order, as in the benchmark of `../shared/benchmarks`.
    /// - Parameters:
    ///   - url: the `steam-200k.csv` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: plays and titles, with the read's report.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)``, ``RecommenderError/emptyData(_:)``,
    ///   ``RecommenderError/malformedLine(file:line:field:reason:)`` (fields `user_id`,
    ///   `title`, `behavior`, `value`, `line` for a wrong field count),
    ///   ``RecommenderError/invalidWeight(context:value:)`` for NaN or negative hours.
    /// - Complexity: O(lines + titles · log titles).
    public static func read(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<Records> {
        var titles: [[UInt8]] = []
        var titleIndex: [[UInt8]: Int32] = [:]
        var aggregates: [Aggregate] = []
        var aggregateIndex: [PairKey: Int] = [:]
        var lastTitle: [UInt8] = [], lastIndex: Int32 = -1
        let report = try RecordSource(url, options: options).read { cursor in
            let player = try ByteParsing.int64(cursor.csvField("user_id").bytes, field: "user_id")
            let title = try cursor.csvField("title")
            let behavior = ByteParsing.trimmed(try cursor.csvField("behavior").bytes)
            let value = try ByteParsing.weight(cursor.csvField("value").bytes, field: "value")
            _ = try cursor.csvField("flag")
            try cursor.expectEnd(expected: 5)
            let isPlay: Bool
            if ByteParsing.equalsIgnoringCase(behavior, "play") {
                isPlay = true
            } else if ByteParsing.equalsIgnoringCase(behavior, "purchase") {
                isPlay = false
            } else {
                throw LineIssue.malformed("behavior", "'\(ByteParsing.text(behavior))' is neither purchase nor play")
            }
            // Consecutive rows usually name the same title: skip the dictionary then.
            let bytes = ByteParsing.csvBytes(title.bytes, hasEscapedQuotes: title.hasEscapedQuotes)
            if lastIndex < 0 || bytes != lastTitle {
                if let known = titleIndex[bytes] {
                    lastIndex = known
                } else {
                    lastIndex = Int32(titles.count)
                    titleIndex[bytes] = lastIndex
                    titles.append(bytes)
                }
                lastTitle = bytes
            }
            let key = PairKey(player: player, title: lastIndex)
            if let at = aggregateIndex[key] {
                if isPlay { aggregates[at].hours += value } else { aggregates[at].purchased = true }
            } else {
                aggregateIndex[key] = aggregates.count
                aggregates.append(Aggregate(player: player, title: lastIndex, hours: isPlay ? value : 0,
                                            purchased: !isPlay))
            }
        }
        return ReadResult(records: records(titles: titles, aggregates: aggregates), report: report)
    }

    /// Numbers titles in code-point order (UTF-8 byte order is code-point order) and sorts plays.
    private static func records(titles: [[UInt8]], aggregates: [Aggregate]) -> Records {
        let order = titles.indices.sorted { titles[$0].lexicographicallyPrecedes(titles[$1]) }
        var gameOf = [Int64](repeating: 0, count: titles.count)
        for (rank, old) in order.enumerated() { gameOf[old] = Int64(rank) }
        let games = order.enumerated().map { rank, old in
            CatalogItem(id: GameID(Int64(rank)), title: titles[old].withUnsafeBufferPointer { ByteParsing.text($0) })
        }
        var plays = aggregates.map {
            GamePlay(player: PlayerID($0.player), game: GameID(gameOf[Int($0.title)]), hours: Float($0.hours),
                     purchased: $0.purchased)
        }
        plays.sort { ($0.player, $0.game) < ($1.player, $1.game) }
        return Records(plays: plays, games: games)
    }
}
