/// Everything a fitted engine serves from: id maps, the training matrix, the model and
/// item popularity. Immutable, so queries need no lock once they hold it.
struct FittedState<UserID: EntityID, ItemID: EntityID>: Sendable {
    let users: IDMap<UserID>
    let items: IDMap<ItemID>
    let matrix: InteractionMatrix
    let model: any ScoringModel
    let popularity: [Float]

    init(users: IDMap<UserID>, items: IDMap<ItemID>, matrix: InteractionMatrix, model: any ScoringModel) {
        self.users = users
        self.items = items
        self.matrix = matrix
        self.model = model
        popularity = matrix.itemCounts().map(Float.init)
    }

    func indices(of ids: Set<ItemID>) -> Set<Int32> { Set(ids.compactMap { items.index(of: $0) }) }

    /// Dense history from caller ids; unknown items are dropped, weights validated.
    func history(_ h: [ItemID: Float]) throws -> UserHistory {
        var pairs: [(Int32, Float)] = []
        for (id, w) in h {
            guard w.isFinite, w >= 0 else { throw RecommenderError.invalidWeight(context: "history item \(id)", value: Double(w)) }
            if let i = items.index(of: id) { pairs.append((i, w)) }
        }
        pairs.sort { $0.0 < $1.0 }
        return UserHistory(items: pairs.map(\.0), weights: pairs.map(\.1))
    }

    /// The best `count` items of one score row, ties to the lower index.
    func top(scores: [Float], count: Int, exclude: Set<Int32>) -> [Recommendation<ItemID>] {
        let excluded = exclude.sorted()
        let k = min(count, items.count)
        var ids = [Int32](repeating: -1, count: k), best = [Float](repeating: 0, count: k)
        let offsets: [Int64] = [0, Int64(excluded.count)]
        scores.withUnsafeBufferPointer { sp in
            excluded.withUnsafeBufferPointer { ep in
                offsets.withUnsafeBufferPointer { op in
                    RecKernels.topK(ids: &ids, scores: &best, from: sp.baseAddress!, rows: 1, columns: items.count, k: k,
                                    excludeOffsets: op.baseAddress, excludeItems: ep.baseAddress ?? UnsafePointer(bitPattern: 8))
                }
            }
        }
        return zip(ids, best).filter { $0.0 >= 0 }.map { Recommendation(item: items[$0.0], score: $0.1) }
    }

    /// Adds to each recommendation the history items most similar to it.
    func explain(_ recs: inout [Recommendation<ItemID>], history: [Int32]) {
        guard !history.isEmpty else { return }
        var sims = [Float](repeating: 0, count: items.count)
        for r in recs.indices {
            guard let j = items.index(of: recs[r].item) else { continue }
            sims.withUnsafeMutableBufferPointer { model.similarities(toItem: j, into: $0) }
            let ranked = history.filter { sims[Int($0)] > 0 }.sorted { sims[Int($0)] > sims[Int($1)] }
            recs[r].because = ranked.prefix(2).map { items[$0] }
        }
    }
}
