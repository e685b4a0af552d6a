@testable import EntertainmentRecs
import Foundation
import Testing

/// Batch top-K for dot-product models skips items by their norm bound
/// (``NormOrderedItems``, ``TopKServer/prunedTopK``); it must return exactly what scoring
/// every item returns.
@Suite("Pruned top-K") struct PrunedTopKTests {
    /// The mapped selection kernel on a permuted subset of columns: ties by id, exclusions
    /// and output in ids, against the sorted reference over the ids present.
    @Test(arguments: [(40, 5), (500, 10), (3000, 64)])
    func mappedSelectionOrdersTiesAndExclusionsByID(shape: (Int, Int)) {
        let (idCount, k) = shape
        var rng = TestRNG(UInt64(idCount + k))
        // A random subset of ids (about two thirds) in random order; scores from few levels.
        var present = (0..<Int32(idCount)).filter { _ in rng.next() % 3 != 0 }
        present.shuffle(using: &rng)
        let cols = present.count, rows = 3
        let scores = (0..<(rows * cols)).map { _ in Float(rng.next() % 4) }
        var offsets: [Int64] = [0], flat: [Int32] = [], excludes: [Set<Int32>] = []
        for _ in 0..<rows {
            let ex = (0..<Int32(idCount)).filter { _ in rng.next() % 5 == 0 }
            excludes.append(Set(ex)); flat += ex; offsets.append(Int64(flat.count))
        }
        var ids = [Int32](repeating: 99, count: rows * k), best = [Float](repeating: 99, count: rows * k)
        scores.withUnsafeBufferPointer { sp in flat.withUnsafeBufferPointer { fp in offsets.withUnsafeBufferPointer { op in
            RecKernels.topK(ids: &ids, scores: &best, from: sp.baseAddress!, rows: rows, columns: cols, stride: cols, k: k,
                            excludeOffsets: op.baseAddress, excludeItems: fp.baseAddress!, columnIDs: present, idCount: idCount)
        } } }
        for r in 0..<rows {
            // The reference over the id space: absent ids score −∞ and are excluded.
            var full = [Float](repeating: -.infinity, count: idCount)
            for (j, id) in present.enumerated() { full[Int(id)] = scores[r * cols + j] }
            let absent = Set(0..<Int32(idCount)).subtracting(present)
            let ref = referenceTopK(full, k: k, exclude: excludes[r].union(absent))
            #expect(Array(ids[(r * k)..<(r * k + ref.count)]) == ref, "row \(r)")
            for (q, id) in ref.enumerated() { #expect(best[r * k + q] == full[Int(id)]) }
        }
    }

    /// A power-law synthetic set: few popular items, a long tail, a few items nobody has
    /// (zero vectors under iALS, so exact score ties at 0).
    static func powerLaw(users: Int = 300, items: Int = 400, seed: UInt64 = 3) -> InteractionMatrix {
        var rng = TestRNG(seed)
        var u: [Int32] = [], i: [Int32] = [], w: [Float] = []
        for user in 0..<users {
            var seen = Set<Int32>()
            let n = 3 + Int(rng.next() % 40)
            while seen.count < n {
                // Zipf-like by inverse transform on a power; the last 5 items are never drawn.
                let x = pow(rng.unit(), 2.5)
                seen.insert(Int32(Double(items - 5) * x))
            }
            for item in seen { u.append(Int32(user)); i.append(item); w.append(1 + Float(rng.next() % 4)) }
        }
        return try! InteractionMatrix(userCount: users, itemCount: items, users: u, items: i, weights: w)
    }

    /// iALS and BPR: pruned and full-scan batch top-K give the same ids and bit-identical
    /// scores, seen items excluded or not, for small k, k = 10 and k = the whole catalog
    /// (every tie at the bottom included), on one and two threads; and pruning does skip.
    @Test(arguments: [
        ImplicitALS(factors: 16, regularization: 1, alpha: 2, iterations: 4) as any RecommenderAlgorithm,
        BPR(factors: 16, iterations: 20),
    ])
    func prunedEqualsFullScan(algorithm: any RecommenderAlgorithm) throws {
        let m = Self.powerLaw()
        let model = try algorithm.fit(m)
        let dot = try #require(model as? any DotProductScoring)
        let index = try #require(dot.normOrdered)
        #expect(zip(index.norms, index.norms.dropFirst()).allSatisfy { $0 >= $1 })
        let users = (0..<Int32(m.userCount)).map { $0 }
        for (count, seen, threads) in [(1, true, 1), (10, true, 2), (10, false, 1), (400, true, 1), (7, false, 2)] {
            var full = TopKServer(model: model, training: m)
            full.pruning = false; full.threads = threads; full.blockSize = 37
            var pruned = full
            pruned.pruning = true
            let a = full.topK(users: users, count: count, excludingSeen: seen)
            let b = pruned.topK(users: users, count: count, excludingSeen: seen)
            for r in users.indices {
                #expect(a[r].map(\.item) == b[r].map(\.item), "\(model.name) k \(count) seen \(seen) user \(r)")
                #expect(a[r].map(\.score) == b[r].map(\.score), "\(model.name) k \(count) seen \(seen) user \(r)")
            }
        }
        // The bound prunes: for a user with a positive 10th score, less than the whole catalog.
        var vector = [Float](repeating: 0, count: index.width)
        var pruned = 0
        for u in users {
            vector.withUnsafeMutableBufferPointer { dot.userVector(u, into: $0.baseAddress!) }
            let norm = vector.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let tenth = TopKServer(model: model, training: m).topK(users: [u], count: 10, excludingSeen: true)[0][9].score
            if index.prefix(userNorm: norm, threshold: tenth) < m.itemCount { pruned += 1 }
        }
        #expect(pruned > m.userCount / 2, "\(model.name): pruning helped only \(pruned) of \(m.userCount) users")
    }

    /// No pruning when it would be unsafe: a non-positive threshold, a non-finite norm.
    @Test func boundNeverCutsBelowAThresholdItCannotBeat() throws {
        let index = try #require(NormOrderedItems(vectors: [3, 0, 0, 1, 2, 2], itemCount: 3, width: 2))
        #expect(index.order == [0, 2, 1])
        #expect(index.prefix(userNorm: 1, threshold: 0) == 3)
        #expect(index.prefix(userNorm: 1, threshold: -5) == 3)
        #expect(index.prefix(userNorm: .infinity, threshold: 1) == 3)
        #expect(index.prefix(userNorm: 1, threshold: .infinity) == 3)   // an overflowed score
        #expect(index.prefix(userNorm: 1, threshold: 2.8) == 2)   // ‖v‖ = 3, 2.83, 1
        #expect(index.prefix(userNorm: 1, threshold: 2.9) == 1)
        #expect(index.prefix(userNorm: 1, threshold: 3.5) == 0)
        #expect(NormOrderedItems(vectors: [1, .nan], itemCount: 1, width: 2) == nil)
    }
}
