#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file in fixed-size chunks and hands out its lines, so memory stays bounded by
/// the chunk (1 MiB) plus the longest line, whatever the file's size.
///
/// A line is handed out without its `\n` or `\r\n`; a last line without a final newline is
/// handed out too, and a UTF-8 byte-order mark at the start of the file is dropped. Lines
/// are borrowed views into the chunk buffer, valid only during the call of `body`.
enum LineScanner {
    /// Bytes read per `read(2)` call.
    static let chunkSize = 1 << 20
    /// Longest line accepted; a longer one is a malformed line rather than unbounded growth.
    static let maxLineLength = 64 << 20

    /// Calls `body` with every line of the file at `path` and its 1-based line number.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)`` when the file is missing,
    ///   is a directory or fails to read; ``RecommenderError/malformedLine(file:line:field:reason:)``
    ///   for a line over ``maxLineLength``; and whatever `body` throws.
    /// - Complexity: O(file size).
    static func forEachLine(path: String,
                            _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw unreadable(path, errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(path, errno) }
        guard (info.st_mode & S_IFMT) != S_IFDIR else {
            throw RecommenderError.unreadableFile(path: path, reason: "is a directory")
        }

        var capacity = chunkSize
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var start = 0, end = 0, lineNumber = 0
        var atEOF = false

        func emit(_ from: Int, _ to: Int) throws {
            lineNumber += 1
            var from = from, to = to
            if to > from, buffer[to - 1] == 0x0D { to -= 1 }
            if lineNumber == 1, to - from >= 3, buffer[from] == 0xEF, buffer[from + 1] == 0xBB,
               buffer[from + 2] == 0xBF {
                from += 3
            }
            try body(UnsafeBufferPointer(start: buffer + from, count: to - from), lineNumber)
        }

        while true {
            while start < end, let found = memchr(buffer + start, 0x0A, end - start) {
                let newline = buffer.distance(to: found.assumingMemoryBound(to: UInt8.self))
                try emit(start, newline)
                start = newline + 1
            }
            if atEOF {
                if start < end { try emit(start, end) }
                return
            }
            if start > 0 {
                if end > start { memmove(buffer, buffer + start, end - start) }
                end -= start
                start = 0
            }
            if end == capacity {
                // One line fills the whole buffer: grow, up to the line limit.
                guard capacity < maxLineLength else {
                    throw RecommenderError.malformedLine(file: path, line: lineNumber + 1, field: "line",
                                                         reason: "longer than \(maxLineLength >> 20) MiB")
                }
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                grown.update(from: buffer, count: end)
                buffer.deallocate()
                buffer = grown
                capacity *= 2
            }
            let n = read(fd, buffer + end, min(chunkSize, capacity - end))
            if n < 0 {
                if errno == EINTR { continue }
                throw unreadable(path, errno)
            }
            if n == 0 { atEOF = true } else { end += n }
        }
    }

    /// An ``RecommenderError/unreadableFile(path:reason:)`` with the system's message.
    static func unreadable(_ path: String, _ code: Int32) -> RecommenderError {
        let message = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return .unreadableFile(path: path, reason: message)
    }
}
