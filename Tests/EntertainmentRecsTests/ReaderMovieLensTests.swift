@testable import EntertainmentRecs
import Foundation
import Testing

@Suite("Reader: MovieLens 100K, 1M/10M, latest") struct ReaderMovieLensTests {
    static let skip = ReadOptions(onMalformedLine: .skip)

    @Test func readsUData() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let url = try fixture.write("u.data", "196\t242\t3\t881250949\r\n186\t302\t3\t891717742\r\n\r\n22\t377\t1\t878887116")
        let result = try MovieLens100K.readRatings(from: url)
        #expect(result.records == [
            FilmRating(viewer: ViewerID(196), film: FilmID(242), stars: 3, date: Date(timeIntervalSince1970: 881250949)),
            FilmRating(viewer: ViewerID(186), film: FilmID(302), stars: 3, date: Date(timeIntervalSince1970: 891717742)),
            FilmRating(viewer: ViewerID(22), film: FilmID(377), stars: 1, date: Date(timeIntervalSince1970: 878887116)),
        ])
        #expect(result.report == ReadReport(linesRead: 4, recordsRead: 3, skippedLines: 0))
        var total: Float = 0
        let report = try MovieLens100K.forEachRating(in: url) { total += $0.stars }
        #expect(total == 7 && report.recordsRead == 3)
    }

    @Test func namesTheFileLineAndFieldOfMalformedRatings() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let cases: [(String, String)] = [
            ("1\t2\t3\t4\n4\t5\t3\n", "timestamp"),                        // too few fields
            ("1\t2\t3\t4\n4\t5\tthree\t6\n", "rating"),                 // not a number
            ("1\t2\t3\t4\n99999999999999999999\t5\t3\t6\n", "userId"),  // overflow
            ("1\t2\t3\t4\n1\tx2\t3\t4\n", "movieId"),
            ("1\t2\t3\t4\n1\t2\t3\t4\t5\n", "line"),                    // too many fields
        ]
        for (text, field) in cases {
            let url = try fixture.write("u.data", text)
            let error = readerError { _ = try MovieLens100K.readRatings(from: url) }
            let at = malformedAt(error)
            #expect(at?.file == "u.data" && at?.line == 2 && at?.field == field, "\(text.debugDescription): \(String(describing: error))")
            let skipped = try MovieLens100K.readRatings(from: url, options: Self.skip)
            #expect(skipped.records.count == 1 && skipped.report.skippedLines == 1)
            #expect(malformedAt(skipped.report.skippedSamples.first)?.field == field)
        }
    }

    @Test func rejectsNaNAndNegativeRatings() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        for bad in ["nan", "-1", "inf"] {
            let url = try fixture.write("u.data", "1\t2\t3\t4\n1\t3\t\(bad)\t4\n")
            let error = readerError { _ = try MovieLens100K.readRatings(from: url) }
            guard case .invalidWeight(let context, _)? = error else {
                Issue.record("expected invalidWeight for \(bad), got \(String(describing: error))")
                continue
            }
            #expect(context.hasSuffix("u.data:2: field 'rating'"))
            #expect(try MovieLens100K.readRatings(from: url, options: Self.skip).report.skippedLines == 1)
        }
    }

    @Test func readsUItemInLatin1WithGenresAndYears() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let flags = { (on: Set<Int>) in (0..<19).map { on.contains($0) ? "1" : "0" }.joined(separator: "|") }
        var bytes = Array("1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/x|\(flags([3, 4, 5]))\n".utf8)
        bytes += Array("543|Mis".utf8) + [0xE9] + Array("rables, Les|01-Jan-1995||u|\(flags([8]))\r\n".utf8)
        bytes += Array("267|unknown||||\(flags([0]))".utf8)
        let url = try fixture.write("u.item", bytes: bytes)
        let films = try MovieLens100K.readFilms(from: url).records
        #expect(films == [
            CatalogItem(id: FilmID(1), title: "Toy Story (1995)", tags: ["Animation", "Children's", "Comedy"], year: 1995),
            CatalogItem(id: FilmID(543), title: "Misérables, Les", tags: ["Drama"], year: 1995),
            CatalogItem(id: FilmID(267), title: "unknown", tags: ["unknown"], year: nil),
        ])
        let badFlags = Array(repeating: "0", count: 18).joined(separator: "|") + "|2"
        let badFlag = try fixture.write("bad.item", "1|T (1995)|||u|\(badFlags)\n")
        #expect(malformedAt(readerError { _ = try MovieLens100K.readFilms(from: badFlag) })?.field == "genre Western")
        let short = try fixture.write("short.item", "1|T (1995)|||u|0|1\n")
        #expect(malformedAt(readerError { _ = try MovieLens100K.readFilms(from: short) })?.field == "genre Adventure")
    }

    @Test func readsDoubleColonFiles() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let ratings = try fixture.write("ratings.dat", "1::1193::5::978300760\n71567::2107::3.5::912580553\n")
        #expect(try MovieLens1M.readRatings(from: ratings).records == [
            FilmRating(viewer: ViewerID(1), film: FilmID(1193), stars: 5, date: Date(timeIntervalSince1970: 978300760)),
            FilmRating(viewer: ViewerID(71567), film: FilmID(2107), stars: 3.5, date: Date(timeIntervalSince1970: 912580553)),
        ])
        var bytes = Array("260::Star Wars: Episode IV - A New Hope (1977)::Action|Adventure|Sci-Fi\n".utf8)
        bytes += Array("3::Ca".utf8) + [0xF1] + Array("a (1999)::(no genres listed)\n".utf8)
        let movies = try fixture.write("movies.dat", bytes: bytes)
        #expect(try MovieLens10M.readFilms(from: movies).records == [
            CatalogItem(id: FilmID(260), title: "Star Wars: Episode IV - A New Hope (1977)",
                        tags: ["Action", "Adventure", "Sci-Fi"], year: 1977),
            CatalogItem(id: FilmID(3), title: "Caña (1999)", tags: [], year: 1999),
        ])
        let bad = try fixture.write("bad.dat", "1::Title only\n")
        #expect(malformedAt(readerError { _ = try MovieLens1M.readFilms(from: bad) })?.field == "genres")
        let badRating = try fixture.write("bad-ratings.dat", "1::2::3::4\n1:2::3::4\n")
        #expect(malformedAt(readerError { _ = try MovieLens1M.readRatings(from: badRating) })?.field == "userId")
    }

    @Test func readsCSVFilesWithQuotedTitles() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let ratings = try fixture.write("ratings.csv", "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,3,0.5,964981247\r\n")
        let read = try MovieLensLatest.readRatings(from: ratings)
        #expect(read.records.map(\.stars) == [4, 0.5] && read.report.linesRead == 3 && read.report.recordsRead == 2)
        let movies = try fixture.write("movies.csv", """
            movieId,title,genres
            1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
            11,"American President, The (1995)",Comedy|Drama|Romance
            2,"Great ""Quote"", A (2001)",(no genres listed)
            5,Babylon 5,Sci-Fi
            """)
        #expect(try MovieLensLatest.readFilms(from: movies).records == [
            CatalogItem(id: FilmID(1), title: "Toy Story (1995)",
                        tags: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"], year: 1995),
            CatalogItem(id: FilmID(11), title: "American President, The (1995)", tags: ["Comedy", "Drama", "Romance"], year: 1995),
            CatalogItem(id: FilmID(2), title: #"Great "Quote", A (2001)"#, tags: [], year: 2001),
            CatalogItem(id: FilmID(5), title: "Babylon 5", tags: ["Sci-Fi"], year: nil),
        ])
        let bad = try fixture.write("bad.csv", "movieId,title,genres\n1,\"Open, quote,Drama\n2,x,y,z\n3,ok,Drama\n")
        let error = readerError { _ = try MovieLensLatest.readFilms(from: bad) }
        #expect(malformedAt(error)?.line == 2 && malformedAt(error)?.field == "title")
        let lenient = try MovieLensLatest.readFilms(from: bad, options: Self.skip)
        #expect(lenient.records.map(\.id) == [FilmID(3)] && lenient.report.skippedLines == 2)
        #expect(malformedAt(lenient.report.skippedSamples.last)?.field == "line")
    }
}
