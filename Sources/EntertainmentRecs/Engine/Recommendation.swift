/// One recommended item: its id, the model's score and, when the catalog knows it, its
/// title and tags; `because` lists seen items that most support it (when asked for).
public struct Recommendation<ItemID: EntityID>: Sendable, Equatable {
    public var item: ItemID
    public var score: Float
    public var title: String?
    public var tags: [String]
    /// Items from the user's history that most led to this one, strongest first.
    public var because: [ItemID]

    public init(item: ItemID, score: Float, title: String? = nil, tags: [String] = [], because: [ItemID] = []) {
        self.item = item
        self.score = score
        self.title = title
        self.tags = tags
        self.because = because
    }
}

/// Top-k lists of many users, stored flat (three arrays, not an array per user): row r
/// is `users[r]`'s list, best first; its items are `items[offsets[r] ..< offsets[r + 1]]`
/// with their `scores`. Returned by `recommendations(for:count:...)` on a batch of users.
public struct BatchRecommendations<UserID: EntityID, ItemID: EntityID>: Sendable, RandomAccessCollection {
    /// The users asked for, in the order given (one row each, repeats included).
    public let users: [UserID]
    /// Row r spans `offsets[r] ..< offsets[r + 1]` of `items` and `scores`.
    public let offsets: [Int]
    public let items: [ItemID]
    public let scores: [Float]

    public var startIndex: Int { 0 }
    public var endIndex: Int { users.count }

    /// Row r: the user and their items and scores, best first. The slices keep the flat
    /// arrays' indices (they start at `offsets[r]`, not 0): iterate them, or take `.first`
    /// or `Array(_:)`.
    public subscript(r: Int) -> (user: UserID, items: ArraySlice<ItemID>, scores: ArraySlice<Float>) {
        (users[r], items[offsets[r]..<offsets[r + 1]], scores[offsets[r]..<offsets[r + 1]])
    }

    /// Row r as ``Recommendation`` values.
    public func recommendations(at r: Int) -> [Recommendation<ItemID>] {
        (offsets[r]..<offsets[r + 1]).map { Recommendation(item: items[$0], score: scores[$0]) }
    }
}

/// What `recommend` does with a user the model never saw.
public enum UnknownUserPolicy: Sendable {
    /// Throw ``RecommenderError/unknownUser(_:)``.
    case fail
    /// Recommend the most popular items.
    case popular
}
