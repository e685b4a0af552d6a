import EntertainmentRecs
import Foundation
import Testing

// Temporary timing harness (deleted after measuring). Runs only with READER_TIMING=1.
@Suite struct ReaderTimingTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["READER_TIMING"] == "1"))
    func timeReaders() throws {
        func time(_ label: String, lines: Int, repeats: Int = 3, _ body: () throws -> Int) rethrows {
            var best = Double.infinity, count = 0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                count = try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            print("TIMING \(label): \(count) records, best \(String(format: "%.3f", best)) s, \(String(format: "%.2f", Double(lines) / best / 1e6)) M lines/s")
        }
        let d = URL(fileURLWithPath: "/work/shared/data")
        let items = try MovieLens100K.readFilms(from: d.appendingPathComponent("ml-100k/u.item"))
        print("COUNT u.item", items.records.count, items.report.skippedLines, items.records.first { $0.id == FilmID(543) } as Any,
              items.records.filter { $0.year == nil }.count)
        let listens = try LastFM2K.readListens(from: d.appendingPathComponent("hetrec2011-lastfm-2k/user_artists.dat"))
        print("COUNT user_artists", listens.records.count, Set(listens.records.map(\.listener)).count,
              Set(listens.records.map(\.track)).count, listens.records.reduce(0.0) { $0 + Double($1.plays) }, listens.report.skippedLines)
        let artists = try LastFM2K.readCatalog(in: d.appendingPathComponent("hetrec2011-lastfm-2k"))
        print("COUNT artists", artists.records.count, artists.report.skippedLines)
        let steam = try Steam200K.read(from: d.appendingPathComponent("steam-200k/steam-200k.csv"))
        print("COUNT steam rows", steam.report.recordsRead, "pairs", steam.records.plays.count, "games", steam.records.games.count,
              "players", Set(steam.records.plays.map(\.player)).count, steam.report.skippedLines)
        for name in ["ml-100k", "lastfm-2k", "steam-200k"] {
            let start = DispatchTime.now().uptimeNanoseconds
            let b = try BenchmarkDataset.load(from: "/work/shared/benchmarks/\(name)")
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            print("COUNT bench \(name): users \(b.userCount) items \(b.itemCount) train \(b.test.train.count) test \(b.test.test.count) negatives \(b.test.negatives.count) valid train \(b.validation.train.count) valid test \(b.validation.test.count) (\(Int(ms)) ms)")
        }
        let udata = URL(fileURLWithPath: "/work/shared/data/ml-100k/u.data")
        try time("ml-100k u.data readRatings", lines: 100_000, repeats: 7) { try MovieLens100K.readRatings(from: udata).records.count }
        let big = URL(fileURLWithPath: "/tmp/readers-10m.data")
        try time("10M lines forEachRating", lines: 10_000_000) {
            var n = 0
            _ = try MovieLens100K.forEachRating(in: big) { _ in n += 1 }
            return n
        }
        try time("10M lines readRatings (array)", lines: 10_000_000, repeats: 2) { try MovieLens100K.readRatings(from: big).records.count }
    }
}
