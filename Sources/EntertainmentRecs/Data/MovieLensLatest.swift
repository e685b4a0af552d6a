import Foundation

/// Readers for the current MovieLens releases (`ml-latest`, `ml-latest-small`, 20M, 25M,
/// 32M): comma-separated `ratings.csv` and `movies.csv` with headers.
///
/// ```swift
/// let folder = URL(fileURLWithPath: "data/ml-latest-small")
/// let ratings = try MovieLensLatest.readRatings(from: folder.appendingPathComponent("ratings.csv")).records
/// let films = try MovieLensLatest.readFilms(from: folder.appendingPathComponent("movies.csv")).records
/// ```
public enum MovieLensLatest {
    /// Reads `ratings.csv`: header `userId,movieId,rating,timestamp`, then one rating per
    /// line (half stars, 0.5–5); the date comes from the Unix timestamp. A file without the
    /// header is read as data.
    /// - Parameters:
    ///   - url: the `ratings.csv` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: the ratings in file order, with the read's report.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)``, ``RecommenderError/emptyData(_:)``
    ///   (also for a header alone), ``RecommenderError/malformedLine(file:line:field:reason:)``
    ///   (fields `userId`, `movieId`, `rating`, `timestamp`), ``RecommenderError/invalidWeight(context:value:)``.
    /// - Complexity: O(lines); memory beyond the result is one 1 MiB buffer.
    public static func readRatings(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[FilmRating]> {
        try RatingLineFormat.csv.readRatings(from: url, options: options)
    }

    /// Streams `ratings.csv`'s ratings to `body` without keeping them (25M+ lines in bounded
    /// memory).
    ///
    /// ```swift
    /// var perUser: [ViewerID: Int] = [:]
    /// let report = try MovieLensLatest.forEachRating(in: url) { perUser[$0.viewer, default: 0] += 1 }
    /// ```
    /// - Returns: the read's report.
    public static func forEachRating(in url: URL, options: ReadOptions = ReadOptions(),
                                     _ body: (FilmRating) throws -> Void) throws -> ReadReport {
        try RatingLineFormat.csv.forEachRating(in: url, options: options, body)
    }

    /// Reads `movies.csv`: header `movieId,title,genres`, CSV fields (a title with commas is
    /// quoted, and `""` inside quotes is one `"`), genres `|`-separated. The year is the
    /// title's `(1995)`; `(no genres listed)` gives no tags.
    /// - Parameters:
    ///   - url: the `movies.csv` file.
    ///   - options: what to do with malformed lines.
    /// - Returns: the films in file order, with the read's report.
    /// - Throws: as ``readRatings(from:options:)``; malformed fields are `movieId`, `title`
    ///   (e.g. an unterminated quote) and `genres`.
    public static func readFilms(from url: URL, options: ReadOptions = ReadOptions()) throws -> ReadResult<[CatalogItem<FilmID>]> {
        var films: [CatalogItem<FilmID>] = []
        let report = try RecordSource(url, options: options, header: "movieId,title,genres").read { cursor in
            let id = try ByteParsing.int64(cursor.csvField("movieId").bytes, field: "movieId")
            let title = try cursor.csvField("title")
            let genres = try cursor.csvField("genres")
            try cursor.expectEnd(expected: 3)
            let name = ByteParsing.csvText(title.bytes, hasEscapedQuotes: title.hasEscapedQuotes)
            films.append(CatalogItem(id: FilmID(id), title: name, tags: MovieLensGenres.parse(genres.bytes),
                                     year: ByteParsing.yearInTitle(name)))
        }
        return ReadResult(records: films, report: report)
    }
}
