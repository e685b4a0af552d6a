import Foundation

/// The line layout shared by MovieLens ratings files, `user SEP film SEP stars SEP timestamp`
/// (`u.data`: tabs; `ratings.dat`: `::`; `ratings.csv`: commas under a header).
struct RatingLineFormat {
    var separator: UInt8
    var isDoubled = false
    var header: String?

    /// `u.data` of MovieLens 100K.
    static let tabs = RatingLineFormat(separator: 0x09)
    /// `ratings.dat` of MovieLens 1M and 10M.
    static let doubleColons = RatingLineFormat(separator: 0x3A, isDoubled: true)
    /// `ratings.csv` of the current MovieLens releases.
    static let csv = RatingLineFormat(separator: 0x2C, header: "userId,movieId,rating,timestamp")

    /// Streams every rating of the file at `url` to `body`, in file order.
    /// - Complexity: O(file size), memory O(1) beyond the 1 MiB read buffer.
    func forEachRating(in url: URL, options: ReadOptions,
                       _ body: (FilmRating) throws -> Void) throws -> ReadReport {
        let (separator, isDoubled) = (self.separator, self.isDoubled)
        return try RecordSource(url, options: options, header: header).read { cursor in
            let viewer = try ByteParsing.int64(cursor.field("userId", separator, doubled: isDoubled), field: "userId")
            let film = try ByteParsing.int64(cursor.field("movieId", separator, doubled: isDoubled), field: "movieId")
            let stars = try ByteParsing.floatWeight(cursor.field("rating", separator, doubled: isDoubled), field: "rating")
            let seconds = try ByteParsing.int64(cursor.field("timestamp", separator, doubled: isDoubled),
                                                field: "timestamp")
            try cursor.expectEnd(expected: 4)
            try body(FilmRating(viewer: ViewerID(viewer), film: FilmID(film), stars: stars,
                                date: Date(timeIntervalSince1970: TimeInterval(seconds))))
        }
    }

    /// Every rating of the file at `url`, in file order.
    func readRatings(from url: URL, options: ReadOptions) throws -> ReadResult<[FilmRating]> {
        var ratings: [FilmRating] = []
        let report = try forEachRating(in: url, options: options) { ratings.append($0) }
        return ReadResult(records: ratings, report: report)
    }
}
