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

    /// Item-feature offsets that rise past the end of the feature array and come back
    /// (`0, 5, 2` over 2 features) passed the per-item "offsets do not decrease" check,
    /// then read out of range (reranker files).
    @Test func featureOffsetsPastTheEndAreAnInvalidFile() {
        var writer = ByteWriter()
        writer.write(UInt64(2)); writer.write(UInt64(2)); writer.write("a"); writer.write("b")
        writer.write([Int64(0), 5, 2]); writer.write([Int32(0), 1])
        var reader = ByteReader(bytes: writer.bytes) { _, _ in RecommenderError.emptyData("truncated") }
        #expect(throws: RecommenderError.invalidModelFile(
            path: "", reason: "item features: row offsets decrease or pass the end at item 0")) {
            try MLPRerankerModel.decodeFeatures(from: &reader)
        }
    }

    /// `bytes` with its last 4 bytes replaced by the CRC-32 of the rest (what the harness
    /// does when its selector byte is odd).
    func repairingChecksum(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(bytes.dropLast(4))
        let crc = CRC32.checksum(out)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * i))) }
        return out
    }

    func expectInvalidGameFile(_ bytes: [UInt8], mentioning text: String) {
        let path = tempPath("game.recs")
        defer { unlink(path) }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let games = try GameRecommender.load(from: path)
            _ = try? games.engine.recommend(history: [games.engine.knownItems[0]: 1], count: 3)
            Issue.record("the damaged file loaded")
        } catch let RecommenderError.invalidModelFile(_, reason) {
            #expect(reason.contains(text), "\(reason)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// FuzzRecommenderFile's input (minimised, selector byte first): a reranker over EASE
    /// whose item-feature offsets are `0, 1, 3, 4, 6, 0x2c0000000007, 8`; loading trapped
    /// with an index out of range in `MLPRerankerModel.decodeFeatures`. It was written when
    /// reranker files held 3 base-evidence inputs; the count (u64 at byte 666 of the file)
    /// is set to this version's before the checksum is redone, so the file still reaches
    /// the feature offsets.
    @Test func rerankerFeatureOffsetsFromTheFuzzer() throws {
        let base64 = [
            "AUVSTU9ERUwxAQAAAAgAAABQbGF5ZXJJRAYAAABHYW1lSUSBAAAAcmVyYW5rKGJhc2U6IGVhc2UobGFtYmRhOiAxLjAsIGJpbmFy",
            "eTogdHJ1ZSksIGZlYXR1cmVzOiA1LCBjYW5kaWRhdGVzOiAzLCBmb2xkczogMSwgbmVnYXRpdmVzOiAxLCBlcG9jaHM6IDEsIGJh",
            "dGNoOiA0LCBscjogMC4wMDEpBQAAAAAAAAABAAAAAAAAAAIAAAAAAAAAAwAAAAAAAAAEAAAAAAAAAAUAAAAAAAAABgAAAAAAAAAA",
            "AAAAAAAAAAEAAAAAAAAAAwAAAAAAAAACAAAAAAAAAAQAAAAAAAAABQAAAAAAAAAFAAAAAAAAAAYAAAAAAAAABgAAAAAAAAAAAAAA",
            "AAAAAAMAAAAAAAAABgAAAAAAAAAJAAAAAAAAAAwAAAAAAAAADgAAAAAAAAAOAAAAAAAAAAAAAAABAAAAAgAAAAEAAAADAAAABAAA",
            "AAAAAAACAAAABQAAAAMAAAAEAAAABQAAAAAAAAAFAAAADgAAAAAAAAAMudg/qk8GQAy5GEAIASdADLnYP6pPBkAMuRhACAEnQAy5",
            "2D+qTwZADLkYQAgBJ0AMudg/qk8GQAYAAAByZXJhbmsEAAAAZWFzZQYAAAAAAAAAASQAAAAAAAAAAAAAAIqdmD4w3so+vQ/8vb0P",
            "/L2e8Qw/2xiaPgAAAAB7K3s+x41cPsiNXD7kGc++18bQPgIAgD4AAAAAy41cvcmNXL3nGc89ZBEfvp3YiT7LPoe9AAAAAH/gBz/4",
            "0Y8+ZhEfvp/YiT7MPoe9gOAHPwAAAAD70Y8+o5LzPhM7sb4G4609S+xEPkzsRD4AAAAABgAAAAAAAAADAAAAAAAAAAMAAAAAAAAA",
            "BgAAAAAAAAAFAAAAAAAAAAkAAABhZHZlbnR1cmUGAAAAcmFjaW5nAwAAAHNpbQYAAABzY2ktZmkFAAAAc3RvcnkHAAAAAAAAAAAA",
            "AAAAAAAAAQAAAAAAAAADAAAAAAAAAAQAAAAAAAAABgAAAAAAAAAHAAAAACwAAAgAAAAAAAAACAAAAAAAAAAAAAAAAQAAAAMAAAAC",
            "AAAAAAAAAAIAAAABAAAABAAAAAYAADCc3VM=",
        ].joined()
        let input = [UInt8](try #require(Data(base64Encoded: base64)))
        #expect(input.count == 851 && input[0] & 1 == 1)
        var file = Array(input.dropFirst())
        #expect(file[666..<674] == [3, 0, 0, 0, 0, 0, 0, 0])
        for i in 0..<8 { file[666 + i] = UInt8(truncatingIfNeeded: UInt64(RerankInputs.evidenceWidth) >> (8 * i)) }
        expectInvalidGameFile(repairingChecksum(file), mentioning: "pass the end at item 4")
    }

    /// A NeuMF file with no users (and a user map of none) loaded, then trapped (index out
    /// of range) on fold-in, which starts from the mean user. Found with the fold-in step
    /// added to FuzzRecommenderFile; the bytes are the whole file (valid checksum).
    @Test func neuMFWithoutUsersIsAnInvalidFile() throws {
        let hex = [
            "45524d4f44454c310100000008000000506c6179657249440600000047616d654944050000006e65756d66000000000000000003000000000000000000000000",
            "00000001000000000000000200000000000000000000000000000003000000000000000100000000000000000000000000000000000000000000000000000000",
            "000000050000006e65756d66000000000000000003000000000000000200000000000000000000000000000000000000000000000600000000000000cdcccc3d",
            "cdcccc3dcdcccc3dcdcccc3dcdcccc3dcdcccc3d0000000000000000000000000000000002000000000000000000803f0000803f000000000000000000000000",
            "840e24a2",
        ].joined()
        let bytes = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        #expect(bytes.count == 260)
        expectInvalidGameFile(bytes, mentioning: "NeuMF model has no users")
    }

    /// The committed neural seeds (`Fuzz/Corpus/FuzzRecommenderFile/neural-*`, one per
    /// model kind) still load and serve, so the fuzzer starts from valid files of the
    /// current format.
    @Test func committedNeuralSeedsLoad() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/Corpus/FuzzRecommenderFile").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasPrefix("neural-") }.sorted()
        #expect(names.count == 6)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: corpus.appendingPathComponent(name)))
            let path = tempPath(name)
            defer { unlink(path) }
            try Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: path))
            let games = try GameRecommender.load(from: path)
            #expect(try !games.recommend(for: games.engine.knownUsers[0], count: 2).isEmpty, "\(name)")
            #expect(try !games.engine.recommend(history: [games.engine.knownItems[0]: 1], count: 2).isEmpty, "\(name)")
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
