import Foundation

extension BenchmarkDataset {
    /// Loads a leave-one-out benchmark folder (format of `../shared/benchmarks/README.md`):
    /// `items.tsv`, `users.tsv` (optional), `train.tsv`, `test.tsv`, `test.negative` and the
    /// same three files under `valid/`.
    ///
    /// ```swift
    /// let ml = try BenchmarkDataset.load(from: "../shared/benchmarks/ml-100k")
    /// print(ml.userCount, ml.itemCount, ml.test.train.count)   // 943 1682 99057
    /// ```
    ///
    /// `itemCount` is the number of lines of `items.tsv`; `userCount` that of `users.tsv`, or
    /// the largest user id + 1 without it. These invariants are checked: ids are in range and
    /// `items.tsv`/`users.tsv` number them `0, 1, 2, …`; no (user, item) pair repeats in a
    /// `train.tsv`; each user has at most one test item, which is not in the user's training
    /// set; `test.negative` follows `test.tsv`'s user order with 99 distinct items that are
    /// neither training items nor the test item; `valid/` holds the same interactions as
    /// `train.tsv` (its train and test together).
    /// - Parameter folder: the benchmark folder; its last path component becomes ``name``.
    /// - Returns: the test split, the validation split and the items.
    /// - Throws: ``RecommenderError/unreadableFile(path:reason:)`` for a missing file or folder,
    ///   ``RecommenderError/emptyData(_:)`` for an empty file,
    ///   ``RecommenderError/malformedLine(file:line:field:reason:)`` for a bad line or a broken
    ///   invariant of one line, ``RecommenderError/invalidWeight(context:value:)``, and
    ///   ``RecommenderError/invalidArgument(_:)`` for a mismatch between files.
    /// - Complexity: O(lines · log(items per user)).
    public static func load(from folder: URL) throws -> BenchmarkDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RecommenderError.unreadableFile(path: folder.path, reason: "no such folder")
        }
        let items = try BenchmarkFiles.readItems(folder.appendingPathComponent("items.tsv"))
        let usersURL = folder.appendingPathComponent("users.tsv")
        let declaredUsers: Int? = if FileManager.default.fileExists(atPath: usersURL.path) {
            try BenchmarkFiles.countUsers(usersURL)
        } else {
            nil
        }
        let limits = BenchmarkFiles.Limits(users: declaredUsers ?? Int(Int32.max), items: items.count)
        let testFiles = try BenchmarkFiles.RawSplit(folder: folder, limits: limits)
        let validFiles = try BenchmarkFiles.RawSplit(folder: folder.appendingPathComponent("valid"), limits: limits)
        let userCount = declaredUsers ?? Int(max(testFiles.maxUser, validFiles.maxUser)) + 1
        let test = try testFiles.split(userCount: userCount, itemCount: items.count)
        let validation = try validFiles.split(userCount: userCount, itemCount: items.count)
        try BenchmarkFiles.checkValidation(validation, against: test.train, folder: folder)
        return BenchmarkDataset(name: folder.lastPathComponent, test: test, validation: validation, items: items)
    }

    /// Loads a benchmark folder given by path; see ``load(from:)-(URL)``.
    public static func load(from folder: String) throws -> BenchmarkDataset {
        try load(from: URL(fileURLWithPath: folder, isDirectory: true))
    }
}

/// The files of a benchmark folder, read strictly (malformed lines always throw).
enum BenchmarkFiles {
    static let tab: UInt8 = 0x09
    static let negativeCount = 99
    static let strict = ReadOptions(onMalformedLine: .throw)

    /// Exclusive upper bounds of user and item ids.
    struct Limits {
        var users: Int
        var items: Int
    }

    /// `items.tsv`: `id original_id name genres`, ids `0, 1, 2, …` in order.
    static func readItems(_ url: URL) throws -> [BenchmarkItem] {
        var items: [BenchmarkItem] = []
        _ = try RecordSource(url, options: strict).read { cursor in
            let id = try ByteParsing.index(cursor.field("id", tab), field: "id", below: Int(Int32.max))
            guard id == items.count else { throw LineIssue.malformed("id", "\(id) where \(items.count) was expected") }
            let original = ByteParsing.text(try cursor.field("original_id", tab))
            let name = ByteParsing.text(try cursor.field("name", tab))
            var genres: [String] = []
            if let field = cursor.next(tab) {
                var parts = FieldCursor(field)
                while let genre = parts.next(0x7C) {
                    if !genre.isEmpty { genres.append(ByteParsing.text(genre)) }
                }
            }
            try cursor.expectEnd(expected: 4)
            items.append(BenchmarkItem(id: id, originalID: original, name: name, genres: genres))
        }
        return items
    }

    /// `users.tsv`: `id original_id`, ids `0, 1, 2, …` in order; returns the count.
    static func countUsers(_ url: URL) throws -> Int {
        var count = 0
        _ = try RecordSource(url, options: strict).read { cursor in
            let id = try ByteParsing.index(cursor.field("id", tab), field: "id", below: Int(Int32.max))
            guard id == count else { throw LineIssue.malformed("id", "\(id) where \(count) was expected") }
            count += 1
        }
        return count
    }

    /// The three files of one split as read, before the training matrix exists.
    struct RawSplit {
        var trainURL: URL, testURL: URL, negativeURL: URL
        var users: [Int32] = [], items: [Int32] = [], weights: [Float] = []
        var test: [(user: Int32, item: Int32)] = []
        var testLines: [Int] = []
        var negatives: [[Int32]] = []
        var negativeLines: [Int] = []
        var maxUser: Int32 = -1

        init(folder: URL, limits: Limits) throws {
            trainURL = folder.appendingPathComponent("train.tsv")
            testURL = folder.appendingPathComponent("test.tsv")
            negativeURL = folder.appendingPathComponent("test.negative")
            try readTrain(limits)
            try readTest(limits)
            try readNegatives(limits)
        }

        private mutating func readTrain(_ limits: Limits) throws {
            var pairs = Set<Int64>()
            var users: [Int32] = [], items: [Int32] = [], weights: [Float] = []
            _ = try RecordSource(trainURL, options: strict).read { cursor in
                let user = try ByteParsing.index(cursor.field("user", tab), field: "user", below: limits.users)
                let item = try ByteParsing.index(cursor.field("item", tab), field: "item", below: limits.items)
                let weight = try ByteParsing.floatWeight(cursor.field("weight", tab), field: "weight")
                try cursor.expectEnd(expected: 3)
                guard pairs.insert(Int64(user) << 32 | Int64(item)).inserted else {
                    throw LineIssue.malformed("item", "(user \(user), item \(item)) appears twice")
                }
                users.append(user)
                items.append(item)
                weights.append(weight)
            }
            self.users = users
            self.items = items
            self.weights = weights
            maxUser = max(maxUser, users.max() ?? -1)
        }

        private mutating func readTest(_ limits: Limits) throws {
            var seen = Set<Int32>()
            var test: [(user: Int32, item: Int32)] = [], lines: [Int] = []
            _ = try RecordSource(testURL, options: strict).read { cursor in
                let user = try ByteParsing.index(cursor.field("user", tab), field: "user", below: limits.users)
                let item = try ByteParsing.index(cursor.field("item", tab), field: "item", below: limits.items)
                try cursor.expectEnd(expected: 2)
                guard seen.insert(user).inserted else { throw LineIssue.malformed("user", "user \(user) appears twice") }
                test.append((user, item))
                lines.append(cursor.lineNumber)
            }
            self.test = test
            testLines = lines
            maxUser = max(maxUser, test.map(\.user).max() ?? -1)
        }

        private mutating func readNegatives(_ limits: Limits) throws {
            var negatives: [[Int32]] = [], lines: [Int] = []
            let test = self.test, testPath = testURL.path
            _ = try RecordSource(negativeURL, options: strict).read { cursor in
                let user = try ByteParsing.index(cursor.field("user", tab), field: "user", below: limits.users)
                let k = negatives.count
                guard k < test.count, test[k].user == user else {
                    let expected = k < test.count ? "user \(test[k].user)" : "no more lines"
                    throw LineIssue.malformed("user", "\(user) where \(testPath) has \(expected) (same user order)")
                }
                var row: [Int32] = []
                row.reserveCapacity(negativeCount)
                while let field = cursor.next(tab) {
                    row.append(try ByteParsing.index(field, field: "negatives", below: limits.items))
                }
                guard row.count == negativeCount else {
                    throw LineIssue.malformed("negatives", "\(row.count) negatives, expected \(negativeCount)")
                }
                let sorted = row.sorted()
                for j in 1..<sorted.count where sorted[j] == sorted[j - 1] {
                    throw LineIssue.malformed("negatives", "item \(sorted[j]) appears twice")
                }
                negatives.append(row)
                lines.append(cursor.lineNumber)
            }
            guard negatives.count == test.count else {
                throw RecommenderError.invalidArgument(
                    "\(negativeURL.path) has \(negatives.count) lines but \(testPath) has \(test.count) users")
            }
            self.negatives = negatives
            negativeLines = lines
        }

        /// The split, after checking test items and negatives against the training matrix.
        func split(userCount: Int, itemCount: Int) throws -> BenchmarkSplit {
            let train = try InteractionMatrix(userCount: userCount, itemCount: itemCount,
                                              users: users, items: items, weights: weights)
            for (k, pair) in test.enumerated() where train.contains(user: Int(pair.user), item: pair.item) {
                throw RecommenderError.malformedLine(file: testURL.path, line: testLines[k], field: "item",
                                                     reason: "item \(pair.item) is in user \(pair.user)'s training set")
            }
            for (k, row) in negatives.enumerated() {
                let (user, held) = test[k]
                for (j, item) in row.enumerated() where item == held || train.contains(user: Int(user), item: item) {
                    let what = item == held ? "the test item" : "a training item"
                    throw RecommenderError.malformedLine(file: negativeURL.path, line: negativeLines[k],
                                                         field: "negative \(j + 1)",
                                                         reason: "item \(item) is \(what) of user \(user)")
                }
            }
            return BenchmarkSplit(train: train, test: test, negatives: negatives)
        }
    }

    /// `valid/train.tsv` plus `valid/test.tsv` must be exactly `train.tsv`.
    static func checkValidation(_ validation: BenchmarkSplit, against train: InteractionMatrix, folder: URL) throws {
        let valid = folder.appendingPathComponent("valid").path
        guard validation.train.count + validation.test.count == train.count else {
            throw RecommenderError.invalidArgument(
                "\(valid): \(validation.train.count) training + \(validation.test.count) held-out interactions, "
                + "but train.tsv has \(train.count)")
        }
        for pair in validation.test where !train.contains(user: Int(pair.user), item: pair.item) {
            throw RecommenderError.invalidArgument(
                "\(valid)/test.tsv: (user \(pair.user), item \(pair.item)) is not in train.tsv")
        }
        for u in 0..<train.userCount {
            for item in validation.train.items(ofUser: u) where !train.contains(user: u, item: item) {
                throw RecommenderError.invalidArgument(
                    "\(valid)/train.tsv: (user \(u), item \(item)) is not in train.tsv")
            }
        }
    }
}
