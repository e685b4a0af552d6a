/// The metrics of one model on one split under the benchmark protocol
/// (`../shared/benchmarks/README.md`): each a mean over the split's held-out users with
/// equal weight, except coverage, which is a fraction of the catalog.
///
/// Encodes to JSON with the metric names of the README:
/// ```json
/// { "model": "ials", "split": "test", "users": 943, "cutoff": 10, "recallCutoff": 20,
///   "sampled": { "hr@10": 0.71, "ndcg@10": 0.44, "mrr": 0.38 },
///   "full": { "hr@10": 0.12, "ndcg@10": 0.06, "recall@20": 0.19, "mrr": 0.05, "coverage@10": 0.21 } }
/// ```
public struct EvaluationResult: Sendable, Equatable {
    /// The model's label (its name, or the algorithm's description in a grid search).
    public var model: String
    /// Which split the numbers come from, e.g. `valid` or `test`; `nil` if not given.
    public var split: String?
    /// Number of held-out users averaged over.
    public var users: Int
    /// K of HR@K, NDCG@K and coverage@K.
    public var cutoff: Int
    /// K of Recall@K.
    public var recallCutoff: Int

    /// Sampled protocol: HR@K among the test item and its negatives.
    public var sampledHitRate: Double
    /// Sampled protocol: NDCG@K.
    public var sampledNDCG: Double
    /// Sampled protocol: mean of `1 / (rank + 1)`.
    public var sampledMRR: Double
    /// Full ranking: HR@K among all items outside the user's training set.
    public var fullHitRate: Double
    /// Full ranking: NDCG@K.
    public var fullNDCG: Double
    /// Full ranking: Recall@`recallCutoff` (= HR@`recallCutoff` with one held-out item).
    public var fullRecall: Double
    /// Full ranking: mean of `1 / (rank + 1)`.
    public var fullMRR: Double
    /// Full ranking: fraction of all items that appear in at least one user's top-K
    /// candidates (ties to the lower index).
    public var fullCoverage: Double

    public init(model: String, split: String?, users: Int, cutoff: Int, recallCutoff: Int,
                sampledHitRate: Double, sampledNDCG: Double, sampledMRR: Double,
                fullHitRate: Double, fullNDCG: Double, fullRecall: Double, fullMRR: Double,
                fullCoverage: Double) {
        self.model = model
        self.split = split
        self.users = users
        self.cutoff = cutoff
        self.recallCutoff = recallCutoff
        self.sampledHitRate = sampledHitRate
        self.sampledNDCG = sampledNDCG
        self.sampledMRR = sampledMRR
        self.fullHitRate = fullHitRate
        self.fullNDCG = fullNDCG
        self.fullRecall = fullRecall
        self.fullMRR = fullMRR
        self.fullCoverage = fullCoverage
    }

    /// The value of `metric`.
    public func value(of metric: EvaluationMetric) -> Double {
        switch metric {
        case .sampledHitRate: sampledHitRate
        case .sampledNDCG: sampledNDCG
        case .sampledMRR: sampledMRR
        case .fullHitRate: fullHitRate
        case .fullNDCG: fullNDCG
        case .fullRecall: fullRecall
        case .fullMRR: fullMRR
        case .fullCoverage: fullCoverage
        }
    }

    /// Every metric with its display name (`sampled hr@10`, …, `full coverage@10`), in
    /// ``EvaluationMetric/allCases`` order.
    public var metrics: [(name: String, value: Double)] {
        EvaluationMetric.allCases.map { ($0.name(in: self), value(of: $0)) }
    }
}

extension EvaluationResult: Codable {
    private enum Keys: String, CodingKey {
        case model, split, users, cutoff, recallCutoff, sampled, full
    }

    /// A JSON key chosen at run time (`hr@10` depends on the cutoff).
    private struct MetricKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(model, forKey: .model)
        try container.encodeIfPresent(split, forKey: .split)
        try container.encode(users, forKey: .users)
        try container.encode(cutoff, forKey: .cutoff)
        try container.encode(recallCutoff, forKey: .recallCutoff)
        var sampled = container.nestedContainer(keyedBy: MetricKey.self, forKey: .sampled)
        var full = container.nestedContainer(keyedBy: MetricKey.self, forKey: .full)
        for metric in EvaluationMetric.allCases {
            let key = MetricKey(metric.key(cutoff: cutoff, recallCutoff: recallCutoff))
            if metric.isSampled {
                try sampled.encode(value(of: metric), forKey: key)
            } else {
                try full.encode(value(of: metric), forKey: key)
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let cutoff = try container.decode(Int.self, forKey: .cutoff)
        let recallCutoff = try container.decode(Int.self, forKey: .recallCutoff)
        let sampled = try container.nestedContainer(keyedBy: MetricKey.self, forKey: .sampled)
        let full = try container.nestedContainer(keyedBy: MetricKey.self, forKey: .full)
        var values: [EvaluationMetric: Double] = [:]
        for metric in EvaluationMetric.allCases {
            let key = MetricKey(metric.key(cutoff: cutoff, recallCutoff: recallCutoff))
            values[metric] = try (metric.isSampled ? sampled : full).decode(Double.self, forKey: key)
        }
        self.init(model: try container.decode(String.self, forKey: .model),
                  split: try container.decodeIfPresent(String.self, forKey: .split),
                  users: try container.decode(Int.self, forKey: .users),
                  cutoff: cutoff, recallCutoff: recallCutoff,
                  sampledHitRate: values[.sampledHitRate]!, sampledNDCG: values[.sampledNDCG]!,
                  sampledMRR: values[.sampledMRR]!, fullHitRate: values[.fullHitRate]!,
                  fullNDCG: values[.fullNDCG]!, fullRecall: values[.fullRecall]!,
                  fullMRR: values[.fullMRR]!, fullCoverage: values[.fullCoverage]!)
    }
}
