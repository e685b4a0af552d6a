@testable import EntertainmentRecs
import Foundation
import Testing

/// A small valid benchmark folder: 3 users, 110 items. User u trains on items 3u, 3u+1,
/// 3u+2 and 100+u and holds out 50+u; `valid/` holds out 100+u.
struct BenchmarkFixture {
    static let userCount = 3, itemCount = 110
    var items = (0..<itemCount).map { "\($0)\t\($0 + 1)\tItem \($0)\t\($0 == 0 ? "Action|Comedy" : "")" }
    var users: [String]? = (0..<userCount).map { "\($0)\t\($0 * 10)" }
    var train: [String] = []
    var test: [String] = []
    var negatives: [String] = []
    var validTrain: [String] = []
    var validTest: [String] = []
    var validNegatives: [String] = []

    init() {
        for u in 0..<Self.userCount {
            let trainItems = [3 * u, 3 * u + 1, 3 * u + 2, 100 + u]
            train += trainItems.map { "\(u)\t\($0)\t\($0 % 5 + 1)" }
            test.append("\(u)\t\(50 + u)")
            negatives.append(Self.negatives(u, excluding: Set(trainItems + [50 + u])))
            validTrain += trainItems.dropLast().map { "\(u)\t\($0)\t\($0 % 5 + 1)" }
            validTest.append("\(u)\t\(100 + u)")
            validNegatives.append(Self.negatives(u, excluding: Set(trainItems)))
        }
    }

    static func negatives(_ user: Int, excluding: Set<Int>) -> String {
        let picks = (0..<itemCount).filter { !excluding.contains($0) }.prefix(99)
        return ([user] + picks).map(String.init).joined(separator: "\t")
    }

    func write(to fixture: ReaderFixture) throws {
        let lines = { (rows: [String]) in rows.joined(separator: "\n") + "\n" }
        try fixture.write("items.tsv", lines(items))
        if let users { try fixture.write("users.tsv", lines(users)) }
        try fixture.write("train.tsv", lines(train))
        try fixture.write("test.tsv", lines(test))
        try fixture.write("test.negative", lines(negatives))
        try fixture.write("valid/train.tsv", lines(validTrain))
        try fixture.write("valid/test.tsv", lines(validTest))
        try fixture.write("valid/test.negative", lines(validNegatives))
    }
}

@Suite("Reader: leave-one-out benchmark folders") struct ReaderBenchmarkTests {
    func load(_ change: (inout BenchmarkFixture) -> Void) throws -> RecommenderError? {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        var files = BenchmarkFixture()
        change(&files)
        try files.write(to: fixture)
        return readerError { _ = try BenchmarkDataset.load(from: fixture.folder) }
    }

    @Test func loadsAValidFolder() throws {
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        try BenchmarkFixture().write(to: fixture)
        let data = try BenchmarkDataset.load(from: fixture.folder.path)
        #expect(data.name == fixture.folder.lastPathComponent)
        #expect(data.userCount == 3 && data.itemCount == 110 && data.test.train.count == 12)
        #expect(Array(data.test.train.items(ofUser: 1)) == [3, 4, 5, 101])
        #expect(Array(data.test.train.weights(ofUser: 1)) == [4, 5, 1, 2])
        #expect(data.test.test.map(\.user) == [0, 1, 2] && data.test.test.map(\.item) == [50, 51, 52])
        #expect(data.test.negatives.count == 3 && data.test.negatives.allSatisfy { $0.count == 99 })
        #expect(data.test.negatives[0].prefix(4) == [3, 4, 5, 6])
        #expect(data.validation.train.count == 9 && data.validation.test.map(\.item) == [100, 101, 102])
        #expect(data.items[0] == BenchmarkItem(id: 0, originalID: "1", name: "Item 0", genres: ["Action", "Comedy"]))
        #expect(data.items[5].genres.isEmpty)
    }

    @Test func countsUsersFromIdsWithoutUsersFile() throws {
        #expect(try load { $0.users = nil } == nil)
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        var files = BenchmarkFixture()
        files.users = nil
        try files.write(to: fixture)
        #expect(try BenchmarkDataset.load(from: fixture.folder).userCount == 3)
    }

    @Test func rejectsBrokenInvariants() throws {
        // A test item in the user's training set.
        var at = malformedAt(try load { $0.test[1] = "1\t4" })
        #expect(at?.file == "test.tsv" && at?.line == 2 && at?.field == "item")
        // 98 negatives, a repeated negative, a training item or the test item among them.
        at = malformedAt(try load { $0.negatives[2] = $0.negatives[2].components(separatedBy: "\t").dropLast().joined(separator: "\t") })
        #expect(at?.file == "test.negative" && at?.line == 3 && at?.field == "negatives")
        at = malformedAt(try load { $0.negatives[0] = "0\t3\t3" + (10..<107).map { "\t\($0)" }.joined() })
        #expect(at?.file == "test.negative" && at?.line == 1 && at?.field == "negatives")
        let others = (3..<110).filter { $0 != 50 && $0 != 100 }.prefix(98).map { "\t\($0)" }.joined()
        at = malformedAt(try load { $0.negatives[0] = "0\t1" + others })
        #expect(at?.file == "test.negative" && at?.field == "negative 1")
        at = malformedAt(try load { $0.negatives[0] = "0\t50" + others })
        #expect(at?.file == "test.negative" && at?.field == "negative 1")
        // Users out of order, ids out of range, duplicates, bad weights, bad field counts.
        at = malformedAt(try load { $0.negatives.swapAt(0, 1) })
        #expect(at?.file == "test.negative" && at?.line == 1 && at?.field == "user")
        at = malformedAt(try load { $0.train[0] = "0\t110\t1" })
        #expect(at?.file == "train.tsv" && at?.line == 1 && at?.field == "item")
        at = malformedAt(try load { $0.train[5] = "3\t0\t1" })
        #expect(at?.file == "train.tsv" && at?.line == 6 && at?.field == "user")
        at = malformedAt(try load { $0.train[1] = "0\t0\t2" })
        #expect(at?.file == "train.tsv" && at?.line == 2 && at?.field == "item")
        at = malformedAt(try load { $0.test[0] = "0\t50\t1" })
        #expect(at?.file == "test.tsv" && at?.field == "line")
        at = malformedAt(try load { $0.test[2] = "1\t52" })
        #expect(at?.file == "test.tsv" && at?.line == 3 && at?.field == "user")
        at = malformedAt(try load { $0.items[7] = "8\t8\tx\t" })
        #expect(at?.file == "items.tsv" && at?.line == 8 && at?.field == "id")
        guard case .invalidWeight? = try load({ $0.train[0] = "0\t0\tnan" }) else {
            Issue.record("expected invalidWeight")
            return
        }
    }

    @Test func rejectsMismatchedFilesAndMissingParts() throws {
        guard case .invalidArgument? = try load({ $0.negatives.removeLast() }) else {
            Issue.record("expected invalidArgument for a missing negatives line")
            return
        }
        guard case .invalidArgument? = try load({ $0.validTrain.removeLast() }) else {
            Issue.record("expected invalidArgument when valid/ does not add up to train.tsv")
            return
        }
        guard case .emptyData? = try load({ $0.train = [] }) else {
            Issue.record("expected emptyData")
            return
        }
        let fixture = try ReaderFixture()
        defer { fixture.remove() }
        guard case .unreadableFile? = readerError({ _ = try BenchmarkDataset.load(from: fixture.folder.appendingPathComponent("none")) }) else {
            Issue.record("expected unreadableFile for a missing folder")
            return
        }
        try BenchmarkFixture().write(to: fixture)
        try FileManager.default.removeItem(at: fixture.folder.appendingPathComponent("valid/test.negative"))
        guard case .unreadableFile(let path, _)? = readerError({ _ = try BenchmarkDataset.load(from: fixture.folder) }) else {
            Issue.record("expected unreadableFile for a missing file")
            return
        }
        #expect(path.hasSuffix("valid/test.negative"))
    }
}
