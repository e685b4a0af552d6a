import DeepCore
import EntertainmentRecs
import Foundation

/// Recommender speed: iALS time per iteration, top-K serving users/s and EASE fit time,
/// on a MovieLens-1M-sized synthetic matrix (6,040 × 3,706, 1,000,000 interactions,
/// power-law item popularity) and, when given, the real benchmark folders.
enum RecommenderBench {
    /// A seeded users × items matrix with `count` distinct interactions, items drawn from a
    /// Zipf-like law (exponent 0.9) and users' activity from a heavy-tailed one.
    static func syntheticMatrix(users: Int = 6_040, items: Int = 3_706, count: Int = 1_000_000, seed: UInt64 = 1) -> [(user: Int64, item: Int64, weight: Float)] {
        var rng = SeededGenerator(seed: seed)
        var cdf = [Double](repeating: 0, count: items)
        var total = 0.0
        for i in 0..<items { total += 1 / pow(Double(i + 1), 0.9); cdf[i] = total }
        let activity = (0..<users).map { _ in pow(Double(1 - rng.nextUnitFloat()) + 1e-3, -0.7) }
        let scale = Double(count) / activity.reduce(0, +)
        var out: [(Int64, Int64, Float)] = []
        out.reserveCapacity(count + users)
        for u in 0..<users {
            let n = min(items / 2, max(5, Int(activity[u] * scale)))
            var seen = Set<Int>()
            while seen.count < n {
                let r = Double(rng.nextUnitFloat()) * total
                var lo = 0, hi = items - 1
                while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < r { lo = mid + 1 } else { hi = mid } }
                if seen.insert(lo).inserted { out.append((Int64(u), Int64(lo), Float(1 + rng.nextIndex(below: 5)))) }
            }
        }
        return out
    }

    /// `ials` / `topK`: whether to measure the iALS-per-iteration rows and the top-K rows;
    /// `benchmarks` adds the EASE fits.
    static func run(repeats: Int, benchmarks: String?, ials: Bool = true, topK: Bool = true) throws -> [BenchResult] {
        var results: [BenchResult] = []
        let triples = syntheticMatrix()
        let pairs = triples.map { (user: ViewerID($0.user), item: FilmID($0.item), weight: $0.weight) }
        print("synthetic ML-1M-sized matrix: \(Set(triples.map(\.user)).count) users, \(Set(triples.map(\.item)).count) items, \(triples.count) interactions")

        // iALS: (time of 6 iterations − time of 1) / 5, one thread; setup cost cancels out.
        for (label, solver) in [("cg", ImplicitALS.Solver.conjugateGradient(steps: 3)), ("cholesky", .cholesky)] where ials {
            func fitTime(_ iterations: Int) throws -> Double {
                let engine = RecommenderEngine<ViewerID, FilmID>(
                    algorithm: ImplicitALS(factors: 64, regularization: 10, alpha: 1, iterations: iterations, solver: solver, threads: 1))
                let start = ContinuousClock.now
                try engine.fit(pairs)
                return seconds(ContinuousClock.now - start)
            }
            var perIteration: [Double] = []
            for _ in 0..<max(3, repeats / 2) { perIteration.append((try fitTime(6) - fitTime(1)) / 5) }
            perIteration.sort()
            results.append(BenchResult(name: "ials-iteration", variant: label, shape: "6040×3706 f64 1M", unit: "s",
                                       median: median(perIteration), min: perIteration.first!, max: perIteration.last!, repeats: perIteration.count))
        }
        if topK { results += try topKServing(pairs, repeats: repeats) }
        if let benchmarks { results += try easeFits(repeats: repeats, benchmarks: benchmarks) }
        return results
    }

    /// Top-10 serving for every user of an iALS model (64 factors), seen items excluded.
    static func topKServing(_ pairs: [(user: ViewerID, item: FilmID, weight: Float)], repeats: Int) throws -> [BenchResult] {
        var results: [BenchResult] = []

        // Top-10 serving for every user, seen items excluded, one thread and all threads.
        let engine = RecommenderEngine<ViewerID, FilmID>(algorithm: ImplicitALS(factors: 64, regularization: 10, alpha: 1, iterations: 3))
        try engine.fit(pairs)
        let users = engine.knownUsers
        let check = try engine.recommend(for: users, count: 10, threads: 1)
        let single = try engine.recommend(for: users[0], count: 10)
        precondition(check[users[0]]?.map(\.item) == single.map(\.item), "batch top-K differs from single-user top-K")
        let everyItem = try engine.recommend(for: users, count: 10, threads: 1, scoreEveryItem: true)
        precondition(users.allSatisfy { check[$0]! == everyItem[$0]! }, "norm-pruned top-K differs from scoring every item")
        let flat = try engine.recommendations(for: users, count: 10, threads: 1)
        precondition(flat.indices.allSatisfy { flat.recommendations(at: $0) == check[flat.users[$0]]! },
                     "flat batch top-K differs from the dictionary one")
        // Norm-bound pruning (the default) beside scoring every item, one and two threads,
        // through the flat batch API; the dictionary API (an array of `Recommendation` per
        // user) beside it.
        for threads in [1, 2] {
            let full = try measure(repeats: repeats, work: Double(users.count)) {
                blackHole(try engine.recommendations(for: users, count: 10, threads: threads, scoreEveryItem: true))
            }
            let pruned = try measure(repeats: repeats, work: Double(users.count)) {
                blackHole(try engine.recommendations(for: users, count: 10, threads: threads))
            }
            let dictionary = try measure(repeats: repeats, work: Double(users.count)) {
                blackHole(try engine.recommend(for: users, count: 10, threads: threads))
            }
            results.append(result("topk-serving", "every item, flat", "6040 users 3706 items f64", "users/s", full, threads: threads))
            var row = result("topk-serving", "pruned, flat", "6040 users 3706 items f64", "users/s", pruned, threads: threads)
            row.reference = results.last!.median
            row.against = "every item, flat"
            results.append(row)
            var dict = result("topk-serving", "pruned, dict", "6040 users 3706 items f64", "users/s", dictionary, threads: threads)
            dict.reference = row.median
            dict.against = "pruned, flat"
            results.append(dict)
        }
        return results
    }

    /// EASE fit on ml-100k and lastfm-2k by both solvers, two threads. The user-Gram
    /// (Woodbury) weights are first checked against the item-Gram ones on ml-100k (every
    /// row of B, 1e-3 of the row's largest off-diagonal weight); on lastfm-2k the item-Gram fit (about
    /// 100 s) runs once, after which 200 rows are compared. `itemGramOnLastFM: false`
    /// skips it.
    static func easeFits(repeats: Int, benchmarks: String, itemGramOnLastFM: Bool = true) throws -> [BenchResult] {
        var results: [BenchResult] = []
        for name in ["ml-100k", "lastfm-2k"] {
            let data = try BenchmarkDataset.load(from: benchmarks + "/" + name)
            let train = data.test.train
            var fitted: [EASE.Solver: any ScoringModel] = [:]
            for solver in [EASE.Solver.userGram, .itemGram] {
                if name == "lastfm-2k" && solver == .itemGram && !itemGramOnLastFM { continue }
                let runs = name == "ml-100k" ? repeats : solver == .userGram ? min(repeats, 3) : 1
                var times: [Double] = []
                for _ in 0..<runs {
                    let start = ContinuousClock.now
                    fitted[solver] = try EASE(lambda: 200, threads: 2, solver: solver).fit(train)
                    times.append(seconds(ContinuousClock.now - start))
                }
                times.sort()
                results.append(BenchResult(name: "ease-fit", variant: solver == .userGram ? "user-gram" : "item-gram",
                                           shape: "\(name) \(train.userCount)×\(data.itemCount)", unit: "s",
                                           median: median(times), min: times.first!, max: times.last!, repeats: times.count,
                                           threads: 2))
            }
            // The user-Gram row's ratio: its time over the item-Gram time of the same run.
            if fitted.count == 2 {
                results[results.count - 2].reference = results[results.count - 1].median
                results[results.count - 2].against = "item-gram"
            }
            if let a = fitted[.userGram], let b = fitted[.itemGram] {
                let n = data.itemCount, rows = name == "ml-100k" ? Array(0..<n) : (0..<200).map { $0 * n / 200 }
                var worst = 0.0
                var ra = [Float](repeating: 0, count: n), rb = ra
                for i in rows {
                    ra.withUnsafeMutableBufferPointer { a.similarities(toItem: Int32(i), into: $0) }
                    rb.withUnsafeMutableBufferPointer { b.similarities(toItem: Int32(i), into: $0) }
                    ra[i] = 0; rb[i] = 0   // similarities set the item itself to 1; B_ii = 0

                    let scale = max(1e-12, Double(rb.map(abs).max()!))
                    worst = max(worst, zip(ra, rb).map { Double(abs($0 - $1)) }.max()! / scale)
                }
                print(String(format: "ease %@: user-Gram B within %.2e of item-Gram B (max |Δ| / row max over %d rows)", name, worst, rows.count))
                precondition(worst < 1e-3, "EASE solvers disagree on \(name): \(worst)")
            }
        }
        return results
    }
}
