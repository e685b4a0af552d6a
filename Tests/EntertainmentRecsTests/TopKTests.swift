@testable import EntertainmentRecs
import Testing

/// A plain reference: sort candidates by (score desc, index asc), NaN as −∞.
func referenceTopK(_ scores: [Float], k: Int, exclude: Set<Int32>) -> [Int32] {
    let cand = scores.indices.filter { !exclude.contains(Int32($0)) }.map { (Int32($0), scores[$0].isNaN ? -Float.infinity : scores[$0]) }
    return cand.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map(\.0)
}

@Suite("Top-K kernel") struct TopKTests {
    @Test(arguments: [(1, 1), (7, 3), (65, 10), (300, 17), (5, 10), (4000, 10), (1000, 300)])
    func matchesSortedReferenceWithTiesAndExclusions(shape: (Int, Int)) {
        let (cols, k) = shape
        var rng = TestRNG(UInt64(cols * 31 + k))
        let rows = 4
        // Scores from a few levels, so ties are common; a NaN in row 2.
        var scores = (0..<(rows * cols)).map { _ in Float(rng.next() % 5) }
        if cols > 3 { scores[2 * cols + 1] = .nan }
        var excludes: [[Int32]] = []
        var offsets: [Int64] = [0], flat: [Int32] = []
        for r in 0..<rows {
            let ex = (0..<cols).filter { _ in rng.next() % 4 == 0 }.map(Int32.init)
            excludes.append(r == 0 ? [] : ex)
            flat += excludes[r]; offsets.append(Int64(flat.count))
        }
        var ids = [Int32](repeating: 99, count: rows * k), best = [Float](repeating: 99, count: rows * k)
        scores.withUnsafeBufferPointer { sp in
            flat.withUnsafeBufferPointer { fp in
                offsets.withUnsafeBufferPointer { op in
                    RecKernels.topK(ids: &ids, scores: &best, from: sp.baseAddress!, rows: rows, columns: cols, k: k,
                                    excludeOffsets: op.baseAddress, excludeItems: fp.baseAddress ?? UnsafePointer(bitPattern: 8))
                }
            }
        }
        for r in 0..<rows {
            let ref = referenceTopK(Array(scores[(r * cols)..<((r + 1) * cols)]), k: k, exclude: Set(excludes[r]))
            let got = Array(ids[(r * k)..<((r + 1) * k)])
            #expect(Array(got.prefix(ref.count)) == ref, "row \(r)")
            #expect(got.dropFirst(ref.count).allSatisfy { $0 == -1 }, "padding in row \(r)")
        }
    }
}

extension TopKTests {
    /// Excluded columns that hold the best scores must never be returned, even though they
    /// pass the heap-root test of the vector scan: scores rise with the column, two of every
    /// three columns are excluded (as a heavy user's history), NaN and −∞ sprinkled in.
    @Test(arguments: [10, 64])
    func excludedBestScoresNeverReturned(k: Int) {
        let cols = 3706
        var scores = (0..<cols).map { Float($0) }
        scores[3] = .nan; scores[6] = -.infinity
        let ex = (0..<cols).filter { $0 % 3 != 0 }.map(Int32.init)
        var ids = [Int32](repeating: 99, count: k), best = [Float](repeating: 99, count: k)
        let offsets: [Int64] = [0, Int64(ex.count)]
        scores.withUnsafeBufferPointer { sp in
            ex.withUnsafeBufferPointer { fp in
                offsets.withUnsafeBufferPointer { op in
                    RecKernels.topK(ids: &ids, scores: &best, from: sp.baseAddress!, rows: 1, columns: cols, k: k,
                                    excludeOffsets: op.baseAddress, excludeItems: fp.baseAddress!)
                }
            }
        }
        #expect(ids == referenceTopK(scores, k: k, exclude: Set(ex)))
        #expect(ids.allSatisfy { $0 % 3 == 0 })
    }
}

/// SplitMix64 for test data.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
