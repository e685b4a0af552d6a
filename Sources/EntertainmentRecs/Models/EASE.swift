import Foundation

/// Embarrassingly Shallow Autoencoder (Steck 2019): an item-item weight matrix B in
/// closed form, B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ and diag(B) = 0; a user's
/// scores are x_u·B. Exact and strong, but it holds a dense items × items matrix, so the
/// memory is estimated first and a catalog too large for the limit is refused.
public struct EASE: RecommenderAlgorithm {
    /// λ on the diagonal of the Gram matrix.
    public var lambda: Float
    /// Use 1 for every interaction instead of its weight.
    public var binary: Bool
    /// Refuse to fit when the dense matrix would need more bytes than this
    /// (default: half of physical memory).
    public var memoryLimit: Int
    /// OpenBLAS threads for the inversion.
    public var threads: Int

    public init(lambda: Float = 200, binary: Bool = true, memoryLimit: Int? = nil, threads: Int = 0) {
        self.lambda = lambda
        self.binary = binary
        self.memoryLimit = memoryLimit ?? Int(ProcessInfo.processInfo.physicalMemory / 2)
        self.threads = threads
    }

    public var name: String { "ease" }
    public var description: String { "ease(lambda: \(lambda), binary: \(binary))" }

    /// Bytes the fit needs for `items` items (the dense n×n float matrix).
    public static func memoryNeeded(items: Int) -> Int {
        let (nn, o1) = items.multipliedReportingOverflow(by: items)
        let (bytes, o2) = nn.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        return o1 || o2 ? Int.max : bytes
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard lambda > 0, lambda.isFinite else { throw RecommenderError.invalidArgument("lambda must be > 0, got \(lambda)") }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to learn item weights from") }
        let n = matrix.itemCount
        let (needed, overflow) = n.multipliedReportingOverflow(by: n * 4)
        guard !overflow, needed <= memoryLimit else {
            throw RecommenderError.tooLarge("EASE on \(n) items needs \(overflow ? "over 2^63" : "\(needed)") bytes for its dense \(n)×\(n) matrix; the limit is \(memoryLimit) bytes")
        }
        let x = binary ? matrix.mapWeights { _ in 1 } : matrix
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
        let blasThreads = threads > 0 ? threads : Parallel.defaultThreads
        RecKernels.setBLASThreads(blasThreads)
        defer { RecKernels.setBLASThreads(1) }
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
        return EASEModel(itemCount: n, weights: p, binary: binary)
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
