import DeepCore

/// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren and
/// Volinsky 2008): each interaction's confidence is `1 + alpha · w`, every unobserved
/// pair counts as a 0 with confidence 1, and user and item factors are solved in turn.
///
/// ```swift
/// let model = try ImplicitALS(factors: 64, regularization: 10, alpha: 3).fit(matrix)
/// ```
public struct ImplicitALS: RecommenderAlgorithm {
    /// How each least-squares system is solved.
    public enum Solver: Sendable, Equatable {
        /// Conjugate gradient, warm-started, `steps` iterations per row (as `implicit`).
        case conjugateGradient(steps: Int)
        /// Exact Cholesky solve of each row's k×k system (LAPACK).
        case cholesky
    }

    public var factors: Int
    /// λ in the ridge term λ‖x‖².
    public var regularization: Float
    /// Confidence slope: c = 1 + alpha · w.
    public var alpha: Float
    public var iterations: Int
    public var solver: Solver
    public var seed: UInt64
    /// Threads for the half-steps (rows are independent).
    public var threads: Int

    public init(factors: Int = 64, regularization: Float = 10, alpha: Float = 1, iterations: Int = 15,
                solver: Solver = .conjugateGradient(steps: 3), seed: UInt64 = 42, threads: Int = 0) {
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.solver = solver
        self.seed = seed
        self.threads = threads
    }

    public var name: String { "ials" }
    public var description: String {
        "ials(factors: \(factors), reg: \(regularization), alpha: \(alpha), iterations: \(iterations), solver: \(solver))"
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        try validate(matrix)
        var model = IALSModel(users: matrix.userCount, items: matrix.itemCount, factors: factors,
                              regularization: regularization, alpha: alpha, seed: seed)
        let byUser = ConfidenceRows(matrix, alpha: alpha)
        let byItem = ConfidenceRows(matrix.transposed(), alpha: alpha)
        for _ in 0..<iterations {
            halfStep(solve: &model.userFactors, fixed: model.itemFactors, rows: byUser)
            halfStep(solve: &model.itemFactors, fixed: model.userFactors, rows: byItem)
        }
        model.prepareServing()
        return model
    }

    /// Runs `iterations` sweeps; exposed for benchmarks that time one iteration.
    func validate(_ matrix: InteractionMatrix) throws {
        guard factors > 0, factors <= 512 else { throw RecommenderError.invalidArgument("factors must be in 1...512, got \(factors)") }
        guard regularization >= 0, regularization.isFinite else { throw RecommenderError.invalidArgument("regularization must be ≥ 0, got \(regularization)") }
        guard alpha >= 0, alpha.isFinite else { throw RecommenderError.invalidArgument("alpha must be ≥ 0, got \(alpha)") }
        guard iterations >= 0 else { throw RecommenderError.invalidArgument("iterations must be ≥ 0, got \(iterations)") }
        if case .conjugateGradient(let s) = solver, s < 1 { throw RecommenderError.invalidArgument("CG steps must be ≥ 1, got \(s)") }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to factorise") }
    }

    /// Solves every row of `solve` with `fixed` held constant.
    func halfStep(solve x: inout [Float], fixed y: [Float], rows: ConfidenceRows) {
        let k = factors
        let n = y.count / k
        var ytyReg = [Float](repeating: 0, count: k * k)
        y.withUnsafeBufferPointer { yp in
            ytyReg.withUnsafeMutableBufferPointer { g in
                RecKernels.gemm(yp.baseAddress!, transposeA: true, yp.baseAddress!, g.baseAddress!, m: k, n: k, k: n)
            }
        }
        for i in 0..<k { ytyReg[i * k + i] += regularization }
        let threadCount = threads > 0 ? threads : Parallel.defaultThreads
        let solver = self.solver
        x.withUnsafeMutableBufferPointer { xp in
            let xs = SharedPointer(base: xp.baseAddress!)
            y.withUnsafeBufferPointer { yp in
                let ys = SharedPointer(base: UnsafeMutablePointer(mutating: yp.baseAddress!))
                ytyReg.withUnsafeBufferPointer { gp in
                    let gs = SharedPointer(base: UnsafeMutablePointer(mutating: gp.baseAddress!))
                    rows.withPointers { start, cols, conf in
                        Parallel.forEachBlock(rows.count, blockSize: 128, threads: threadCount) { range in
                            switch solver {
                            case .conjugateGradient(let steps):
                                RecKernels.ialsCG(x: xs.base, y: ys.base, ytyReg: gs.base, rowStart: start.base,
                                                  columns: cols.base, confidence: conf.base, rows: range, factors: k, steps: steps)
                            case .cholesky:
                                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: k * k + k)
                                defer { scratch.deallocate() }
                                _ = RecKernels.ialsCholesky(x: xs.base, y: ys.base, ytyReg: gs.base, rowStart: start.base,
                                                            columns: cols.base, confidence: conf.base, rows: range,
                                                            factors: k, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// CSR rows with confidences `1 + alpha·w` and 64-bit offsets, as the C solvers take them.
struct ConfidenceRows: Sendable {
    let count: Int
    let rowStart: [Int64]
    let columns: [Int32]
    let confidence: [Float]

    init(_ m: InteractionMatrix, alpha: Float) {
        count = m.userCount
        rowStart = m.rowStart.map(Int64.init)
        columns = m.items
        confidence = m.weights.map { 1 + alpha * $0 }
    }

    func withPointers<R>(_ body: (SharedPointer<Int64>, SharedPointer<Int32>, SharedPointer<Float>) -> R) -> R {
        rowStart.withUnsafeBufferPointer { s in
            columns.withUnsafeBufferPointer { c in
                confidence.withUnsafeBufferPointer { f in
                    body(SharedPointer(base: UnsafeMutablePointer(mutating: s.baseAddress!)),
                         SharedPointer(base: UnsafeMutablePointer(mutating: c.baseAddress ?? UnsafePointer(bitPattern: 8)!)),
                         SharedPointer(base: UnsafeMutablePointer(mutating: f.baseAddress ?? UnsafePointer(bitPattern: 8)!)))
                }
            }
        }
    }
}

/// Fitted iALS factors.
struct IALSModel: DotProductScoring {
    let users: Int
    let itemCount: Int
    let factors: Int
    let regularization: Float
    let alpha: Float
    var userFactors: [Float]
    var itemFactors: [Float]
    /// YᵀY + λI for fold-in, and unit-norm item factors for similar items.
    var ytyReg: [Float] = []
    var itemNorms: [Float] = []
    /// The item factors by descending norm, for pruned batch top-K.
    var normOrdered: NormOrderedItems?
    var name: String { "ials" }

    init(users: Int, items: Int, factors: Int, regularization: Float, alpha: Float, seed: UInt64) {
        self.users = users
        itemCount = items
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        // Small uniform starting factors, as `implicit` (random · 0.01).
        var rng = SeededGenerator(seed: seed)
        userFactors = (0..<(users * factors)).map { _ in rng.nextUnitFloat() * 0.01 }
        itemFactors = (0..<(items * factors)).map { _ in rng.nextUnitFloat() * 0.01 }
    }

    init(users: Int, itemCount: Int, factors: Int, regularization: Float, alpha: Float,
         userFactors: [Float], itemFactors: [Float]) {
        self.users = users
        self.itemCount = itemCount
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        prepareServing()
    }

    mutating func prepareServing() {
        let k = factors
        var g = [Float](repeating: 0, count: k * k)
        itemFactors.withUnsafeBufferPointer { yp in
            g.withUnsafeMutableBufferPointer { gp in
                RecKernels.gemm(yp.baseAddress!, transposeA: true, yp.baseAddress!, gp.baseAddress!, m: k, n: k, k: itemCount)
            }
        }
        for i in 0..<k { g[i * k + i] += regularization }
        ytyReg = g
        normOrdered = NormOrderedItems(vectors: itemFactors, itemCount: itemCount, width: k)
        itemNorms = (0..<itemCount).map { i in
            var s: Float = 0
            for j in 0..<k { s += itemFactors[i * k + j] * itemFactors[i * k + j] }
            return s.squareRoot()
        }
    }

    func scores(forUsers list: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        let k = factors
        var block = [Float](repeating: 0, count: list.count * k)
        for (r, u) in list.enumerated() {
            for j in 0..<k { block[r * k + j] = userFactors[Int(u) * k + j] }
        }
        block.withUnsafeBufferPointer { xb in
            itemFactors.withUnsafeBufferPointer { yp in
                RecKernels.gemm(xb.baseAddress!, yp.baseAddress!, transposeB: true, scores.baseAddress!,
                                m: list.count, n: itemCount, k: k)
            }
        }
    }

    /// Fold-in: the exact least-squares user vector for `history` with the items fixed.
    func userVector(for history: UserHistory) -> [Float] {
        let k = factors
        var x = [Float](repeating: 0, count: k)
        let rows = ConfidenceRows(
            InteractionMatrix(userCount: 1, itemCount: itemCount, rowStart: [0, history.items.count],
                              items: history.items, weights: history.weights), alpha: alpha)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: k * k + k)
        defer { scratch.deallocate() }
        x.withUnsafeMutableBufferPointer { xp in
            itemFactors.withUnsafeBufferPointer { yp in
                ytyReg.withUnsafeBufferPointer { gp in
                    rows.withPointers { s, c, f in
                        _ = RecKernels.ialsCholesky(x: xp.baseAddress!, y: yp.baseAddress!, ytyReg: gp.baseAddress!,
                                                    rowStart: s.base, columns: c.base, confidence: f.base,
                                                    rows: 0..<1, factors: k, scratch: scratch)
                    }
                }
            }
        }
        return x
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        let x = userVector(for: history)
        x.withUnsafeBufferPointer { xp in
            itemFactors.withUnsafeBufferPointer { yp in
                RecKernels.gemm(xp.baseAddress!, yp.baseAddress!, transposeB: true, scores.baseAddress!,
                                m: 1, n: itemCount, k: factors)
            }
        }
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        let k = factors, i = Int(item)
        for j in 0..<itemCount {
            var d: Float = 0
            for q in 0..<k { d += itemFactors[i * k + q] * itemFactors[j * k + q] }
            let norm = itemNorms[i] * itemNorms[j]
            scores[j] = norm > 0 ? d / norm : 0
        }
    }
}

extension IALSModel {
    func userVector(_ u: Int32, into out: UnsafeMutablePointer<Float>) {
        userFactors.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + Int(u) * factors, count: factors) }
    }
}
