/// Numbers and text from field bytes, without a `String` per numeric field.
enum ByteParsing {
    /// The bytes without leading and trailing spaces.
    static func trimmed(_ bytes: FieldBytes) -> FieldBytes {
        var lo = 0, hi = bytes.count
        while lo < hi, bytes[lo] == 0x20 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 { hi -= 1 }
        return FieldBytes(rebasing: bytes[lo..<hi])
    }

    /// A decimal integer (optional sign, surrounding spaces allowed), checked for overflow.
    @inline(__always)
    static func int64(_ raw: FieldBytes, field: String) throws(LineIssue) -> Int64 {
        // Fast path: up to 18 plain digits cannot overflow, so no per-digit checks.
        if raw.count > 0, raw.count <= 18 {
            var value: Int64 = 0
            var isPlain = true
            for byte in raw {
                let digit = byte &- 0x30
                if digit >= 10 { isPlain = false; break }
                value = value &* 10 &+ Int64(digit)
            }
            if isPlain { return value }
        }
        return try checkedInt64(raw, field: field)
    }

    /// ``int64(_:field:)`` with signs, spaces and overflow checks.
    private static func checkedInt64(_ raw: FieldBytes, field: String) throws(LineIssue) -> Int64 {
        let bytes = trimmed(raw)
        guard !bytes.isEmpty else { throw .malformed(field, "empty, expected an integer") }
        var i = 0
        let isNegative = bytes[0] == 0x2D
        if isNegative || bytes[0] == 0x2B { i = 1 }
        guard i < bytes.count else { throw .malformed(field, "'\(text(raw))' is not an integer") }
        var value: Int64 = 0
        while i < bytes.count {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else { throw .malformed(field, "'\(text(raw))' is not an integer") }
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            // Accumulate negatively for negative numbers so Int64.min parses.
            let (next, o2) = isNegative ? shifted.subtractingReportingOverflow(Int64(digit))
                                        : shifted.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { throw .malformed(field, "'\(text(raw))' overflows a 64-bit integer") }
            value = next
            i += 1
        }
        return value
    }

    /// An integer that must fit `0..<limit` (a dense index).
    static func index(_ raw: FieldBytes, field: String, below limit: Int) throws(LineIssue) -> Int32 {
        let value = try int64(raw, field: field)
        guard value >= 0, value < Int64(limit) else {
            throw .malformed(field, "\(value) is outside 0..<\(limit)")
        }
        return Int32(truncatingIfNeeded: value)
    }

    /// A decimal number. Plain decimals (`4`, `3.5`, `0.25`) with at most 15 digits take an
    /// exact fast path (an exact integer divided by an exact power of ten is correctly
    /// rounded); anything else (signs, spaces, exponents, `nan`, `inf`, long digit strings)
    /// goes to the standard library's parser.
    @inline(__always)
    static func double(_ raw: FieldBytes, field: String) throws(LineIssue) -> Double {
        var mantissa: Int64 = 0
        var digits = 0, fractionDigits = 0
        var seenPoint = false, isPlain = raw.count > 0 && raw.count <= 15
        if isPlain {
            for byte in raw {
                let digit = byte &- 0x30
                if digit < 10 {
                    mantissa = mantissa &* 10 &+ Int64(digit)
                    digits += 1
                    if seenPoint { fractionDigits += 1 }
                } else if byte == 0x2E, !seenPoint {
                    seenPoint = true
                } else {
                    isPlain = false
                    break
                }
            }
        }
        if isPlain, digits > 0 {
            var scale = 1.0
            for _ in 0..<fractionDigits { scale *= 10 }     // exact: at most 10^15
            return Double(mantissa) / scale
        }
        return try parsedDouble(raw, field: field)
    }

    /// ``double(_:field:)`` through the standard library.
    private static func parsedDouble(_ raw: FieldBytes, field: String) throws(LineIssue) -> Double {
        let bytes = trimmed(raw)
        guard !bytes.isEmpty else { throw .malformed(field, "empty, expected a number") }
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else {
            throw .malformed(field, "'\(text(raw))' is not a number")
        }
        return value
    }

    /// A weight: a finite, non-negative number (else an invalid-weight issue).
    static func weight(_ raw: FieldBytes, field: String) throws(LineIssue) -> Double {
        let value = try double(raw, field: field)
        guard value.isFinite, value >= 0 else { throw LineIssue(field: field, kind: .invalidWeight(value)) }
        return value
    }

    /// A weight stored as `Float`: finite in `Float` and non-negative.
    static func floatWeight(_ raw: FieldBytes, field: String) throws(LineIssue) -> Float {
        let value = try double(raw, field: field)
        let narrowed = Float(value)
        guard narrowed.isFinite, value >= 0 else { throw LineIssue(field: field, kind: .invalidWeight(value)) }
        return narrowed
    }

    /// Text of a field: UTF-8 when the bytes are valid UTF-8, otherwise Latin-1 (ISO 8859-1),
    /// the encoding of older MovieLens and HetRec files. Never fails.
    static func text(_ bytes: FieldBytes) -> String {
        var isASCII = true
        for b in bytes where b >= 0x80 { isASCII = false; break }
        if isASCII { return String(decoding: bytes, as: UTF8.self) }
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        return latin1(bytes)
    }

    /// Text of Latin-1 bytes: each byte is the code point of the same value.
    static func latin1(_ bytes: FieldBytes) -> String {
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(Unicode.Scalar(b)) }
        return String(scalars)
    }

    /// Text of a CSV field, collapsing `""` to `"` when the quoted field had such pairs.
    static func csvText(_ bytes: FieldBytes, hasEscapedQuotes: Bool) -> String {
        guard hasEscapedQuotes else { return text(bytes) }
        return csvBytes(bytes, hasEscapedQuotes: true).withUnsafeBufferPointer { text($0) }
    }

    /// The bytes of a CSV field with `""` collapsed to `"` when the quoted field had such pairs.
    static func csvBytes(_ bytes: FieldBytes, hasEscapedQuotes: Bool) -> [UInt8] {
        guard hasEscapedQuotes else { return Array(bytes) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            unescaped.append(bytes[i])
            i += bytes[i] == 0x22 && i + 1 < bytes.count && bytes[i + 1] == 0x22 ? 2 : 1
        }
        return unescaped
    }

    /// The year of the last `(dddd)` in a title, e.g. 1995 in `Toy Story (1995)`.
    static func yearInTitle(_ title: String) -> Int? {
        let u = Array(title.utf8)
        guard u.count >= 6 else { return nil }
        var i = u.count - 6
        while i >= 0 {
            if u[i] == 0x28, u[i + 5] == 0x29, let year = fourDigits(u[(i + 1)..<(i + 5)]) { return year }
            i -= 1
        }
        return nil
    }

    /// The year at the end of a date such as `01-Jan-1995`.
    static func yearAtEnd(_ date: FieldBytes) -> Int? {
        let bytes = trimmed(date)
        guard bytes.count >= 4 else { return nil }
        return fourDigits(bytes[(bytes.count - 4)...])
    }

    private static func fourDigits(_ bytes: some Collection<UInt8>) -> Int? {
        var year = 0
        for b in bytes {
            let digit = b &- 0x30
            guard digit < 10 else { return nil }
            year = year * 10 + Int(digit)
        }
        return year
    }

    /// Whether the bytes spell `expected`, ignoring ASCII letter case.
    static func equalsIgnoringCase(_ line: FieldBytes, _ expected: String) -> Bool {
        func lowered(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
        let utf8 = expected.utf8
        guard line.count == utf8.count else { return false }
        for (a, b) in zip(line, utf8) where lowered(a) != lowered(b) { return false }
        return true
    }
}
