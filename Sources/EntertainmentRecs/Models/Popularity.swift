/// Recommends what most users have: every user gets the items ranked by their number of
/// interactions (ties to the lower index). The baseline every model must beat, and the
/// fallback for users the model does not know.
public struct Popularity: RecommenderAlgorithm {
    public var name: String { "popularity" }
    public var description: String { "popularity" }

    public init() {}

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to count") }
        return PopularityModel(counts: matrix.itemCounts().map(Float.init))
    }
}

/// Item popularity as a fitted model.
struct PopularityModel: ScoringModel {
    let counts: [Float]
    var name: String { "popularity" }
    var itemCount: Int { counts.count }

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        for r in 0..<users.count {
            counts.withUnsafeBufferPointer {
                (scores.baseAddress! + r * itemCount).update(from: $0.baseAddress!, count: itemCount)
            }
        }
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<itemCount { scores[i] = counts[i] }
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<itemCount { scores[i] = counts[i] }
    }
}
