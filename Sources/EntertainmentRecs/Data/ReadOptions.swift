/// How a data reader treats problems in its input.
///
/// ```swift
/// let lenient = ReadOptions(onMalformedLine: .skip)
/// let result = try MovieLens100K.readRatings(from: url, options: lenient)
/// print(result.records.count, "ratings,", result.report.skippedLines, "lines skipped")
/// ```
public struct ReadOptions: Sendable, Equatable {
    /// What to do with a line that cannot be parsed.
    public enum MalformedLinePolicy: Sendable, Equatable {
        /// Stop and throw ``RecommenderError/malformedLine(file:line:field:reason:)``
        /// (or ``RecommenderError/invalidWeight(context:value:)``) for the first bad line.
        case `throw`
        /// Skip the line and count it in ``ReadReport/skippedLines``.
        case skip
    }

    /// What to do with a line that cannot be parsed; `.throw` by default.
    public var onMalformedLine: MalformedLinePolicy

    /// Options for a reader.
    /// - Parameter onMalformedLine: `.throw` (default) stops at the first bad line, `.skip`
    ///   skips and counts bad lines.
    public init(onMalformedLine: MalformedLinePolicy = .throw) {
        self.onMalformedLine = onMalformedLine
    }
}

/// What a reader saw: lines, records and skipped lines (one report may cover several files).
public struct ReadReport: Sendable, Equatable {
    /// How many examples of skipped lines ``skippedSamples`` keeps.
    public static let sampleLimit = 10

    /// Lines read, blank lines and headers included.
    public var linesRead: Int
    /// Lines that became records (or contributed to an aggregated record).
    public var recordsRead: Int
    /// Malformed lines skipped under ``ReadOptions/MalformedLinePolicy/skip``.
    public var skippedLines: Int
    /// The errors of the first skipped lines (at most ``sampleLimit``), for diagnostics.
    public var skippedSamples: [RecommenderError]

    /// A report; all counts zero by default.
    public init(linesRead: Int = 0, recordsRead: Int = 0, skippedLines: Int = 0,
                skippedSamples: [RecommenderError] = []) {
        self.linesRead = linesRead
        self.recordsRead = recordsRead
        self.skippedLines = skippedLines
        self.skippedSamples = skippedSamples
    }

    /// Adds another file's counts to this report.
    public mutating func merge(_ other: ReadReport) {
        linesRead += other.linesRead
        recordsRead += other.recordsRead
        skippedLines += other.skippedLines
        let room = Self.sampleLimit - skippedSamples.count
        if room > 0 { skippedSamples += other.skippedSamples.prefix(room) }
    }

    /// Counts one skipped line, keeping its error if there is room for a sample.
    mutating func recordSkip(_ error: RecommenderError) {
        skippedLines += 1
        if skippedSamples.count < Self.sampleLimit { skippedSamples.append(error) }
    }
}

/// Records read from a file together with the ``ReadReport`` of the read.
public struct ReadResult<Records: Sendable>: Sendable {
    /// What was read.
    public var records: Records
    /// Lines read, records made and lines skipped.
    public var report: ReadReport

    /// Pairs records with their report.
    public init(records: Records, report: ReadReport) {
        self.records = records
        self.report = report
    }
}
