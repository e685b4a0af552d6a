/// Item vectors sorted by descending norm, for exact top-K over dot-product scores with
/// most of the catalog skipped (maximum-inner-product search by a norm bound).
///
/// By Cauchy–Schwarz a user vector u scores item v at most ‖u‖·‖v‖. Once a user's k-th best
/// score so far is θ, every item with ‖u‖·‖v‖ below θ (with a margin for float rounding)
/// can be skipped, and with the items in descending norm order those form a suffix. How
/// much that saves depends on how skewed the norms are (popular items get long vectors):
/// on the benchmark's ML-1M-shaped synthetic set about 43 % of the scoring is skipped.
/// `ck_topk_dot` applies the bound while it scores (see `TopKServer`).
struct NormOrderedItems: Sendable {
    /// Floats per vector (the factors, plus a bias column for models with item biases).
    let width: Int
    /// Item id at each position, longest vector first (ties by id).
    let order: [Int32]
    /// The vectors in `order`, packed for the fused top-K kernel (``RecKernels/topKDot``).
    let panels: [Float]
    /// Their norms, descending, each rounded up from the Double value.
    let norms: [Float]

    /// Sorts `itemCount` rows of `vectors` (row-major, `width` floats each). Nil when a norm
    /// is not finite: the bound would not hold, and the server then scores every item.
    init?(vectors source: [Float], itemCount: Int, width: Int) {
        guard itemCount > 0, width > 0, source.count == itemCount * width else { return nil }
        var norm = [Double](repeating: 0, count: itemCount)
        for i in 0..<itemCount {
            var s = 0.0
            for j in 0..<width { let x = Double(source[i * width + j]); s += x * x }
            norm[i] = s.squareRoot()
            guard norm[i].isFinite else { return nil }
        }
        let order = (0..<Int32(itemCount)).sorted { (a: Int32, b: Int32) -> Bool in
            let na = norm[Int(a)], nb = norm[Int(b)]
            return na > nb || (na == nb && a < b)
        }
        var sorted = [Float](repeating: 0, count: itemCount * width)
        for (p, i) in order.enumerated() {
            for j in 0..<width { sorted[p * width + j] = source[Int(i) * width + j] }
        }
        self.width = width
        self.order = order
        panels = RecKernels.itemPanels(sorted, count: itemCount, width: width)
        norms = order.map { i in let f = Float(norm[Int(i)]); return Double(f) < norm[Int(i)] ? f.nextUp : f }
    }

    /// How many leading positions can still hold an item scoring ≥ `threshold` for a user
    /// vector of norm `userNorm`: positions whose bound, widened for float rounding of a
    /// `width`-term dot product, reaches the threshold. (The same bound `ck_topk_dot`
    /// checks before each chunk of panels; here for tests and diagnostics.)
    func prefix(userNorm: Double, threshold: Float) -> Int {
        // θ = +∞ (a dot product that overflowed) is matched by any other overflow: no bound.
        guard threshold > 0, threshold.isFinite, userNorm.isFinite else { return order.count }
        // |fl(u·v) − u·v| ≤ γ_w·‖u‖·‖v‖ with γ_w ≈ w·2⁻²⁴; the margin is far wider.
        let widen = 1 + 1e-4 + Double(width) * 2e-7
        var lo = 0, hi = order.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if userNorm * Double(norms[mid]) * widen >= Double(threshold) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// A model whose score for (user, item) is the dot product of a user vector and an item
/// vector, so that batch top-K can skip items by their norms.
protocol DotProductScoring: ScoringModel {
    /// The items' vectors sorted by norm; nil when pruning cannot be used.
    var normOrdered: NormOrderedItems? { get }
    /// Writes training user `u`'s vector (`normOrdered.width` floats) to `out`.
    func userVector(_ u: Int32, into out: UnsafeMutablePointer<Float>)
}
