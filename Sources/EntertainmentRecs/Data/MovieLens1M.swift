import Foundation

/// Readers for MovieLens 1M and 10M: `::`-separated `ratings.dat` and `movies.dat`.
///
/// ```swift
/// let folder = URL(fileURLWithPath: "data/ml-1m")
/// let ratings = try MovieLens1M.readRatings(from: folder.appendingPathComponent("ratings.dat")).records
/// let films = try MovieLens1M.readFilms(from: folder.appendingPathComponent("movies.dat")).records
/// ```
public enum MovieLens1M {
    /// Reads `ratings.dat`: `UserID::MovieID::Rating::Timestamp`, one rating per line (10M
    /// has half stars); the date comes from the Unix timestamp.
    /// - Parameters:
    ///   - url: the `ratings.dat` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: the ratings in file order, with the read's report.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)``, ``RecommenderError/emptyData(_:)``,
    ///   ``RecommenderError/malformedLine(file:line:field:reason:)`` (fields `userId`,
    ///   `movieId`, `rating`, `timestamp`), ``RecommenderError/invalidWeight(context:value:)``.
    /// - Complexity: O(lines); memory beyond the result is one 1 MiB buffer.
    public static func readRatings(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[FilmRating]> {
        try RatingLineFormat.doubleColons.readRatings(from: url, options: options)
    }

    /// Streams `ratings.dat`'s ratings to `body` without keeping them; for 10M and larger
    /// files when the ratings go straight into another structure.
    /// - Returns: the read's report.
    public static func forEachRating(in url: URL, options: ReadOptions = ReadOptions(),
                                     _ body: (FilmRating) throws -> Void) throws -> ReadReport {
        try RatingLineFormat.doubleColons.forEachRating(in: url, options: options, body)
    }

    /// Reads `movies.dat`: `MovieID::Title::Genres` with `|`-separated genres (1M is Latin-1,
    /// 10M UTF-8; both decode). The title may contain `:`; the year is the title's `(1995)`.
    /// `(no genres listed)` gives no tags.
    /// - Parameters:
    ///   - url: the `movies.dat` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: the films in file order, with the read's report.
    /// - Throws: as ``readRatings(from:options:)``; malformed fields are `movieId`, `title`, `genres`.
    public static func readFilms(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[CatalogItem<FilmID>]> {
        var films: [CatalogItem<FilmID>] = []
        let colon: UInt8 = 0x3A
        let report = try RecordSource(url, options: options).read { cursor in
            let id = try ByteParsing.int64(cursor.field("movieId", colon, doubled: true), field: "movieId")
            // The title is everything up to the last `::`, so titles may hold colons.
            let rest = try cursor.rest("title")
            var split = rest.count - 2
            while split >= 0, !(rest[split] == colon && rest[split + 1] == colon) { split -= 1 }
            guard split >= 0 else { throw LineIssue.malformed("genres", "missing (the line has only 2 fields)") }
            let title = ByteParsing.text(FieldBytes(rebasing: rest[..<split]))
            let tags = MovieLensGenres.parse(FieldBytes(rebasing: rest[(split + 2)...]))
            films.append(CatalogItem(id: FilmID(id), title: title, tags: tags, year: ByteParsing.yearInTitle(title)))
        }
        return ReadResult(records: films, report: report)
    }
}

/// MovieLens 10M uses the 1M file layout.
public typealias MovieLens10M = MovieLens1M

/// The `|`-separated genre lists of `movies.dat` and `movies.csv`.
enum MovieLensGenres {
    /// The genres in file order; empty for an empty field or `(no genres listed)`.
    static func parse(_ bytes: FieldBytes) -> [String] {
        var cursor = FieldCursor(ByteParsing.trimmed(bytes))
        var genres: [String] = []
        while let genre = cursor.next(0x7C) {
            let name = ByteParsing.text(ByteParsing.trimmed(genre))
            if !name.isEmpty, name != "(no genres listed)" { genres.append(name) }
        }
        return genres
    }
}
