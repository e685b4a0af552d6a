@testable import EntertainmentRecs
import Foundation
import Testing

/// A temporary folder for reader tests; files are written, read and removed with it.
struct ReaderFixture {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("reader-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// The error `body` throws, if it is a ``RecommenderError``.
func readerError(_ body: () throws -> Void) -> RecommenderError? {
    do {
        try body()
        return nil
    } catch let error as RecommenderError {
        return error
    } catch {
        return nil
    }
}

/// `(file's last component, line, field)` of a malformed-line error.
func malformedAt(_ error: RecommenderError?) -> (file: String, line: Int, field: String)? {
    guard case let .malformedLine(file, line, field, _)? = error else { return nil }
    return (URL(fileURLWithPath: file).lastPathComponent, line, field)
}

/// Parses one field with `parse`, from a string's bytes.
func parseField<T>(_ text: String, _ parse: (FieldBytes) throws(LineIssue) -> T) -> T? {
    Array(text.utf8).withUnsafeBufferPointer { bytes in try? parse(bytes) }
}

@Suite("Reader core: lines, fields, numbers, text") struct ReaderCoreTests {
    @Test func parsesIntegersWithOverflowChecks() {
        let int = { (s: String) in parseField(s) { b throws(LineIssue) in try ByteParsing.int64(b, field: "f") } }
        #expect(int("42") == 42 && int("-7") == -7 && int(" 13 ") == 13 && int("+5") == 5)
        #expect(int("9223372036854775807") == .max && int("-9223372036854775808") == .min)
        #expect(int("9223372036854775808") == nil && int("-9223372036854775809") == nil)
        #expect(int("99999999999999999999999") == nil)
        #expect(int("12a") == nil && int("") == nil && int("-") == nil && int("1.0") == nil)
    }

    @Test func parsesDecimalsExactlyAndFallsBack() {
        let dbl = { (s: String) in parseField(s) { b throws(LineIssue) in try ByteParsing.double(b, field: "f") } }
        #expect(dbl("4") == 4 && dbl("3.5") == 3.5 && dbl("0.1") == 0.1 && dbl("-1.25") == -1.25)
        #expect(dbl("5.") == 5 && dbl(".5") == 0.5 && dbl("273.0") == 273)
        #expect(dbl("1e3") == 1000 && dbl("0.1234567890123456789") == Double("0.1234567890123456789"))
        #expect(dbl("123456789.123456") == 123456789.123456)
        #expect(dbl("nan")?.isNaN == true)
        #expect(dbl("abc") == nil && dbl("1.2.3") == nil && dbl("") == nil && dbl(".") == nil)
        let weight = parseField("-1") { b throws(LineIssue) in try ByteParsing.weight(b, field: "w") }
        #expect(weight == nil)
    }

    @Test func decodesUTF8AndLatin1() {
        let text = { (bytes: [UInt8]) in bytes.withUnsafeBufferPointer { ByteParsing.text($0) } }
        #expect(text(Array("Toy Story".utf8)) == "Toy Story")
        #expect(text(Array("Beyoncé".utf8)) == "Beyoncé")
        #expect(text([0x4D, 0x69, 0x73, 0xE9, 0x72, 0x61, 0x62, 0x6C, 0x65, 0x73]) == "Misérables")
        #expect(ByteParsing.yearInTitle("Double vie de Véronique, La (Double Life of Veronique, The) (1991)") == 1991)
        #expect(ByteParsing.yearInTitle("Babylon 5") == nil && ByteParsing.yearInTitle("(abcd)") == nil)
    }

    @Test func splitsCSVFieldsWithQuotes() throws {
        func fields(_ line: String) throws(LineIssue) -> [String] {
            let bytes = Array(line.utf8)
            return try bytes.withUnsafeBufferPointer { buffer throws(LineIssue) in
                var cursor = FieldCursor(buffer)
                var out: [String] = []
                while out.count < 10 {
                    let f = try cursor.csvField("f\(out.count)")
                    out.append(ByteParsing.csvText(f.bytes, hasEscapedQuotes: f.hasEscapedQuotes))
                    if (try? cursor.expectEnd(expected: out.count)) != nil { break }
                }
                return out
            }
        }
        #expect(try fields(#"11,"American President, The (1995)",Comedy"#) == ["11", "American President, The (1995)", "Comedy"])
        #expect(try fields(#"1,"Say ""Hi"", ok",x"#) == ["1", #"Say "Hi", ok"#, "x"])
        #expect(try fields(#"a,,"""#) == ["a", "", ""])
        #expect(try fields("a,b,") == ["a", "b", ""])
        #expect(throws: LineIssue.self) { try fields(#"1,"unterminated, x"#) }
        #expect(throws: LineIssue.self) { try fields(#"1,"closed"x,y"#) }
    }

    @Test func scansCRLFMissingNewlineBOMAndBlankLines() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let url = try fixture.write("lines.txt", bytes: [0xEF, 0xBB, 0xBF] + Array("a\r\n\r\nbc\n\nd".utf8))
        var lines: [(String, Int)] = []
        try LineScanner.forEachLine(path: url.path) { line, number in
            lines.append((String(decoding: line, as: UTF8.self), number))
        }
        #expect(lines.map(\.0) == ["a", "", "bc", "", "d"] && lines.map(\.1) == [1, 2, 3, 4, 5])
    }

    @Test func scansLinesAcrossChunksAndLongerThanTheBuffer() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        var text = ""
        for i in 0..<150_000 { text += "\(i)\t\(i % 7)\n" }         // ~1.4 MiB: crosses a chunk edge
        let long = String(repeating: "x", count: LineScanner.chunkSize + 17)
        text += long + "\nend"
        let url = try fixture.write("big.txt", text)
        var count = 0, sum = 0, longest = 0, last = ""
        try LineScanner.forEachLine(path: url.path) { line, _ in
            count += 1
            longest = max(longest, line.count)
            if line.count < 32, let tab = line.firstIndex(of: 0x09) {
                sum += Int(String(decoding: line[..<tab], as: UTF8.self)) ?? 0
            }
            last = String(decoding: line, as: UTF8.self)
        }
        #expect(count == 150_002 && sum == 150_000 * 149_999 / 2)
        #expect(longest == long.utf8.count && last == "end")
    }

    @Test func reportsMissingFilesDirectoriesAndEmptyData() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        let missing = fixture.folder.appendingPathComponent("nope.data")
        guard case .unreadableFile(let path, _)? = readerError({ _ = try MovieLens100K.readRatings(from: missing) }) else {
            Issue.record("expected unreadableFile")
            return
        }
        #expect(path == missing.path)
        guard case .unreadableFile? = readerError({ _ = try MovieLens100K.readRatings(from: fixture.folder) }) else {
            Issue.record("expected unreadableFile for a directory")
            return
        }
        let empty = try fixture.write("empty.data", "")
        guard case .emptyData? = readerError({ _ = try MovieLens100K.readRatings(from: empty) }) else {
            Issue.record("expected emptyData")
            return
        }
        let headerOnly = try fixture.write("ratings.csv", "userId,movieId,rating,timestamp\r\n")
        guard case .emptyData? = readerError({ _ = try MovieLensLatest.readRatings(from: headerOnly) }) else {
            Issue.record("expected emptyData for a header alone")
            return
        }
        let allBad = try fixture.write("bad.data", "x\ny\n")
        let error = readerError { _ = try MovieLens100K.readRatings(from: allBad, options: ReadOptions(onMalformedLine: .skip)) }
        guard case .emptyData? = error else {
            Issue.record("expected emptyData when every line is skipped")
            return
        }
    }

    @Test func mergesReportsKeepingAtMostTenSamples() {
        var a = ReadReport(linesRead: 3, recordsRead: 2, skippedLines: 1, skippedSamples: [.notFitted])
        let b = ReadReport(linesRead: 20, recordsRead: 5, skippedLines: 15,
                           skippedSamples: Array(repeating: .emptyData("x"), count: 10))
        a.merge(b)
        #expect(a.linesRead == 23 && a.recordsRead == 7 && a.skippedLines == 16)
        #expect(a.skippedSamples.count == ReadReport.sampleLimit && a.skippedSamples.first == .notFitted)
    }
}
