/// One split of the leave-one-out benchmark format of `../shared/benchmarks` (see its
/// README): training interactions, one held-out item per user, and 99 sampled negatives.
/// Ids in these files are already dense (`0..<userCount`, `0..<itemCount`).
public struct BenchmarkSplit: Sendable {
    /// Training interactions (users × items), raw weights from `train.tsv`.
    public var train: InteractionMatrix
    /// Held-out pairs from `test.tsv`: `(user, item)`, one per user that has one.
    public var test: [(user: Int32, item: Int32)]
    /// For each entry of `test`, in the same order, the 99 negatives from `test.negative`.
    public var negatives: [[Int32]]

    public init(train: InteractionMatrix, test: [(user: Int32, item: Int32)], negatives: [[Int32]]) {
        self.train = train
        self.test = test
        self.negatives = negatives
    }
}

/// A benchmark folder: the test split, the validation split (`valid/`) and item names.
public struct BenchmarkDataset: Sendable {
    /// Folder name, e.g. `ml-100k`.
    public var name: String
    /// `train.tsv`, `test.tsv`, `test.negative`.
    public var test: BenchmarkSplit
    /// `valid/train.tsv`, `valid/test.tsv`, `valid/test.negative`.
    public var validation: BenchmarkSplit
    /// `items.tsv`: dense id → (original id, name, genres).
    public var items: [BenchmarkItem]
    public var userCount: Int { test.train.userCount }
    public var itemCount: Int { test.train.itemCount }

    public init(name: String, test: BenchmarkSplit, validation: BenchmarkSplit, items: [BenchmarkItem]) {
        self.name = name
        self.test = test
        self.validation = validation
        self.items = items
    }
}

/// A line of `items.tsv`.
public struct BenchmarkItem: Sendable, Equatable {
    public var id: Int32
    public var originalID: String
    public var name: String
    public var genres: [String]

    public init(id: Int32, originalID: String, name: String, genres: [String]) {
        self.id = id
        self.originalID = originalID
        self.name = name
        self.genres = genres
    }
}
