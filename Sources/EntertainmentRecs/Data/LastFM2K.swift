import Foundation

/// Readers for HetRec 2011 Last.fm 2K: `user_artists.dat` play counts, `artists.dat`, and
/// the artists' tags from `tags.dat` and `user_taggedartists.dat`. Files are tab-separated
/// with a header line (a file without it is read as data), CRLF or LF line ends.
///
/// ```swift
/// let folder = URL(fileURLWithPath: "data/hetrec2011-lastfm-2k")
/// let listens = try LastFM2K.readListens(from: folder.appendingPathComponent("user_artists.dat")).records
/// let artists = try LastFM2K.readCatalog(in: folder).records   // tagged when the tag files exist
/// ```
public enum LastFM2K {
    private static let tab: UInt8 = 0x09
    private static let dateFields = ["day", "month", "year"]

    /// Reads `user_artists.dat`: `userID\tartistID\tweight`, the weight being the play count.
    /// - Parameters:
    ///   - url: the `user_artists.dat` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: one ``Listen`` per line, in file order, with the read's report.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)``, ``RecommenderError/emptyData(_:)``,
    ///   ``RecommenderError/malformedLine(file:line:field:reason:)`` (fields `userID`,
    ///   `artistID`, `weight`), ``RecommenderError/invalidWeight(context:value:)`` for a NaN or
    ///   negative weight.
    /// - Complexity: O(lines); memory beyond the result is one 1 MiB buffer.
    public static func readListens(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[Listen]> {
        var listens: [Listen] = []
        let report = try RecordSource(url, options: options, header: "userID\tartistID\tweight").read { cursor in
            let user = try ByteParsing.int64(cursor.field("userID", tab), field: "userID")
            let artist = try ByteParsing.int64(cursor.field("artistID", tab), field: "artistID")
            let plays = try ByteParsing.floatWeight(cursor.field("weight", tab), field: "weight")
            try cursor.expectEnd(expected: 3)
            listens.append(Listen(listener: ListenerID(user), track: TrackID(artist), plays: plays))
        }
        return ReadResult(records: listens, report: report)
    }

    /// Reads `artists.dat`: `id\tname\turl\tpictureURL` (the URLs are optional and ignored).
    /// - Parameters:
    ///   - url: the `artists.dat` file (UTF-8; Latin-1 names also decode).
    ///   - options: what to do with malformed lines.
    /// - Returns: the artists as catalog items without tags, in file order.
    /// - Throws: as ``readListens(from:options:)``; malformed fields are `id` and `name`.
    public static func readArtists(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[CatalogItem<TrackID>]> {
        var artists: [CatalogItem<TrackID>] = []
        let report = try RecordSource(url, options: options, header: "id\tname\turl\tpictureURL").read { cursor in
            let id = try ByteParsing.int64(cursor.field("id", tab), field: "id")
            let name = ByteParsing.text(try cursor.field("name", tab))
            artists.append(CatalogItem(id: TrackID(id), title: name))
        }
        return ReadResult(records: artists, report: report)
    }

    /// Reads the tags of every artist: `tags.dat` (`tagID\ttagValue`, Latin-1) names the tags,
    /// `user_taggedartists.dat` (`userID\tartistID\ttagID\tday\tmonth\tyear`) assigns them.
    /// - Parameters:
    ///   - tagsURL: the `tags.dat` file.
    ///   - assignmentsURL: the `user_taggedartists.dat` file.
    ///   - options: what to do with malformed lines (an assignment of a tag id that
    ///     `tags.dat` lacks is malformed, field `tagID`).
    /// - Returns: per artist, its tag names, most often assigned first (ties: lower tag id first).
    /// - Throws: as ``readListens(from:options:)``.
    /// - Complexity: O(lines + distinct (artist, tag) pairs · log).
    public static func readArtistTags(tags tagsURL: URL, assignments assignmentsURL: URL,
                                      options: ReadOptions = ReadOptions()) throws -> ReadResult<[TrackID: [String]]> {
        var names: [Int64: String] = [:]
        var report = try RecordSource(tagsURL, options: options, header: "tagID\ttagValue").read { cursor in
            let id = try ByteParsing.int64(cursor.field("tagID", tab), field: "tagID")
            names[id] = ByteParsing.text(try cursor.rest("tagValue"))
        }
        var counts: [Int64: [Int64: Int]] = [:]
        let header = "userID\tartistID\ttagID\tday\tmonth\tyear"
        let assignments = try RecordSource(assignmentsURL, options: options, header: header).read { cursor in
            _ = try ByteParsing.int64(cursor.field("userID", tab), field: "userID")
            let artist = try ByteParsing.int64(cursor.field("artistID", tab), field: "artistID")
            let tag = try ByteParsing.int64(cursor.field("tagID", tab), field: "tagID")
            for field in dateFields {
                _ = try ByteParsing.int64(cursor.field(field, tab), field: field)
            }
            try cursor.expectEnd(expected: 6)
            guard names[tag] != nil else { throw LineIssue.malformed("tagID", "tag \(tag) is not in tags.dat") }
            counts[artist, default: [:]][tag, default: 0] += 1
        }
        report.merge(assignments)
        var tags: [TrackID: [String]] = [:]
        tags.reserveCapacity(counts.count)
        for (artist, perTag) in counts {
            let ranked = perTag.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            tags[TrackID(artist)] = ranked.compactMap { names[$0.key] }
        }
        return ReadResult(records: tags, report: report)
    }

    /// The catalog with each artist's tags set from `tags` (artists without tags keep theirs).
    ///
    /// ```swift
    /// let tagged = LastFM2K.attachingTags(tags, to: artists, limit: 10)
    /// ```
    /// - Parameters:
    ///   - tags: tag names per artist, most relevant first (from ``readArtistTags(tags:assignments:options:)``).
    ///   - artists: the catalog items.
    ///   - limit: the most tags to keep per artist; `nil` keeps all.
    /// - Returns: the items in the same order.
    public static func attachingTags(_ tags: [TrackID: [String]], to artists: [CatalogItem<TrackID>],
                                     limit: Int? = nil) -> [CatalogItem<TrackID>] {
        precondition(limit.map { $0 >= 0 } ?? true, "attachingTags: negative limit")
        return artists.map { artist in
            guard let names = tags[artist.id] else { return artist }
            var tagged = artist
            tagged.tags = limit.map { Array(names.prefix($0)) } ?? names
            return tagged
        }
    }

    /// Reads `artists.dat` from the folder and, when both `tags.dat` and
    /// `user_taggedartists.dat` are present, attaches each artist's tags (most used first).
    /// - Parameters:
    ///   - folder: the `hetrec2011-lastfm-2k` folder.
    ///   - options: what to do with malformed lines.
    /// - Returns: the artists in file order; the report covers every file read.
    /// - Throws: as ``readArtists(from:options:)`` and ``readArtistTags(tags:assignments:options:)``.
    public static func readCatalog(in folder: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[CatalogItem<TrackID>]> {
        var result = try readArtists(from: folder.appendingPathComponent("artists.dat"), options: options)
        let tagsURL = folder.appendingPathComponent("tags.dat")
        let assignmentsURL = folder.appendingPathComponent("user_taggedartists.dat")
        let manager = FileManager.default
        guard manager.fileExists(atPath: tagsURL.path), manager.fileExists(atPath: assignmentsURL.path) else {
            return result
        }
        let tags = try readArtistTags(tags: tagsURL, assignments: assignmentsURL, options: options)
        result.records = attachingTags(tags.records, to: result.records)
        result.report.merge(tags.report)
        return result
    }
}
