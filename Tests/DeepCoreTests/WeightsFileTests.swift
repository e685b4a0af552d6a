@testable import DeepCore
import Foundation
import Testing

@Suite("Saving and loading weights") struct WeightsFileTests {
    func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepcore-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func model(seed: UInt64, hidden: Int = 5) -> Sequential {
        Sequential([Input(shape: [3]), Dense(units: hidden, activation: .relu), Dense(units: 2)], seed: seed)
    }

    @Test func roundTripRestoresEveryWeight() throws {
        let path = tempPath("round.dcw")
        let a = model(seed: 1), b = model(seed: 2)
        #expect(a.parameters.map(\.tensor) != b.parameters.map(\.tensor))
        try a.saveWeights(to: path)
        try b.loadWeights(from: path)
        #expect(a.parameters.map(\.tensor) == b.parameters.map(\.tensor))
        let x = Tensor.normal([4, 3], seed: 3)
        #expect(try a.predict(x) == b.predict(x))
        // No temporary file of this save is left beside the target (other tests of the
        // suite save into the same folder at the same time, so only this target's count).
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(!siblings.contains { $0.hasPrefix(".round.dcw.tmp-") })
    }

    @Test func anotherArchitectureIsRefused() throws {
        let path = tempPath("arch.dcw")
        try model(seed: 1).saveWeights(to: path)
        let other = model(seed: 1, hidden: 6)
        let before = other.parameters.map(\.tensor)
        #expect(throws: WeightsFileError.architectureMismatch(
            path: path, detail: "file has 'dense/kernel' [3, 5] where the model has 'dense/kernel' [3, 6]")) {
            try other.loadWeights(from: path)
        }
        #expect(other.parameters.map(\.tensor) == before)
        let deeper = Sequential([Input(shape: [3]), Dense(units: 5), Dense(units: 2), Dense(units: 1)])
        #expect(throws: WeightsFileError.self) { try deeper.loadWeights(from: path) }
    }

    @Test func damagedFilesAreRefusedWithAClearError() throws {
        let path = tempPath("damaged.dcw")
        let m = model(seed: 1)
        try m.saveWeights(to: path)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))

        func check(_ bytes: [UInt8], _ expected: (WeightsFileError) -> Bool, _ what: String) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                try m.loadWeights(from: path)
                Issue.record("\(what): loaded without error")
            } catch let e as WeightsFileError {
                #expect(expected(e), "\(what): \(e)")
            }
        }
        try check(Array(good.prefix(good.count - 9)), { if case .truncated = $0 { true } else { false } }, "truncated")
        try check(Array(good.prefix(20)), {
            switch $0 { case .truncated, .malformedHeader: true; default: false }
        }, "header only")
        try check([], { if case .notAWeightsFile = $0 { true } else { false } }, "empty")
        var flipped = good
        flipped[good.count - 20] ^= 0x10
        try check(flipped, { $0 == .checksumMismatch(path: path) }, "bit flip")
        var magic = good
        magic[0] = 0x58
        try check(magic, { $0 == .notAWeightsFile(path: path) }, "bad magic")
        var newer = good
        newer[8] = 9
        try check(newer, { $0 == .unsupportedVersion(path: path, version: 9) }, "newer version")
        var huge = good
        huge[12] = 0xFF; huge[13] = 0xFF; huge[14] = 0xFF   // parameter count ≈ 16M
        try check(huge, { if case .malformedHeader = $0 { true } else { false } }, "absurd count")
        try check(good + [0], { if case .truncated = $0 { true } else { false } }, "trailing byte")
        #expect(throws: WeightsFileError.self) { try m.loadWeights(from: tempPath("missing.dcw")) }
    }

    @Test func overwritingKeepsAValidFile() throws {
        let path = tempPath("overwrite.dcw")
        try model(seed: 1).saveWeights(to: path)
        let b = model(seed: 2)
        try b.saveWeights(to: path)
        let c = model(seed: 3)
        try c.loadWeights(from: path)
        #expect(c.parameters.map(\.tensor) == b.parameters.map(\.tensor))
    }

    @Test func writingIntoAMissingFolderFailsCleanly() {
        #expect(throws: WeightsFileError.self) {
            try model(seed: 1).saveWeights(to: "/nonexistent-folder-\(getpid())/w.dcw")
        }
    }
}
