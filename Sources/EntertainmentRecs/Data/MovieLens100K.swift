import Foundation

/// Readers for MovieLens 100K (GroupLens, 1998): `u.data` ratings and the `u.item` catalog.
///
/// ```swift
/// let folder = URL(fileURLWithPath: "data/ml-100k")
/// let ratings = try MovieLens100K.readRatings(from: folder.appendingPathComponent("u.data")).records
/// let films = try MovieLens100K.readFilms(from: folder.appendingPathComponent("u.item")).records
/// let catalog = Catalog(films)
/// ```
public enum MovieLens100K {
    /// The genres of `u.genre`, in the order of `u.item`'s 19 flag columns.
    public static let genres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
        "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    /// Field names for errors about the genre flags.
    private static let genreFields = genres.map { "genre \($0)" }

    /// Reads `u.data`: tab-separated `user item rating timestamp`, one rating per line; the
    /// date comes from the Unix timestamp.
    /// - Parameters:
    ///   - url: the `u.data` file (or any of the `u1.base` … `ub.test` splits).
    ///   - options: what to do with malformed lines.
    /// - Returns: the ratings in file order, with the read's report.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)``, ``RecommenderError/emptyData(_:)``,
    ///   ``RecommenderError/malformedLine(file:line:field:reason:)`` (fields `userId`,
    ///   `movieId`, `rating`, `timestamp`), ``RecommenderError/invalidWeight(context:value:)``
    ///   for a NaN or negative rating.
    /// - Complexity: O(lines); memory beyond the result is one 1 MiB buffer.
    public static func readRatings(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[FilmRating]> {
        try RatingLineFormat.tabs.readRatings(from: url, options: options)
    }

    /// Streams `u.data`'s ratings to `body` without keeping them (see ``readRatings(from:options:)``).
    ///
    /// ```swift
    /// var total: Float = 0
    /// let report = try MovieLens100K.forEachRating(in: url) { total += $0.stars }
    /// ```
    /// - Returns: the read's report.
    public static func forEachRating(in url: URL, options: ReadOptions = ReadOptions(),
                                     _ body: (FilmRating) throws -> Void) throws -> ReadReport {
        try RatingLineFormat.tabs.forEachRating(in: url, options: options, body)
    }

    /// Reads `u.item`: `|`-separated, Latin-1 encoded
    /// `id|title|release date|video release date|IMDb URL|` and 19 genre flags (`0`/`1`) in the
    /// order of ``genres``. Tags are the flagged genres; the year is the title's `(1995)`, else
    /// the release date's year (`01-Jan-1995`), else `nil`.
    /// - Parameters:
    ///   - url: the `u.item` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: the films in file order, with the read's report.
    /// - Throws: as ``readRatings(from:options:)``; malformed fields are `movieId`, `title`,
    ///   `release date`, `video release date`, `IMDb URL` and `genre <name>`.
    public static func readFilms(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[CatalogItem<FilmID>]> {
        var films: [CatalogItem<FilmID>] = []
        let bar: UInt8 = 0x7C
        let report = try RecordSource(url, options: options).read { cursor in
            let id = try ByteParsing.int64(cursor.field("movieId", bar), field: "movieId")
            let titleBytes = try cursor.field("title", bar)
            let released = try cursor.field("release date", bar)
            _ = try cursor.field("video release date", bar)
            _ = try cursor.field("IMDb URL", bar)
            var tags: [String] = []
            for (name, field) in zip(genres, genreFields) {
                let flag = ByteParsing.trimmed(try cursor.field(field, bar))
                guard flag.count == 1, flag[0] == 0x30 || flag[0] == 0x31 else {
                    throw LineIssue.malformed(field, "'\(ByteParsing.text(flag))' is not 0 or 1")
                }
                if flag[0] == 0x31 { tags.append(name) }
            }
            try cursor.expectEnd(expected: 5 + genres.count)
            let title = ByteParsing.text(titleBytes)
            let year = ByteParsing.yearInTitle(title) ?? ByteParsing.yearAtEnd(released)
            films.append(CatalogItem(id: FilmID(id), title: title, tags: tags, year: year))
        }
        return ReadResult(records: films, report: report)
    }
}
