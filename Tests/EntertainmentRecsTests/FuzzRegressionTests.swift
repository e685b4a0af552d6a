import DeepCore
@testable import EntertainmentRecs
import Foundation
import Testing

/// Inputs found by `Fuzz/` (FuzzRecommenderFile) that once crashed loading or using a
/// recommender file with a valid checksum but inconsistent contents.
@Suite("Recommender file: fuzz regressions") struct FuzzRegressionTests {
    /// A fresh path per call: the tests run in parallel.
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("recs-fuzz-\(UUID().uuidString)-\(name)").path
    }

    func savedFilms(_ algorithm: any RecommenderAlgorithm) throws -> [UInt8] {
        let (catalog, ratings) = SyntheticData.films(viewers: 20, films: 12, seed: 5)
        let films = FilmRecommender(algorithm: algorithm, catalog: catalog)
        try films.fit(ratings)
        let path = tempPath("seed.recs")
        defer { unlink(path) }
        try films.save(to: path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// `bytes` with the u64 after the model kind `kind` set to `value` and the checksum redone.
    func patchingFirstSize(after kind: String, in bytes: [UInt8], to value: UInt64) throws -> [UInt8] {
        var writer = ByteWriter()
        writer.write(kind)
        let tag = writer.bytes
        let at = try #require((0...(bytes.count - tag.count)).first { Array(bytes[$0..<($0 + tag.count)]) == tag })
        var out = Array(bytes.dropLast(4))
        for i in 0..<8 { out[at + tag.count + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        let crc = CRC32.checksum(out)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * i))) }
        return out
    }

    func load(_ bytes: [UInt8]) throws -> FilmRecommender {
        let path = tempPath("patched.recs")
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try FilmRecommender.load(from: path)
    }

    func expectInvalidFile(_ bytes: [UInt8], mentioning text: String) {
        do {
            _ = try load(bytes)
            Issue.record("the damaged file loaded")
        } catch let RecommenderError.invalidModelFile(_, reason) {
            #expect(reason.contains(text), "\(reason)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// A u64 size above `Int.max` trapped in `Int(_:)` ("Not enough bits to represent").
    @Test(arguments: [("ials", "user count"), ("ease", "item count"), ("bpr", "item count")])
    func sizeAboveIntMaxIsAnInvalidFile(kind: String, what: String) throws {
        let algorithm: any RecommenderAlgorithm = switch kind {
        case "ials": ImplicitALS(factors: 2, iterations: 1)
        case "ease": EASE(lambda: 1)
        default: BPR(factors: 2, iterations: 1)
        }
        let bytes = try savedFilms(algorithm)
        expectInvalidFile(try patchingFirstSize(after: kind, in: bytes, to: .max), mentioning: what)
        expectInvalidFile(try patchingFirstSize(after: kind, in: bytes, to: UInt64(Int.max)), mentioning: what)
    }

    /// An iALS model with factors for fewer users than the file maps loaded, then trapped
    /// (index out of range) when asked for the last user.
    @Test func factorsForTooFewUsersAreAnInvalidFile() throws {
        let (catalog, ratings) = SyntheticData.films(viewers: 20, films: 12, seed: 5)
        let films = FilmRecommender(algorithm: ImplicitALS(factors: 2, iterations: 1), catalog: catalog)
        try films.fit(ratings)
        let state = try films.engine.fitted()
        let k = 2, users = state.users.count - 1
        let short = IALSModel(users: users, itemCount: state.items.count, factors: k, regularization: 1, alpha: 1,
                              userFactors: [Float](repeating: 0.5, count: users * k),
                              itemFactors: [Float](repeating: 0.5, count: state.items.count * k))
        let damaged = FittedState(users: state.users, items: state.items, matrix: state.matrix, model: short)
        let bytes = try RecommenderFile.encode(damaged, algorithm: "ials", catalog: catalog)
        expectInvalidFile(bytes, mentioning: "factors for \(users) users")
    }

    /// Row offsets that rise past the end of the item array and come back (`0, 5, 3` over
    /// 3 items) passed the per-row "offsets do not decrease" check, then read out of range.
    @Test func rowOffsetsPastTheEndAreAnInvalidFile() {
        var writer = ByteWriter()
        writer.write(UInt64(2)); writer.write(UInt64(4))
        writer.write([Int64(0), 5, 3]); writer.write([Int32(0), 1, 2]); writer.write([Float(1), 1, 1])
        var reader = ByteReader(bytes: writer.bytes) { _, _ in RecommenderError.emptyData("truncated") }
        #expect(throws: RecommenderError.invalidModelFile(
            path: "m", reason: "interaction matrix: row offsets decrease or pass the end at row 0")) {
            try InteractionMatrix.decode(from: &reader, path: "m")
        }
    }

    /// The committed seeds still load, so the fuzzer starts from valid files.
    @Test func committedSeedsLoad() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/Corpus/FuzzRecommenderFile").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasPrefix("film-") }
        #expect(names.count == 5)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: corpus.appendingPathComponent(name)))
            let films = try load(Array(bytes.dropFirst()))
            #expect(try !films.recommend(for: films.engine.knownUsers[0], count: 2).isEmpty)
        }
    }
}
