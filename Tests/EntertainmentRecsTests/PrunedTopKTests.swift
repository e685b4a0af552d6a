@testable import EntertainmentRecs
import DeepCore
import Foundation
import Testing

/// Batch top-K for dot-product models scores and selects in one kernel and skips items by
/// their norm bound (``NormOrderedItems``, `ck_topk_dot`); it must return exactly what
/// scoring every item returns.
@Suite("Pruned top-K") struct PrunedTopKTests {
    /// The fused kernel (`ck_topk_dot`) against an exact reference: small integer vectors
    /// make every dot product exact in Float, so ties are plentiful and the ids must equal
    /// the sorted reference (score descending, ties to the lower id, exclusions skipped,
    /// −1 padding past the candidates); every tile variant, with and without the norm bound,
    /// at edge shapes (1–101 users across the 6-row tile, the 3-row half tile of a group's
    /// last 1–3 users and the 96-user group, 1–600 items across the 16-item panel, widths
    /// 1–65, k from 1 past the catalog). Every fifth user excludes only a couple of items
    /// (its exclusion bits are cleared one by one; long lists clear the whole bitmap).
    @Test(arguments: [(1, 1, 1, 1), (5, 15, 3, 4), (6, 16, 16, 10), (7, 17, 64, 10), (49, 100, 65, 7),
                      (101, 250, 8, 10), (13, 40, 5, 45), (48, 33, 2, 33), (8, 40, 8, 10), (9, 40, 8, 10),
                      (98, 256, 8, 10), (99, 600, 8, 10)])
    func fusedKernelMatchesExactReference(shape: (Int, Int, Int, Int)) throws {
        let (rows, n, w, k) = shape
        var rng = TestRNG(UInt64(rows * 1_000 + n * 10 + w))
        let items = (0..<(n * w)).map { _ in Float(Int(rng.next() % 5) - 2) }
        let users = (0..<(rows * w)).map { _ in Float(Int(rng.next() % 5) - 2) }
        // The ids are the items' row numbers; some users exclude a few (and one id twice).
        var offsets: [Int64] = [0], flat: [Int32] = [], excludes: [Set<Int32>] = []
        for r in 0..<rows {
            var ex = (0..<Int32(n)).filter { _ in r % 3 != 0 && rng.next() % 4 == 0 }
            if r % 5 == 1 { ex = Array(ex.prefix(2)) }
            if let first = ex.first { ex.append(first) }
            excludes.append(Set(ex)); flat += ex; offsets.append(Int64(flat.count))
        }
        let index = try #require(NormOrderedItems(vectors: items, itemCount: n, width: w))
        let kk = min(k, n + 3)
        var results: [([Int32], [Float])] = []
        for isa in [KernelISA.scalar, .automatic] + (KernelISA.avx2.isAvailable ? [.avx2] : []) {
            for pruning in [false, true] {
                var ids = [Int32](repeating: 99, count: rows * kk), best = [Float](repeating: 99, count: rows * kk)
                offsets.withUnsafeBufferPointer { op in flat.withUnsafeBufferPointer { fp in
                    _ = RecKernels.topKDot(ids: &ids, scores: &best, users: users, rows: rows, index: index, pruning: pruning,
                                           k: kk, excludeOffsets: op.baseAddress!, excludeItems: fp.baseAddress ?? UnsafePointer(bitPattern: 8)!, isa: isa)
                } }
                results.append((ids, best))
            }
        }
        for r in 0..<rows {
            let exact = (0..<n).map { j in Float((0..<w).reduce(0.0) { $0 + Double(users[r * w + $1]) * Double(items[j * w + $1]) }) }
            let ref = referenceTopK(exact, k: kk, exclude: excludes[r])
            let (ids, best) = results[0]
            #expect(Array(ids[(r * kk)..<(r * kk + ref.count)]) == ref, "user \(r)")
            for (q, id) in ref.enumerated() { #expect(best[r * kk + q] == exact[Int(id)]) }
            for q in ref.count..<kk { #expect(ids[r * kk + q] == -1 && best[r * kk + q] == -.infinity) }
        }
        for other in results.dropFirst() {
            #expect(other.0 == results[0].0)
            #expect(other.1.map(\.bitPattern) == results[0].1.map(\.bitPattern))
        }
    }

    /// The kernel on a trained model's vectors, whole groups of 96 users and a partial
    /// one: pruning retires users mid-group (scoring fewer tiles), and the result is the
    /// unpruned one bit for bit, on every tile variant.
    @Test func fusedKernelRetiresUsersAndStillAgrees() throws {
        let m = Self.powerLaw(users: 300, items: 1_600, seed: 5)
        let model = try ImplicitALS(factors: 16, regularization: 1, alpha: 2, iterations: 4).fit(m)
        let dot = try #require(model as? any DotProductScoring)
        let index = try #require(dot.normOrdered)
        let w = index.width, k = 10, rows = m.userCount
        var users = [Float](repeating: 0, count: rows * w)
        users.withUnsafeMutableBufferPointer { p in for u in 0..<rows { dot.userVector(Int32(u), into: p.baseAddress! + u * w) } }
        let (offsets, excluded) = TopKServer.exclusions((0..<Int32(rows)).map { $0 }[...], training: m, seen: true)
        var runs: [(ids: [Int32], scores: [Float], tiles: Int)] = []
        for isa in [KernelISA.scalar, .automatic] {
            for pruning in [false, true] {
                var ids = [Int32](repeating: 0, count: rows * k), best = [Float](repeating: 0, count: rows * k)
                let tiles = RecKernels.topKDot(ids: &ids, scores: &best, users: users, rows: rows, index: index, pruning: pruning,
                                               k: k, excludeOffsets: offsets, excludeItems: excluded, isa: isa)
                runs.append((ids, best, tiles))
            }
        }
        let full = runs[0].tiles
        #expect(full == (3 * 16 + 2) * 100)   // 96, 96, 96 and 12 users: 16 + 16 + 16 + 2 tiles per panel, 100 panels
        for run in runs.dropFirst() {
            #expect(run.ids == runs[0].ids)
            #expect(run.scores.map(\.bitPattern) == runs[0].scores.map(\.bitPattern))
        }
        #expect(runs[1].tiles < full * 9 / 10, "pruning scored \(runs[1].tiles) of \(full) tiles")
        #expect(runs[3].tiles == runs[1].tiles)
    }

    /// Random Float vectors: every variant, pruned or not, gives the same ids and the same
    /// bits; the scores agree with a Double reference to rounding, and the ids are the
    /// reference's wherever its scores are not within rounding of each other.
    @Test func fusedKernelVariantsAgreeOnFloats() throws {
        let (rows, n, w, k) = (61, 517, 64, 10)
        var rng = TestRNG(11)
        // Power-law norms, as trained models have: a few long item vectors.
        let items = (0..<(n * w)).map { i in Float(rng.unit() - 0.5) * Float(3 / (1 + Double(i / w) * 0.05)) }
        let users = (0..<(rows * w)).map { _ in Float(rng.unit() - 0.5) }
        let index = try #require(NormOrderedItems(vectors: items, itemCount: n, width: w))
        let offsets = [Int64](repeating: 0, count: rows + 1), none: [Int32] = [0]
        var results: [([Int32], [Float])] = []
        for isa in [KernelISA.scalar, .automatic] {
            for pruning in [false, true] {
                var ids = [Int32](repeating: 0, count: rows * k), best = [Float](repeating: 0, count: rows * k)
                RecKernels.topKDot(ids: &ids, scores: &best, users: users, rows: rows, index: index, pruning: pruning,
                                   k: k, excludeOffsets: offsets, excludeItems: none, isa: isa)
                results.append((ids, best))
            }
        }
        for other in results.dropFirst() {
            #expect(other.0 == results[0].0)
            #expect(other.1.map(\.bitPattern) == results[0].1.map(\.bitPattern))
        }
        let (ids, best) = results[0]
        for r in 0..<rows {
            let exact = (0..<n).map { j in (0..<w).reduce(0.0) { $0 + Double(users[r * w + $1]) * Double(items[j * w + $1]) } }
            let order = exact.indices.sorted { exact[$0] > exact[$1] }
            for q in 0..<k {
                #expect(abs(Double(best[r * k + q]) - exact[Int(ids[r * k + q])]) < 1e-5)
                if q + 1 < n, exact[order[q]] - exact[order[q + 1]] > 1e-4, q == 0 || exact[order[q - 1]] - exact[order[q]] > 1e-4 {
                    #expect(ids[r * k + q] == Int32(order[q]), "user \(r) rank \(q)")
                }
            }
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
