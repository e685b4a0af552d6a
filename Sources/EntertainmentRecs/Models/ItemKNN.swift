import Foundation
/// Item-based nearest neighbours with cosine similarity: each item keeps its `neighbors`
/// most similar items, sim(i, j) = Σ_u w_ui·w_uj / (‖w_i‖·‖w_j‖ + shrinkage), and a user's
/// score for j is Σ_{i in history} w_ui · sim(i, j) over the kept neighbours (as
/// `implicit`'s ItemItemRecommender).
///
/// ```swift
/// let model = try ItemKNN(neighbors: 200).fit(matrix)
/// ```
public struct ItemKNN: RecommenderAlgorithm {
    /// Neighbours kept per item.
    public var neighbors: Int
    /// Added to the norm product; damps similarities built from few co-occurrences.
    public var shrinkage: Float
    /// Use 1 for every interaction instead of its weight.
    public var binary: Bool
    /// Keep, for each item to be scored, its nearest neighbours among the user's items
    /// (classic item-based CF) instead of, for each item the user has, its neighbours.
    public var prunesPerTarget: Bool
    /// Bytes the neighbour table (items × k × 8) may take, checked before allocating;
    /// `nil`: half of physical memory.
    public var memoryLimit: Int?

    public init(neighbors: Int = 200, shrinkage: Float = 0, binary: Bool = true, prunesPerTarget: Bool = true,
                memoryLimit: Int? = nil) {
        self.memoryLimit = memoryLimit
        self.neighbors = neighbors
        self.shrinkage = shrinkage
        self.binary = binary
        self.prunesPerTarget = prunesPerTarget
    }

    public var name: String { "itemknn" }
    public var description: String { "itemknn(k: \(neighbors), shrinkage: \(shrinkage), binary: \(binary), per \(prunesPerTarget ? "target" : "source"))" }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard neighbors > 0 else { throw RecommenderError.invalidArgument("neighbors must be ≥ 1, got \(neighbors)") }
        guard shrinkage >= 0, shrinkage.isFinite else { throw RecommenderError.invalidArgument("shrinkage must be ≥ 0, got \(shrinkage)") }
        guard matrix.count > 0 else { throw RecommenderError.emptyData("no interactions to learn similarities from") }
        let x = binary ? matrix.mapWeights { _ in 1 } : matrix
        let byItem = x.transposed()
        let n = x.itemCount
        let norms = (0..<n).map { byItem.weights(ofUser: $0).reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let k = min(neighbors, max(n - 1, 1))
        let (cells, overflow) = n.multipliedReportingOverflow(by: k)
        let limit = memoryLimit ?? Int(ProcessInfo.processInfo.physicalMemory / 2)
        guard !overflow, cells <= limit / 8 else {
            throw RecommenderError.tooLarge("item-kNN with \(k) neighbours for \(n) items needs \(overflow ? "over 2^63" : "\(cells * 8)") bytes for its neighbour table; the limit is \(limit) bytes")
        }
        // Rows of the neighbour table are computed independently, in parallel.
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: n * k)
        let sims = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        defer { ids.deallocate(); sims.deallocate() }
        let (idsP, simsP) = (SharedPointer(base: ids), SharedPointer(base: sims))
        let shrink = shrinkage
        Parallel.forEachBlock(n, blockSize: 64) { range in
            var co = [Float](repeating: 0, count: n)
            var touched: [Int32] = []
            for i in range {
                touched.removeAll(keepingCapacity: true)
                for (u, wu) in zip(byItem.items(ofUser: i), byItem.weights(ofUser: i)) {
                    for (j, wj) in zip(x.items(ofUser: Int(u)), x.weights(ofUser: Int(u))) where Int(j) != i {
                        if co[Int(j)] == 0 { touched.append(j) }
                        co[Int(j)] += wu * wj
                    }
                }
                for j in touched { co[Int(j)] /= norms[i] * norms[Int(j)] + shrink }
                co.withUnsafeBufferPointer { c in
                    RecKernels.topK(ids: idsP.base + i * k, scores: simsP.base + i * k, from: c.baseAddress!,
                                    rows: 1, columns: n, k: k, excludeOffsets: nil, excludeItems: nil)
                }
                for j in touched { co[Int(j)] = 0 }
            }
        }
        // Keep only positive similarities, as CSR rows sorted by item.
        var rowStart = [0], cols: [Int32] = [], values: [Float] = []
        for i in 0..<n {
            let kept = (0..<k).filter { ids[i * k + $0] >= 0 && sims[i * k + $0] > 0 }.sorted { ids[i * k + $0] < ids[i * k + $1] }
            for q in kept { cols.append(ids[i * k + q]); values.append(sims[i * k + q]) }
            rowStart.append(cols.count)
        }
        let table = InteractionMatrix(userCount: n, itemCount: n, rowStart: rowStart, items: cols, weights: values)
        // Row i holds i's neighbours; transposed, row i lists the targets that keep i.
        return ItemKNNModel(neighbors: prunesPerTarget ? table.transposed() : table, binary: binary)
    }
}

/// The kept neighbour similarities (items × items, sparse).
struct ItemKNNModel: HistoryScoringModel {
    let neighbors: InteractionMatrix
    let binary: Bool
    var name: String { "itemknn" }
    var itemCount: Int { neighbors.userCount }

    func accumulate(items: ArraySlice<Int32>, weights: ArraySlice<Float>, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: itemCount)
        for (i, w) in zip(items, weights) {
            let wi = binary ? 1 : w
            for (j, s) in zip(neighbors.items(ofUser: Int(i)), neighbors.weights(ofUser: Int(i))) {
                out[Int(j)] += wi * s
            }
        }
    }

    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<itemCount { scores[i] = 0 }
        for (j, s) in zip(neighbors.items(ofUser: Int(item)), neighbors.weights(ofUser: Int(item))) { scores[Int(j)] = s }
        scores[Int(item)] = 1
    }
}
