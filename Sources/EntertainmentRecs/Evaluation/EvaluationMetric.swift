/// One number of an ``EvaluationResult``: a metric under one of the two protocols of the
/// benchmark README (sampled among 99 negatives, or full ranking). Every metric is
/// higher-is-better, so ``GridSearch`` maximises whichever one it is given.
///
/// ```swift
/// let ndcg = result.value(of: .fullNDCG)          // full-ranking NDCG@K
/// print(EvaluationMetric.fullNDCG.name(in: result)) // "full ndcg@10"
/// ```
public enum EvaluationMetric: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Sampled protocol, HR@K.
    case sampledHitRate
    /// Sampled protocol, NDCG@K.
    case sampledNDCG
    /// Sampled protocol, mean reciprocal rank (no cutoff).
    case sampledMRR
    /// Full ranking, HR@K.
    case fullHitRate
    /// Full ranking, NDCG@K.
    case fullNDCG
    /// Full ranking, Recall@K' (`recallCutoff`; with one held-out item, HR@K').
    case fullRecall
    /// Full ranking, mean reciprocal rank (no cutoff).
    case fullMRR
    /// Full ranking, catalog coverage@K: the fraction of items in at least one user's top-K.
    case fullCoverage

    /// Whether the metric comes from the sampled (100-candidate) protocol.
    public var isSampled: Bool {
        switch self {
        case .sampledHitRate, .sampledNDCG, .sampledMRR: true
        default: false
        }
    }

    /// The short name without protocol or cutoff: `hr`, `ndcg`, `recall`, `mrr`, `coverage`.
    public var shortName: String {
        switch self {
        case .sampledHitRate, .fullHitRate: "hr"
        case .sampledNDCG, .fullNDCG: "ndcg"
        case .fullRecall: "recall"
        case .sampledMRR, .fullMRR: "mrr"
        case .fullCoverage: "coverage"
        }
    }

    /// The name with its cutoff as used in JSON keys: `hr@10`, `recall@20`, `mrr`.
    public func key(cutoff: Int, recallCutoff: Int) -> String {
        switch self {
        case .sampledMRR, .fullMRR: shortName
        case .fullRecall: "\(shortName)@\(recallCutoff)"
        default: "\(shortName)@\(cutoff)"
        }
    }

    /// The full display name for `result`'s cutoffs, e.g. `full ndcg@10`, `sampled mrr`.
    public func name(in result: EvaluationResult) -> String {
        (isSampled ? "sampled " : "full ") + key(cutoff: result.cutoff, recallCutoff: result.recallCutoff)
    }

    public var description: String { rawValue }
}
