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

/// What `recommend` does with a user the model never saw.
public enum UnknownUserPolicy: Sendable {
    /// Throw ``RecommenderError/unknownUser(_:)``.
    case fail
    /// Recommend the most popular items.
    case popular
}
