/// A user's history as dense item indices with confidence weights: the input of fold-in.
public struct UserHistory: Sendable, Equatable {
    /// Item indices (dense, `0..<itemCount`), without duplicates.
    public var items: [Int32]
    /// Confidence weights aligned with `items` (1 for plain implicit feedback).
    public var weights: [Float]

    public init(items: [Int32], weights: [Float]? = nil) {
        self.items = items
        self.weights = weights ?? Array(repeating: 1, count: items.count)
    }
}

/// A fitted model over dense indices: it scores every item for users, for a history it
/// has never seen (fold-in), and against an item (similar items). Higher is better.
/// Fitted models are immutable, so one can be queried from many threads at once.
public protocol ScoringModel: Sendable {
    /// A short name, e.g. `ials`.
    var name: String { get }
    /// Number of items scored.
    var itemCount: Int { get }
    /// Scores of every item for each user in `users` (rows of `training`), written as
    /// `users.count × itemCount` row-major floats into `scores`.
    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>)
    /// Scores of every item for a user known only by `history` (not in training).
    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>)
    /// Similarity of every item to `item` (the item itself included).
    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>)
}

/// A training algorithm with its hyperparameters: `fit` turns interactions into a model.
public protocol RecommenderAlgorithm: Sendable, CustomStringConvertible {
    /// A short name, e.g. `ials`.
    var name: String { get }
    /// Trains on `matrix` (users × items, confidence weights already applied).
    func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel
}

/// An algorithm that also reads item side features (genres, tags, title words). The
/// domain recommenders hand it their catalog's metadata, aligned with the dense item
/// indices, and include catalog items nobody has interacted with yet, so they can be
/// recommended from their features (cold start).
public protocol FeatureAwareAlgorithm: RecommenderAlgorithm {
    /// Trains on `matrix` with `itemTokens[i]` the feature words of item `i`.
    func fit(_ matrix: InteractionMatrix, itemTokens: [[String]]) throws -> any ScoringModel
}

extension ScoringModel {
    /// Scores for one training user, as a new array.
    public func scores(forUser user: Int32, training: InteractionMatrix) -> [Float] {
        var out = [Float](repeating: 0, count: itemCount)
        out.withUnsafeMutableBufferPointer { scores(forUsers: [user], training: training, into: $0) }
        return out
    }
}

/// A model that scores a user from their history alone (item-based models): it writes
/// the scores of `items` weighted by `weights` into `out`; scoring training users and
/// fold-in both come from that.
protocol HistoryScoringModel: ScoringModel {
    func accumulate(items: ArraySlice<Int32>, weights: ArraySlice<Float>, into out: UnsafeMutablePointer<Float>)
}

extension HistoryScoringModel {
    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        for (r, u) in users.enumerated() {
            accumulate(items: training.items(ofUser: Int(u)), weights: training.weights(ofUser: Int(u)),
                       into: scores.baseAddress! + r * itemCount)
        }
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        accumulate(items: history.items[...], weights: history.weights[...], into: scores.baseAddress!)
    }
}
