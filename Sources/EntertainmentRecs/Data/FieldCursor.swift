/// A problem with one field of one line, raised by field parsers and turned into a
/// ``RecommenderError`` (with file and line) by ``RecordSource``.
struct LineIssue: Error {
    enum Kind {
        case malformed(String)
        case invalidWeight(Double)
    }

    var field: String
    var kind: Kind

    static func malformed(_ field: String, _ reason: String) -> LineIssue {
        LineIssue(field: field, kind: .malformed(reason))
    }
}

/// Bytes of one field: a borrowed view into a line.
typealias FieldBytes = UnsafeBufferPointer<UInt8>

/// Walks the fields of one line without copying: `a\tb\t` has three fields, the last empty.
struct FieldCursor {
    private let line: FieldBytes
    private var position = 0
    private var isExhausted = false
    /// Fields handed out so far.
    private(set) var fieldCount = 0
    /// The line's 1-based number in its file (0 when not from a file).
    let lineNumber: Int

    init(_ line: FieldBytes, lineNumber: Int = 0) {
        self.line = line
        self.lineNumber = lineNumber
    }

    /// The bytes after the current position, without consuming them.
    var remainder: FieldBytes { FieldBytes(rebasing: line[position...]) }

    /// The next field up to `separator` (one byte, or the byte twice when `doubled`, as in
    /// `::`), or `nil` after the last field.
    @inline(__always)
    mutating func next(_ separator: UInt8, doubled: Bool = false) -> FieldBytes? {
        guard !isExhausted else { return nil }
        let start = position
        var i = start
        let end = line.count
        while i < end {
            if line[i] == separator {
                if !doubled { break }
                if i + 1 < end, line[i + 1] == separator { break }
            }
            i += 1
        }
        fieldCount += 1
        if i >= end {
            isExhausted = true
            position = end
        } else {
            position = i + (doubled ? 2 : 1)
        }
        return FieldBytes(rebasing: line[start..<i])
    }

    /// The next field, named `name` in the error when the line has too few fields.
    @inline(__always)
    mutating func field(_ name: String, _ separator: UInt8, doubled: Bool = false) throws(LineIssue) -> FieldBytes {
        guard let bytes = next(separator, doubled: doubled) else {
            throw .malformed(name, "missing (the line has only \(fieldCount) field\(fieldCount == 1 ? "" : "s"))")
        }
        return bytes
    }

    /// Everything left on the line as one field (e.g. a title that may contain separators).
    mutating func rest(_ name: String) throws(LineIssue) -> FieldBytes {
        guard !isExhausted else {
            throw .malformed(name, "missing (the line has only \(fieldCount) field\(fieldCount == 1 ? "" : "s"))")
        }
        isExhausted = true
        fieldCount += 1
        defer { position = line.count }
        return remainder
    }

    /// Throws unless every field has been consumed; `expected` is the field count to report.
    func expectEnd(expected: Int) throws(LineIssue) {
        guard isExhausted else {
            throw .malformed("line", "more than \(expected) fields")
        }
    }

    /// The next comma-separated field, RFC 4180 style: a field may be quoted, a quoted field
    /// may hold commas, and `""` inside it is one quote. The bytes come without the outer
    /// quotes; `hasEscapedQuotes` says whether `""` pairs remain to be collapsed (see
    /// ``ByteParsing/csvText(_:hasEscapedQuotes:)``). Quoted fields cannot span lines.
    mutating func csvField(_ name: String) throws(LineIssue) -> (bytes: FieldBytes, hasEscapedQuotes: Bool) {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C
        guard !isExhausted, position < line.count, line[position] == quote else {
            return (try field(name, comma), false)
        }
        let start = position + 1
        var i = start
        var escaped = false
        let end = line.count
        while true {
            guard i < end else { throw .malformed(name, "unterminated quoted field") }
            if line[i] == quote {
                if i + 1 < end, line[i + 1] == quote {
                    escaped = true
                    i += 2
                    continue
                }
                break
            }
            i += 1
        }
        let bytes = FieldBytes(rebasing: line[start..<i])
        fieldCount += 1
        let after = i + 1
        if after >= end {
            isExhausted = true
            position = end
        } else if line[after] == comma {
            position = after + 1
        } else {
            throw .malformed(name, "unexpected character after the closing quote")
        }
        return (bytes, escaped)
    }
}
