import Foundation

/// Embarrassingly Shallow Autoencoder (Steck 2019): an item-item weight matrix B in
/// closed form, B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ and diag(B) = 0; a user's
/// scores are x_u·B. Exact and strong, but it holds a dense items × items matrix, so the
/// memory is estimated first and a catalog too large for the limit is refused.
///
/// Two exact ways to P (``Solver``): invert the items × items Gram matrix (≈ items³
/// flops), or, when there are fewer users than items, the Woodbury identity
/// P = (I − Xᵀ·K⁻¹·X)/λ with the users × users K = λI + XXᵀ (≈ 2·users²·items flops for
/// K⁻¹X, then a sparse product). On Last.fm-2K (1,892 users, 17,617 items) the second is
/// about 40 times less arithmetic.
public struct EASE: RecommenderAlgorithm {
    /// How P is computed; every choice gives the same B up to float rounding.
    public enum Solver: String, Sendable, CaseIterable {
        /// The cheaper of the two by a flop estimate, within the memory limit.
        case automatic
        /// Cholesky inverse of XᵀX + λI (items × items).
        case itemGram
        /// Woodbury: Cholesky solve with λI + XXᵀ (users × users), then B = Xᵀ·(K⁻¹X) by a
        /// sparse product, scaled by column. Needs users × items more floats.
        case userGram
    }

    /// λ on the diagonal of the Gram matrix.
    public var lambda: Float
    /// Use 1 for every interaction instead of its weight.
    public var binary: Bool
    /// Refuse to fit when the dense matrices would need more bytes than this
    /// (default: half of physical memory).
    public var memoryLimit: Int
    /// Threads for the factorisation (OpenBLAS) and the sparse product.
    public var threads: Int
    /// How P is computed (default: the cheaper way).
    public var solver: Solver

    public init(lambda: Float = 200, binary: Bool = true, memoryLimit: Int? = nil, threads: Int = 0,
                solver: Solver = .automatic) {
        self.lambda = lambda
        self.binary = binary
        self.memoryLimit = memoryLimit ?? Int(ProcessInfo.processInfo.physicalMemory / 2)
        self.threads = threads
        self.solver = solver
    }

    public var name: String { "ease" }
    public var description: String { "ease(lambda: \(lambda), binary: \(binary))" }

    /// Bytes the item-Gram fit needs for `items` items (the dense n×n float matrix, which
    /// is also the fitted model): the least any solver needs.
    public static func memoryNeeded(items: Int) -> Int {
        floats(items, items).map { $0 * MemoryLayout<Float>.size } ?? .max
    }

    /// Bytes the user-Gram (Woodbury) fit needs: B (items²), K⁻¹X (users × items) and K
    /// (users²) floats.
    public static func memoryNeeded(items: Int, users: Int) -> Int {
        guard let b = floats(items, items), let z = floats(users, items), let k = floats(users, users) else { return .max }
        let (bz, o1) = b.addingReportingOverflow(z)
        let (all, o2) = bz.addingReportingOverflow(k)
        let (bytes, o3) = all.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        return o1 || o2 || o3 ? .max : bytes
    }

    /// a·b, or nil when a·b floats would not fit in Int bytes.
    private static func floats(_ a: Int, _ b: Int) -> Int? {
        let (n, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow || n > Int.max / MemoryLayout<Float>.size ? nil : n
    }

    /// The solver `automatic` picks for this shape: the user Gram when its flop count
    /// (users³/3 for the Cholesky factor, 2·users²·items for the two triangular solves) is
    /// below the item Gram's (items³: factor and inverse) and its memory fits.
    public func resolvedSolver(users: Int, items: Int) -> Solver {
        switch solver {
        case .itemGram, .userGram: return solver
        case .automatic:
            let u = Double(users), i = Double(items)
            let fits = EASE.memoryNeeded(items: items, users: users) <= memoryLimit
            return fits && u * u * u / 3 + 2 * u * u * i < i * i * i ? .userGram : .itemGram
        }
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard lambda > 0, lambda.isFinite else { throw RecommenderError.invalidArgument("lambda must be > 0, got \(lambda)") }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to learn item weights from") }
        let n = matrix.itemCount
        let needed = EASE.memoryNeeded(items: n)
        guard needed <= memoryLimit else {
            throw RecommenderError.tooLarge("EASE on \(n) items needs \(needed == .max ? "over 2^63" : "\(needed)") bytes for its dense \(n)×\(n) matrix; the limit is \(memoryLimit) bytes")
        }
        let route = resolvedSolver(users: matrix.userCount, items: n)
        if route == .userGram {
            let needed = EASE.memoryNeeded(items: n, users: matrix.userCount)
            guard needed <= memoryLimit else {
                throw RecommenderError.tooLarge("EASE by the user Gram on \(matrix.userCount) users × \(n) items needs \(needed == .max ? "over 2^63" : "\(needed)") bytes; the limit is \(memoryLimit) bytes (the item-Gram solver needs \(EASE.memoryNeeded(items: n)))")
            }
        }
        let x = binary ? matrix.mapWeights { _ in 1 } : matrix
        let blasThreads = threads > 0 ? threads : Parallel.defaultThreads
        RecKernels.setBLASThreads(blasThreads)
        defer { RecKernels.setBLASThreads(1) }
        if route == .userGram {
            if let weights = try userGramWeights(x, threads: blasThreads) {
                return EASEModel(itemCount: n, weights: weights, binary: binary)
            }
            // Too little precision left in float (see `userGramWeights`): the item Gram,
            // which needs less memory, when the caller let us choose.
            guard solver == .automatic else {
                throw RecommenderError.invalidArgument("EASE by the user Gram: λ = \(lambda) is too small for float precision on this data (λ·P_jj < 1e-3); use the item-Gram solver or a larger λ")
            }
        }
        return EASEModel(itemCount: n, weights: try itemGramWeights(x), binary: binary)
    }

    /// P = (XᵀX + λI)⁻¹ by Cholesky, then B_ij = −P_ij / P_jj in place.
    private func itemGramWeights(_ x: InteractionMatrix) throws -> [Float] {
        let n = x.itemCount
        var p = [Float](repeating: 0, count: n * n)
        // Gram matrix XᵀX by sparse accumulation: Σ_u (row u)ᵀ(row u).
        for u in 0..<x.userCount {
            let items = x.items(ofUser: u), weights = x.weights(ofUser: u)
            for (i, wi) in zip(items, weights) {
                let base = Int(i) * n
                for (j, wj) in zip(items, weights) { p[base + Int(j)] += wi * wj }
            }
        }
        for i in 0..<n { p[i * n + i] += lambda }
        let info = p.withUnsafeMutableBufferPointer { RecKernels.spdInverse($0.baseAddress!, n: n) }
        guard info == 0 else { throw RecommenderError.invalidArgument("EASE: XᵀX + λI is not positive definite (LAPACK info \(info))") }
        // B_ij = −P_ij / P_jj, diagonal 0, in place.
        let diag = (0..<n).map { p[$0 * n + $0] }
        p.withUnsafeMutableBufferPointer { b in
            for i in 0..<n {
                let row = b.baseAddress! + i * n
                for j in 0..<n { row[j] = -row[j] / diag[j] }
                row[i] = 0
            }
        }
        return p
    }

    /// Woodbury: with K = λI + XXᵀ (users × users) and Z = K⁻¹X, P = (I − XᵀZ)/λ, so for
    /// i ≠ j B_ij = −P_ij / P_jj = (XᵀZ)_ij / (1 − (XᵀZ)_jj). Z's columns are scaled by
    /// 1 / (1 − (XᵀZ)_jj) first, and B = Xᵀ·Z is a sparse (items × users) times dense
    /// (users × items) product. Nil when some λ·P_jj = 1 − (XᵀZ)_jj falls below 1e-3: the
    /// subtraction would then have lost too many of float's digits (a very popular item
    /// under a small λ).
    private func userGramWeights(_ x: InteractionMatrix, threads: Int) throws -> [Float]? {
        let users = x.userCount, n = x.itemCount
        let xt = x.transposed()
        // K = λI + XXᵀ: row u = Σ_{i ∈ u} x_ui · (column i of X), scattered.
        var k = [Float](repeating: 0, count: users * users)
        k.withUnsafeMutableBufferPointer { kb in
            let kp = SharedPointer(base: kb.baseAddress!)
            Parallel.forEachBlock(users, blockSize: 64, threads: threads) { block in
                x.rowStart.withUnsafeBufferPointer { rs in x.items.withUnsafeBufferPointer { it in
                    x.weights.withUnsafeBufferPointer { w in xt.rowStart.withUnsafeBufferPointer { ts in
                        xt.items.withUnsafeBufferPointer { tu in xt.weights.withUnsafeBufferPointer { tw in
                            for u in block {
                                let row = kp.base + u * users
                                for p in rs[u]..<rs[u + 1] {
                                    let i = Int(it[p]), wi = w[p]
                                    for q in ts[i]..<ts[i + 1] { row[Int(tu[q])] += wi * tw[q] }
                                }
                                row[u] += lambda
                            }
                        } } } } } }
            }
        }
        // Z = K⁻¹X, X scattered densely into Z first.
        var z = [Float](repeating: 0, count: users * n)
        for u in 0..<users {
            for (i, w) in zip(x.items(ofUser: u), x.weights(ofUser: u)) { z[u * n + Int(i)] = w }
        }
        let info = k.withUnsafeMutableBufferPointer { kb in
            z.withUnsafeMutableBufferPointer { RecKernels.spdSolve(kb.baseAddress!, n: users, $0.baseAddress!, columns: n) }
        }
        guard info == 0 else { throw RecommenderError.invalidArgument("EASE: λI + XXᵀ is not positive definite (LAPACK info \(info))") }
        // Column scale 1 / (1 − (XᵀZ)_jj); λ·P_jj = 1 − (XᵀZ)_jj lies in (0, 1].
        var scale = [Float](repeating: 1, count: n)
        for j in 0..<n {
            var d: Double = 0
            for (u, w) in zip(xt.items(ofUser: j), xt.weights(ofUser: j)) { d += Double(w) * Double(z[Int(u) * n + j]) }
            let pjj = 1 - d
            guard pjj >= 1e-3, pjj.isFinite else { return nil }
            scale[j] = Float(1 / pjj)
        }
        z.withUnsafeMutableBufferPointer { zb in
            scale.withUnsafeBufferPointer { s in
                for u in 0..<users {
                    let row = zb.baseAddress! + u * n
                    for j in 0..<n { row[j] *= s[j] }
                }
            }
        }
        var b = [Float](repeating: 0, count: n * n)
        b.withUnsafeMutableBufferPointer { bb in
            let out = SharedPointer(base: bb.baseAddress!)
            z.withUnsafeBufferPointer { zb in
                let dense = SharedConstPointer(base: zb.baseAddress!)
                Parallel.forEachBlock(n, blockSize: 256, threads: threads) { block in
                    xt.sparseRowsTimes(dense.base, columns: n, rows: block, into: out.base)
                    for i in block { out.base[i * n + i] = 0 }
                }
            }
        }
        return b
    }
}

/// The fitted item-item weights B (items × items, row-major).
struct EASEModel: HistoryScoringModel {
    let itemCount: Int
    let weights: [Float]
    let binary: Bool
    var name: String { "ease" }

    func accumulate(items: ArraySlice<Int32>, weights w: ArraySlice<Float>, into out: UnsafeMutablePointer<Float>) {
        let n = itemCount
        out.update(repeating: 0, count: n)
        weights.withUnsafeBufferPointer { b in
            for (i, wi) in zip(items, w) {
                let row = b.baseAddress! + Int(i) * n
                let s = binary ? 1 : wi
                for j in 0..<n { out[j] += s * row[j] }
            }
        }
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = itemCount
        for j in 0..<n { scores[j] = weights[Int(item) * n + j] }
        scores[Int(item)] = 1
    }
}
