import DeepCore
import Foundation

/// Bayesian personalised ranking matrix factorisation (Rendle et al. 2009): user and item
/// factors plus an item bias, trained by SGD so that each user's items outrank sampled
/// items they do not have. As `implicit`'s BayesianPersonalizedRanking.
///
/// ```swift
/// let model = try BPR(factors: 64, learningRate: 0.05, iterations: 100).fit(matrix)
/// ```
public struct BPR: RecommenderAlgorithm {
    public var factors: Int
    public var learningRate: Float
    public var regularization: Float
    /// Epochs; each draws as many (user, positive, negative) triples as there are interactions.
    public var iterations: Int
    public var seed: UInt64
    /// Draw negatives in proportion to popularity (as `implicit`) rather than uniformly.
    public var popularNegatives: Bool

    public init(factors: Int = 64, learningRate: Float = 0.05, regularization: Float = 0.01,
                iterations: Int = 100, popularNegatives: Bool = true, seed: UInt64 = 42) {
        self.popularNegatives = popularNegatives
        self.factors = factors
        self.learningRate = learningRate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
    }

    public var name: String { "bpr" }
    public var description: String {
        "bpr(factors: \(factors), lr: \(learningRate), reg: \(regularization), iterations: \(iterations), negatives: \(popularNegatives ? "popular" : "uniform"))"
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard factors > 0, factors <= 1024 else { throw RecommenderError.invalidArgument("factors must be in 1...1024, got \(factors)") }
        guard learningRate > 0, learningRate.isFinite else { throw RecommenderError.invalidArgument("learning rate must be > 0, got \(learningRate)") }
        guard regularization >= 0, regularization.isFinite else { throw RecommenderError.invalidArgument("regularization must be ≥ 0, got \(regularization)") }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to rank") }
        var rng = SeededGenerator(seed: seed)
        // Small random start (as implicit: (rand − 0.5)/factors).
        var u = (0..<(matrix.userCount * factors)).map { _ in (rng.nextUnitFloat() - 0.5) / Float(factors) }
        var v = (0..<(matrix.itemCount * factors)).map { _ in (rng.nextUnitFloat() - 0.5) / Float(factors) }
        var b = [Float](repeating: 0, count: matrix.itemCount)
        var state = rng.next() | 1
        let starts = matrix.rowStart.map(Int64.init)
        for _ in 0..<iterations {
            _ = u.withUnsafeMutableBufferPointer { up in
                v.withUnsafeMutableBufferPointer { vp in
                    b.withUnsafeMutableBufferPointer { bp in
                        starts.withUnsafeBufferPointer { sp in
                            matrix.items.withUnsafeBufferPointer { cp in
                                RecKernels.bprEpoch(users: up.baseAddress!, items: vp.baseAddress!, bias: bp.baseAddress!,
                                                    factors: factors, rowStart: sp.baseAddress!, columns: cp.baseAddress!,
                                                    userCount: matrix.userCount, itemCount: matrix.itemCount,
                                                    samples: matrix.count, learningRate: learningRate,
                                                    regularization: regularization, popularNegatives: popularNegatives,
                                                    rng: &state)
                            }
                        }
                    }
                }
            }
        }
        return BPRModel(itemCount: matrix.itemCount, factors: factors, userFactors: u, itemFactors: v, itemBias: b,
                        learningRate: learningRate, regularization: regularization)
    }
}

/// Fitted BPR factors: score(u, i) = x_u·y_i + b_i.
struct BPRModel: ScoringModel {
    let itemCount: Int
    let factors: Int
    let userFactors: [Float]
    let itemFactors: [Float]
    let itemBias: [Float]
    let learningRate: Float
    let regularization: Float
    var name: String { "bpr" }

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        let k = factors
        var block = [Float](repeating: 0, count: users.count * k)
        for (r, u) in users.enumerated() { for j in 0..<k { block[r * k + j] = userFactors[Int(u) * k + j] } }
        score(block, rows: users.count, into: scores.baseAddress!)
    }

    private func score(_ x: [Float], rows: Int, into out: UnsafeMutablePointer<Float>) {
        x.withUnsafeBufferPointer { xb in
            itemFactors.withUnsafeBufferPointer { yp in
                RecKernels.gemm(xb.baseAddress!, yp.baseAddress!, transposeB: true, out, m: rows, n: itemCount, k: factors)
            }
        }
        for r in 0..<rows { for i in 0..<itemCount { out[r * itemCount + i] += itemBias[i] } }
    }

    /// Fold-in: SGD on a fresh user vector alone, items fixed, seeded by the history.
    func userVector(for history: UserHistory) -> [Float] {
        let k = factors
        var x = [Float](repeating: 0, count: k)
        guard !history.items.isEmpty, history.items.count < itemCount else { return x }
        var rng = SeededGenerator(seed: UInt64(history.items.count) &* 0x9E37_79B9 &+ UInt64(history.items[0]))
        let seen = Set(history.items)
        for _ in 0..<(50 * history.items.count) {
            let i = Int(history.items[rng.nextIndex(below: history.items.count)])
            var j = rng.nextIndex(below: itemCount)
            while seen.contains(Int32(j)) { j = rng.nextIndex(below: itemCount) }
            var d: Float = itemBias[i] - itemBias[j]
            for f in 0..<k { d += x[f] * (itemFactors[i * k + f] - itemFactors[j * k + f]) }
            let z = 1 / (1 + expf(min(d, 80)))
            for f in 0..<k { x[f] += learningRate * (z * (itemFactors[i * k + f] - itemFactors[j * k + f]) - regularization * x[f]) }
        }
        return x
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        score(userVector(for: history), rows: 1, into: scores.baseAddress!)
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        cosineSimilarities(toRow: Int(item), of: itemFactors, width: factors, rows: itemCount, into: scores)
    }
}
