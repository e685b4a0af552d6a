import Foundation

/// One line-oriented input file: streams its lines to a parser, applies the malformed-line
/// policy, skips blank lines and an optional header, and counts what it saw.
struct RecordSource {
    /// The file's path, as named in errors.
    let path: String
    let options: ReadOptions
    /// The header line; when the first non-blank line equals it (ASCII case ignored) it is
    /// skipped, otherwise the file is taken as headerless.
    var header: String?
    /// Whether a file with no records is acceptable (otherwise ``RecommenderError/emptyData(_:)``).
    var allowsEmpty = false

    init(_ url: URL, options: ReadOptions, header: String? = nil, allowsEmpty: Bool = false) {
        self.path = url.path
        self.options = options
        self.header = header
        self.allowsEmpty = allowsEmpty
    }

    /// Calls `parse` with a cursor over every data line. A ``LineIssue`` thrown by `parse`
    /// becomes a thrown error or a counted skip, per ``ReadOptions/onMalformedLine``; `parse`
    /// must therefore record nothing until the whole line has parsed. Other errors pass through.
    /// - Returns: the lines, records and skips seen.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)``, ``RecommenderError/emptyData(_:)``,
    ///   ``RecommenderError/malformedLine(file:line:field:reason:)`` or
    ///   ``RecommenderError/invalidWeight(context:value:)``.
    /// - Complexity: O(file size).
    func read(_ parse: (inout FieldCursor) throws -> Void) throws -> ReadReport {
        var report = ReadReport()
        var isFirstContentLine = true
        let path = self.path, options = self.options, header = self.header
        try LineScanner.forEachLine(path: path) { line, number in
            report.linesRead = number
            if line.isEmpty { return }
            if isFirstContentLine {
                isFirstContentLine = false
                if let header, ByteParsing.equalsIgnoringCase(line, header) { return }
            }
            var cursor = FieldCursor(line, lineNumber: number)
            do {
                try parse(&cursor)
                report.recordsRead += 1
            } catch let error as LineIssue {
                let failure = Self.error(for: error, path: path, line: number)
                guard options.onMalformedLine == .skip else { throw failure }
                report.recordSkip(failure)
            }
        }
        if report.recordsRead == 0 && !allowsEmpty {
            let skipped = report.skippedLines > 0 ? " (\(report.skippedLines) malformed lines skipped)" : ""
            throw RecommenderError.emptyData("\(path) has no records\(skipped)")
        }
        return report
    }

    /// The public error for a line's issue.
    static func error(for issue: LineIssue, path: String, line: Int) -> RecommenderError {
        switch issue.kind {
        case .malformed(let reason):
            return .malformedLine(file: path, line: line, field: issue.field, reason: reason)
        case .invalidWeight(let value):
            return .invalidWeight(context: "\(path):\(line): field '\(issue.field)'", value: value)
        }
    }
}
