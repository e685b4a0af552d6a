@testable import DeepCore
import Foundation
import Testing

/// Inputs found by `Fuzz/` (FuzzWeights) that once crashed `loadWeights`.
@Suite("Weights file: fuzz regressions") struct WeightsFileFuzzRegressionTests {
    /// A one-parameter weights file with `shape`, a long name (so large dimensions pass the
    /// "dimension exceeds the file size" check) and a valid checksum.
    func file(shape: [UInt64], nameLength: Int) -> [UInt8] {
        var out = WeightsFile.magic
        out.appendLE(WeightsFile.version)
        out.appendLE(UInt32(1))
        out.appendLE(UInt32(nameLength))
        out += [UInt8](repeating: 0x6E, count: nameLength)
        out.appendLE(UInt32(shape.count))
        for d in shape { out.appendLE(d) }
        out.appendLE(CRC32.checksum(out))
        return out
    }

    /// Dimensions whose product overflows `Int` (with a zero last, so the wrapped product
    /// was 0 and the size check passed) trapped in `reduce(1, *)`.
    @Test func overflowingShapeIsAMalformedHeader() throws {
        let bytes = file(shape: [2000, 2000, 2000, 2000, 2000, 2000, 0], nameLength: 2000)
        #expect(throws: WeightsFileError.self) { try WeightsFile.decode(bytes, path: "w") }
        do {
            _ = try WeightsFile.decode(bytes, path: "w")
        } catch let WeightsFileError.malformedHeader(_, detail) {
            #expect(detail.contains("overflows"))
        }
    }

    /// A product just below `Int.max` must not overflow the running payload total.
    @Test func hugeShapeIsTruncatedNotAnOverflow() {
        let bytes = file(shape: [2000, 2000, 2000, 2000, 2000], nameLength: 2000)
        #expect(throws: WeightsFileError.self) { try WeightsFile.decode(bytes, path: "w") }
    }

    /// The same file through the public API leaves the model untouched.
    @Test func loadWeightsRefusesItAndKeepsTheModel() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-regression-\(getpid()).dcw").path
        defer { unlink(path) }
        try Data(file(shape: [2000, 2000, 2000, 2000, 2000, 2000, 0], nameLength: 2000)).write(to: URL(fileURLWithPath: path))
        let model = Sequential([Input(shape: [3]), Dense(units: 4), Dense(units: 2)])
        let before = model.parameters.map(\.tensor)
        #expect(throws: WeightsFileError.self) { try model.loadWeights(from: path) }
        #expect(model.parameters.map(\.tensor) == before)
    }
}
