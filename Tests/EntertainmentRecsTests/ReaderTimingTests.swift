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
