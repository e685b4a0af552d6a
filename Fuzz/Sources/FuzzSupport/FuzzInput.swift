import DeepCore
import Foundation

/// Helpers shared by the harnesses: fuzz bytes become files in a private scratch folder,
/// since every reader under test takes a path.
public enum FuzzInput {
    /// A scratch folder for this process, created once and reused by every input.
    public static let folder: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("er-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The input as an array.
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Writes `bytes` to `name` inside ``folder`` (or a sub-folder in `name`) and returns its URL.
    @discardableResult
    public static func write(_ bytes: some Collection<UInt8>, to name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                 withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else {
            fatalError("fuzz harness: cannot write \(url.path)")
        }
        return url
    }

    /// Removes `name` from ``folder`` if present.
    public static func remove(_ name: String) {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
    }

    /// `bytes` with its last 4 bytes replaced by the CRC-32 of the rest, so mutations reach
    /// the parser behind a file's checksum instead of stopping at it. Inputs shorter than
    /// 4 bytes are returned unchanged.
    public static func withValidChecksum(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 4 else { return bytes }
        var out = Array(bytes.dropLast(4))
        let crc = CRC32.checksum(out)
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * i))) }
        return out
    }

    /// Splits `bytes` at every NUL byte (the harnesses' separator between files).
    public static func parts(_ bytes: [UInt8], count: Int) -> [ArraySlice<UInt8>] {
        Array(bytes.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false))
    }
}
