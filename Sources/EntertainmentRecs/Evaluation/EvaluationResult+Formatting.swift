import Foundation

extension EvaluationResult {
    /// A plain-text table of several results side by side: one column per result (headed
    /// by model and split), one row per metric, values to four decimals, then the user
    /// count. Results with different cutoffs get the union of metric rows, `-` where absent.
    ///
    /// ```swift
    /// print(EvaluationResult.table([popularity, ials]))
    /// // metric            popularity  ials
    /// // split             test        test
    /// // sampled hr@10     0.4051      0.6978
    /// // …
    /// ```
    /// - Complexity: O(results × metrics).
    public static func table(_ results: [EvaluationResult]) -> String {
        var rowNames: [String] = []
        for result in results {
            for (name, _) in result.metrics where !rowNames.contains(name) { rowNames.append(name) }
        }
        var rows: [[String]] = [["metric"] + results.map(\.model),
                                ["split"] + results.map { $0.split ?? "-" }]
        for name in rowNames {
            rows.append([name] + results.map { result in
                result.metrics.first { $0.name == name }.map { String(format: "%.4f", $0.value) } ?? "-"
            })
        }
        rows.append(["users"] + results.map { String($0.users) })
        return formatColumns(rows)
    }

    /// Left-aligned columns two spaces apart, no trailing spaces, lines ending in `\n`.
    private static func formatColumns(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (c, cell) in row.enumerated() {
                line += cell
                if c + 1 < row.count { line += String(repeating: " ", count: widths[c] + 2 - cell.count) }
            }
            out += line + "\n"
        }
        return out
    }

    /// `results` as a pretty-printed JSON array with sorted keys (stable across runs).
    /// - Throws: `EncodingError` (not expected: every metric is finite).
    public static func jsonData(_ results: [EvaluationResult]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(results)
    }

    /// Decodes an array written by ``jsonData(_:)``.
    /// - Throws: `DecodingError` naming the missing or malformed field.
    public static func results(fromJSON data: Data) throws -> [EvaluationResult] {
        try JSONDecoder().decode([EvaluationResult].self, from: data)
    }
}
