import Foundation

/// Writes files so that a crash never leaves a half-written one in place: the bytes go to
/// a temporary file in the same folder, are flushed to disk, then renamed over the target,
/// and the folder is flushed too.
public enum AtomicFile {
    /// Replaces `path` with `bytes` atomically.
    /// - Throws: ``WeightsFileError/io(path:reason:)`` naming the step that failed.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temp = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw WeightsFileError.io(path: path, reason: "cannot create \(temp): \(errnoText())") }
        var ok = false
        defer { if !ok { unlink(temp) } }
        var written = 0
        let writeError: String? = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return errnoText() }
                written += n
            }
            return nil
        }
        if let writeError { close(fd); throw WeightsFileError.io(path: path, reason: "write failed: \(writeError)") }
        guard fsync(fd) == 0 else { let e = errnoText(); close(fd); throw WeightsFileError.io(path: path, reason: "fsync failed: \(e)") }
        close(fd)
        guard rename(temp, path) == 0 else { throw WeightsFileError.io(path: path, reason: "rename failed: \(errnoText())") }
        ok = true
        let dfd = open(folder, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Appends little-endian values to a byte array: the writing half of DeepCore's and
/// EntertainmentRecs' binary formats.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func write<T: FixedWidthInteger>(_ v: T) { bytes.appendLE(v) }
    public mutating func write(_ v: Float) { bytes.appendLE(v.bitPattern) }
    public mutating func write(_ s: String) {
        let utf8 = Array(s.utf8)
        write(UInt32(utf8.count))
        bytes += utf8
    }
    public mutating func write(_ values: [Float]) {
        write(UInt64(values.count))
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for v in values { bytes.appendLE(v.bitPattern) }
    }
    public mutating func write<T: FixedWidthInteger>(_ values: [T]) {
        write(UInt64(values.count))
        for v in values { bytes.appendLE(v) }
    }
    /// Appends the CRC-32 of everything written so far.
    public mutating func writeChecksum() { write(CRC32.checksum(bytes)) }
}

/// Reads little-endian values with bounds checks: every read past the end throws the
/// error that `truncated` makes from (bytes needed, bytes present).
public struct ByteReader {
    public let bytes: [UInt8]
    public var offset = 0
    private let truncated: (Int, Int) -> any Error

    public init(bytes: [UInt8], truncated: @escaping (_ needed: Int, _ present: Int) -> any Error) {
        self.bytes = bytes
        self.truncated = truncated
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    public mutating func read<T: FixedWidthInteger>() throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw truncated(offset + size, bytes.count) }
        var v: T = 0
        for i in 0..<size { v |= T(bytes[offset + i]) << (8 * i) }
        offset += size
        return v
    }

    public mutating func readFloat() throws -> Float { Float(bitPattern: try read()) }

    public mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, offset + n <= bytes.count else { throw truncated(offset + max(n, 0), bytes.count) }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    public mutating func readString() throws -> String {
        let n: UInt32 = try read()
        return String(decoding: try bytes(Int(n)), as: UTF8.self)
    }

    /// An array written by ``ByteWriter/write(_:)-([Float])``; the count is checked
    /// against the bytes left before anything is allocated.
    public mutating func readFloats() throws -> [Float] {
        let n: UInt64 = try read()
        guard n <= UInt64(remaining / 4) else { throw truncated(offset + Int(min(n, UInt64(Int.max / 8))) * 4, bytes.count) }
        var out = [Float](repeating: 0, count: Int(n))
        for i in 0..<Int(n) { out[i] = try readFloat() }
        return out
    }

    public mutating func readIntegers<T: FixedWidthInteger>(_: T.Type = T.self) throws -> [T] {
        let n: UInt64 = try read()
        let size = MemoryLayout<T>.size
        guard n <= UInt64(remaining / size) else { throw truncated(offset + Int(min(n, UInt64(Int.max / 16))) * size, bytes.count) }
        var out = [T](repeating: 0, count: Int(n))
        for i in 0..<Int(n) { out[i] = try read() }
        return out
    }

    /// Whether the last 4 bytes are the CRC-32 of everything before them.
    public var hasValidChecksum: Bool {
        guard bytes.count >= 4 else { return false }
        let n = bytes.count
        let stored = UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24
        return CRC32.checksum(bytes[0..<(n - 4)]) == stored
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        for i in 0..<MemoryLayout<T>.size { append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The checksum of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
