import Foundation

/// Computes the leave-one-out protocol of the benchmark README
/// (`../shared/benchmarks/README.md`) for a fitted model on one split: HR@K, NDCG@K and
/// MRR among the test item and its sampled negatives; HR@K, NDCG@K, Recall@K', MRR and
/// catalog coverage@K over all items outside the user's training set.
///
/// Ranks are 0-based and pessimistic (every other candidate scoring ≥ the test item ranks
/// above it) and NaN scores count as −∞. Scores are requested from the model in blocks of
/// users into one reusable buffer per worker thread; per-user ranks are stored by position
/// and summed in user order, so the result is bit-identical for any thread count.
///
/// ```swift
/// let model = try algorithm.fit(dataset.test.train)
/// let result = try Evaluator().evaluate(model, on: dataset.test, splitName: "test")
/// print(EvaluationResult.table([result]))
/// ```
public struct Evaluator: Sendable {
    /// K of HR@K, NDCG@K and coverage@K (default 10).
    public var cutoff: Int
    /// K of Recall@K (default 20).
    public var recallCutoff: Int
    /// Users scored per call of ``ScoringModel/scores(forUsers:training:into:)`` (default
    /// 256); reduced so that one block's buffer stays within 64 MiB.
    public var blockSize: Int
    /// Worker threads (default: the active processor count); 1 evaluates on the caller's thread.
    public var threadCount: Int

    /// Largest score buffer per worker, in floats (64 MiB).
    static let maxBufferFloats = 1 << 24

    /// - Parameters:
    ///   - cutoff: K of HR@K, NDCG@K and coverage@K, ≥ 1.
    ///   - recallCutoff: K of Recall@K, ≥ 1.
    ///   - blockSize: users per scoring call, ≥ 1.
    ///   - threadCount: worker threads, ≥ 1; `nil` uses every active processor.
    public init(cutoff: Int = 10, recallCutoff: Int = 20, blockSize: Int = 256, threadCount: Int? = nil) {
        precondition(cutoff >= 1 && recallCutoff >= 1, "cutoffs must be ≥ 1 (got \(cutoff), \(recallCutoff))")
        precondition(blockSize >= 1, "blockSize must be ≥ 1 (got \(blockSize))")
        precondition(threadCount.map { $0 >= 1 } ?? true, "threadCount must be ≥ 1")
        self.cutoff = cutoff
        self.recallCutoff = recallCutoff
        self.blockSize = blockSize
        self.threadCount = threadCount ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// Evaluates `model` on every held-out user of `split`.
    /// - Parameters:
    ///   - model: a model fitted on `split.train` (its scores for row `u` of `split.train`).
    ///   - split: training matrix, held-out pairs and their negatives.
    ///   - modelName: the label in the result; defaults to `model.name`.
    ///   - splitName: which split this is (`valid`, `test`), recorded in the result.
    /// - Returns: means over `split.test`, each user with equal weight.
    /// - Throws: ``RecommenderError/emptyData(_:)`` if the split has no held-out users;
    ///   ``RecommenderError/invalidArgument(_:)`` if the model's item count differs from the
    ///   split's, an id is out of range, the negatives do not line up with the held-out
    ///   pairs, or a held-out item is also one of the user's training items.
    /// - Complexity: O(U · I · K) for U held-out users and I items, plus the model's scoring.
    public func evaluate(_ model: any ScoringModel, on split: BenchmarkSplit,
                         modelName: String? = nil, splitName: String? = nil) throws -> EvaluationResult {
        try validate(model, on: split)
        let outcomes = userOutcomes(model, on: split)
        return summarize(outcomes, itemCount: split.train.itemCount,
                         model: modelName ?? model.name, split: splitName)
    }

    /// Checks that `split` is well formed for `model` (bad data throws, as documented on
    /// ``evaluate(_:on:modelName:splitName:)``).
    func validate(_ model: any ScoringModel, on split: BenchmarkSplit) throws {
        let train = split.train
        guard !split.test.isEmpty else { throw RecommenderError.emptyData("the split has no held-out users to evaluate") }
        guard model.itemCount == train.itemCount else {
            throw RecommenderError.invalidArgument("model '\(model.name)' scores \(model.itemCount) items but the split has \(train.itemCount)")
        }
        guard split.negatives.count == split.test.count else {
            throw RecommenderError.invalidArgument("\(split.negatives.count) negative lists for \(split.test.count) held-out pairs")
        }
        for (index, pair) in split.test.enumerated() {
            guard pair.user >= 0, Int(pair.user) < train.userCount else {
                throw RecommenderError.invalidArgument("held-out pair \(index): user \(pair.user) outside 0..<\(train.userCount)")
            }
            guard pair.item >= 0, Int(pair.item) < train.itemCount else {
                throw RecommenderError.invalidArgument("held-out pair \(index): item \(pair.item) outside 0..<\(train.itemCount)")
            }
            guard !train.contains(user: Int(pair.user), item: pair.item) else {
                throw RecommenderError.invalidArgument("held-out item \(pair.item) of user \(pair.user) is also a training item")
            }
            for j in split.negatives[index] where j < 0 || Int(j) >= train.itemCount {
                throw RecommenderError.invalidArgument("negative \(j) of user \(pair.user) outside 0..<\(train.itemCount)")
            }
        }
    }

    /// Means of the per-user metrics, summed in user order; coverage from the union of
    /// the users' top-K lists.
    func summarize(_ outcomes: UserOutcomes, itemCount: Int, model: String, split: String?) -> EvaluationResult {
        var sampled = (hit: 0.0, ndcg: 0.0, mrr: 0.0)
        var full = (hit: 0.0, ndcg: 0.0, recall: 0.0, mrr: 0.0)
        for r in outcomes.sampledRanks {
            sampled.hit += Ranking.hit(rank: r, cutoff: cutoff)
            sampled.ndcg += Ranking.ndcg(rank: r, cutoff: cutoff)
            sampled.mrr += Ranking.reciprocalRank(r)
        }
        for r in outcomes.fullRanks {
            full.hit += Ranking.hit(rank: r, cutoff: cutoff)
            full.ndcg += Ranking.ndcg(rank: r, cutoff: cutoff)
            full.recall += Ranking.hit(rank: r, cutoff: recallCutoff)
            full.mrr += Ranking.reciprocalRank(r)
        }
        var covered = [Bool](repeating: false, count: itemCount)
        for item in outcomes.topItems where item >= 0 { covered[Int(item)] = true }
        let coveredCount = covered.reduce(0) { $0 + ($1 ? 1 : 0) }
        let n = Double(outcomes.sampledRanks.count)
        return EvaluationResult(
            model: model, split: split, users: outcomes.sampledRanks.count,
            cutoff: cutoff, recallCutoff: recallCutoff,
            sampledHitRate: sampled.hit / n, sampledNDCG: sampled.ndcg / n, sampledMRR: sampled.mrr / n,
            fullHitRate: full.hit / n, fullNDCG: full.ndcg / n, fullRecall: full.recall / n,
            fullMRR: full.mrr / n,
            fullCoverage: itemCount > 0 ? Double(coveredCount) / Double(itemCount) : 0)
    }
}
