import Foundation

/// The rank computations of the benchmark protocol (`../shared/benchmarks/README.md`) on
/// one user's score row. Ranks are 0-based and pessimistic: every other candidate whose
/// score is greater than or equal to the test item's ranks above it. NaN counts as −∞,
/// and −∞ ≥ −∞, so a NaN test score ranks below every other candidate.
enum Ranking {
    /// The comparison key of a score: NaN becomes −∞, everything else is unchanged.
    @inline(__always)
    static func key(_ score: Float) -> Float { score.isNaN ? -.infinity : score }

    /// Sampled rank: `|{ j in negatives : s(j) ≥ s(t) }|`. Nothing is masked.
    /// - Complexity: O(`negatives.count`).
    static func sampledRank(scores: UnsafeBufferPointer<Float>, testItem: Int32, negatives: [Int32]) -> Int {
        let target = key(scores[Int(testItem)])
        var rank = 0
        for j in negatives where key(scores[Int(j)]) >= target { rank += 1 }
        return rank
    }

    /// Full-ranking rank `|{ j ∉ train(u), j ≠ t : s(j) ≥ s(t) }|`, and the user's top-K
    /// candidates (ties go to the lower index) offered to `topK` in the same sweep.
    /// - Parameters:
    ///   - training: the user's training items, ascending (a row of an ``InteractionMatrix``).
    ///   - testItem: the held-out item; it is always a candidate.
    /// - Complexity: O(`scores.count` · K) worst case, O(`scores.count`) typically.
    static func fullRank(scores: UnsafeBufferPointer<Float>, training: ArraySlice<Int32>, testItem: Int32,
                         topK: inout TopKSelector) -> Int {
        let target = key(scores[Int(testItem)])
        var rank = 0
        var next = training.startIndex
        topK.reset()
        for j in 0..<scores.count {
            // Merge walk over the sorted training row masks train(u) without a lookup per item.
            if next < training.endIndex, Int(training[next]) == j {
                next += 1
                if j != Int(testItem) { continue }
            }
            let s = key(scores[j])
            topK.offer(item: Int32(j), score: s)
            if j != Int(testItem), s >= target { rank += 1 }
        }
        return rank
    }

    /// HR@K of one user: 1 if `rank < cutoff`, else 0.
    @inline(__always)
    static func hit(rank: Int, cutoff: Int) -> Double { rank < cutoff ? 1 : 0 }

    /// NDCG@K of one user with one relevant item: `1 / log2(rank + 2)` if `rank < cutoff`.
    @inline(__always)
    static func ndcg(rank: Int, cutoff: Int) -> Double { rank < cutoff ? 1 / log2(Double(rank) + 2) : 0 }

    /// Reciprocal rank `1 / (rank + 1)`.
    @inline(__always)
    static func reciprocalRank(_ rank: Int) -> Double { 1 / Double(rank + 1) }
}

/// The K best (item, score) pairs of a stream offered in ascending item order, ordered by
/// score descending, ties to the lower item. Storage is allocated once and reused per user.
struct TopKSelector {
    /// The K of top-K.
    let capacity: Int
    /// Items kept so far, best first (`count` valid entries).
    private(set) var items: [Int32]
    private var scores: [Float]
    /// Number of valid entries (≤ `capacity`).
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity >= 0, "top-K capacity must be ≥ 0")
        self.capacity = capacity
        items = Array(repeating: -1, count: capacity)
        scores = Array(repeating: -.infinity, count: capacity)
    }

    /// Empties the selection.
    mutating func reset() { count = 0 }

    /// Offers `item`; items must come in ascending order, so an equal score never displaces
    /// a kept item (ties → lower index).
    @inline(__always)
    mutating func offer(item: Int32, score: Float) {
        if count == capacity {
            guard capacity > 0, score > scores[capacity - 1] else { return }
        } else {
            count += 1
        }
        var position = count - 1
        while position > 0, score > scores[position - 1] {
            items[position] = items[position - 1]
            scores[position] = scores[position - 1]
            position -= 1
        }
        items[position] = item
        scores[position] = score
    }
}
