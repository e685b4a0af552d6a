import Foundation

/// Errors reading or writing a weights file, each naming the file and what is wrong.
public enum WeightsFileError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read, written or renamed.
    case io(path: String, reason: String)
    /// Not a DeepCore weights file (bad magic bytes).
    case notAWeightsFile(path: String)
    /// Written by a newer format version than this library reads.
    case unsupportedVersion(path: String, version: UInt32)
    /// Shorter than its header declares, or with trailing bytes.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The stored checksum does not match the contents.
    case checksumMismatch(path: String)
    /// The file's parameters do not match the model's architecture.
    case architectureMismatch(path: String, detail: String)
    /// A header field is out of range.
    case malformedHeader(path: String, detail: String)

    public var description: String {
        switch self {
        case let .io(path, reason): "\(path): \(reason)"
        case let .notAWeightsFile(path): "\(path): not a DeepCore weights file"
        case let .unsupportedVersion(path, v): "\(path): format version \(v) is newer than this library reads (\(WeightsFile.version))"
        case let .truncated(path, e, a): "\(path): expected \(e) bytes, found \(a) (truncated or damaged)"
        case let .checksumMismatch(path): "\(path): checksum mismatch (the file is damaged)"
        case let .architectureMismatch(path, d): "\(path): does not fit this model: \(d)"
        case let .malformedHeader(path, d): "\(path): malformed header: \(d)"
        }
    }
}

/// The binary weights format, little-endian:
///
///     magic "DCWEIGHT" (8) · version u32 · parameter count u32
///     per parameter: name length u32 · name UTF-8 · rank u32 · dims u64 × rank
///     payload: every parameter's float32 values in order
///     CRC-32 (IEEE) of everything before it, u32
///
/// Writes go through ``AtomicFile``, so a crash leaves either the old file or the new one.
enum WeightsFile {
    static let magic = Array("DCWEIGHT".utf8)
    static let version: UInt32 = 1

    struct Entry: Equatable {
        let name: String
        let shape: [Int]
    }

    static func encode(entries: [Entry], values: [[Float]]) -> [UInt8] {
        var out = magic
        out.appendLE(version)
        out.appendLE(UInt32(entries.count))
        for e in entries {
            let name = Array(e.name.utf8)
            out.appendLE(UInt32(name.count))
            out += name
            out.appendLE(UInt32(e.shape.count))
            for d in e.shape { out.appendLE(UInt64(d)) }
        }
        for v in values { for f in v { out.appendLE(f.bitPattern) } }
        out.appendLE(CRC32.checksum(out))
        return out
    }

    /// Parses and verifies `bytes`; checks sizes before reading the payload.
    static func decode(_ bytes: [UInt8], path: String) throws -> [(Entry, [Float])] {
        var r = ByteReader(bytes: bytes) { WeightsFileError.truncated(path: path, expectedBytes: $0, actualBytes: $1) }
        guard bytes.count >= magic.count + 12, Array(bytes.prefix(magic.count)) == magic else {
            throw WeightsFileError.notAWeightsFile(path: path)
        }
        r.offset = magic.count
        let v: UInt32 = try r.read()
        guard v <= version, v >= 1 else { throw WeightsFileError.unsupportedVersion(path: path, version: v) }
        let count: UInt32 = try r.read()
        guard Int(count) <= bytes.count / 8 else {
            throw WeightsFileError.malformedHeader(path: path, detail: "\(count) parameters in \(bytes.count) bytes")
        }
        var entries: [Entry] = []
        var payload = 0
        for _ in 0..<count {
            let nameLength: UInt32 = try r.read()
            let name = String(decoding: try r.bytes(Int(nameLength)), as: UTF8.self)
            let rank: UInt32 = try r.read()
            guard rank <= 8 else { throw WeightsFileError.malformedHeader(path: path, detail: "rank \(rank) for '\(name)'") }
            var shape: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let d: UInt64 = try r.read()
                guard d <= UInt64(bytes.count) else {
                    throw WeightsFileError.malformedHeader(path: path, detail: "dimension \(d) of '\(name)' exceeds the file size")
                }
                shape.append(Int(d))
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
                guard !overflow else {
                    throw WeightsFileError.malformedHeader(path: path, detail: "shape \(shape) of '\(name)' overflows")
                }
                elements = product
            }
            guard elements <= bytes.count / 4 - payload else {
                let needed = elements > Int.max / 8 ? Int.max : r.offset + (payload + elements) * 4 + 4
                throw WeightsFileError.truncated(path: path, expectedBytes: needed, actualBytes: bytes.count)
            }
            payload += elements
            entries.append(Entry(name: name, shape: shape))
        }
        let expected = r.offset + payload * 4 + 4
        guard expected == bytes.count else {
            throw WeightsFileError.truncated(path: path, expectedBytes: expected, actualBytes: bytes.count)
        }
        guard r.hasValidChecksum else {
            throw WeightsFileError.checksumMismatch(path: path)
        }
        var result: [(Entry, [Float])] = []
        for e in entries {
            let n = e.shape.reduce(1, *)
            var values = [Float](repeating: 0, count: n)
            for i in 0..<n { values[i] = Float(bitPattern: try r.read()) }
            result.append((e, values))
        }
        return result
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeightsFileError.io(path: path, reason: "cannot read the file")
        }
        return [UInt8](data)
    }
}

