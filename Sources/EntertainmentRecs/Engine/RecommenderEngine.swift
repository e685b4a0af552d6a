import Foundation

/// The generic engine under every domain recommender: it maps caller ids to dense
/// indices (in one place), builds the interaction matrix, trains an algorithm and serves
/// top-K recommendations, similar items, fold-in for new users and item scores.
///
/// A fitted engine is immutable until the next `fit`, and `Sendable`: any number of
/// threads may query it at once.
public final class RecommenderEngine<UserID: EntityID, ItemID: EntityID>: @unchecked Sendable {
    /// The algorithm `fit` trains.
    public let algorithm: any RecommenderAlgorithm
    private let lock = NSLock()
    private var state: FittedState<UserID, ItemID>?

    /// The most memory a batch request may need (results plus score buffers), checked
    /// before anything is allocated; half of physical memory unless given.
    public let memoryLimit: Int

    public init(algorithm: any RecommenderAlgorithm, memoryLimit: Int? = nil) {
        self.algorithm = algorithm
        self.memoryLimit = memoryLimit ?? Int(ProcessInfo.processInfo.physicalMemory / 2)
    }

    /// Bytes a batch of `users` top-`count` requests needs: the selected ids and scores,
    /// the `Recommendation` values returned, and one block of scores per thread.
    public static func batchMemoryNeeded(users: Int, count: Int, items: Int, threads: Int, block: Int = 128) -> Int {
        let k = min(count, items)
        let perResult = 8 + MemoryLayout<Recommendation<ItemID>>.stride
        let (a, o1) = users.multipliedReportingOverflow(by: k)
        let (b, o2) = a.multipliedReportingOverflow(by: perResult)
        let (c, o3) = (min(block, max(users, 1)) * max(threads, 1)).multipliedReportingOverflow(by: items * 4)
        let (total, o4) = b.addingReportingOverflow(c)
        return o1 || o2 || o3 || o4 ? Int.max : total
    }

    /// Trains on `(user, item, confidence)` triples; repeated pairs combine by `duplicates`.
    /// - Throws: ``RecommenderError`` for empty data or NaN, infinite or negative weights.
    ///
    /// With a ``FeatureAwareAlgorithm``, `itemTokens` gives each item's feature words and
    /// `catalogItems` adds items without interactions (they get indices too, so the model
    /// can score them from their features).
    public func fit(_ interactions: [(user: UserID, item: ItemID, weight: Float)],
                    duplicates: DuplicatePolicy = .sum, catalogItems: [ItemID] = [],
                    itemTokens: ((ItemID) -> [String])? = nil) throws {
        guard !interactions.isEmpty else { throw RecommenderError.emptyData("no interactions to fit on") }
        var users = IDMap<UserID>(), items = IDMap<ItemID>()
        var u: [Int32] = [], i: [Int32] = [], w: [Float] = []
        u.reserveCapacity(interactions.count); i.reserveCapacity(interactions.count); w.reserveCapacity(interactions.count)
        for (n, x) in interactions.enumerated() {
            guard x.weight.isFinite, x.weight >= 0 else {
                throw RecommenderError.invalidWeight(context: "interaction \(n): user \(x.user), item \(x.item)", value: Double(x.weight))
            }
            u.append(users.insert(x.user)); i.append(items.insert(x.item)); w.append(x.weight)
        }
        let featureAware = algorithm as? any FeatureAwareAlgorithm
        if featureAware != nil { for id in catalogItems { _ = items.insert(id) } }
        let matrix = try InteractionMatrix(userCount: users.count, itemCount: items.count, users: u, items: i,
                                           weights: w, duplicates: duplicates)
        let model: any ScoringModel
        if let featureAware, let itemTokens {
            model = try featureAware.fit(matrix, itemTokens: (0..<items.count).map { itemTokens(items[Int32($0)]) })
        } else {
            model = try algorithm.fit(matrix)
        }
        try install(FittedState(users: users, items: items, matrix: matrix, model: model))
    }

    /// Installs an already-fitted state (used by `fit` and by loading).
    func install(_ s: FittedState<UserID, ItemID>) throws {
        lock.lock(); defer { lock.unlock() }
        state = s
    }

    /// The fitted state, or ``RecommenderError/notFitted``.
    func fitted() throws -> FittedState<UserID, ItemID> {
        lock.lock(); defer { lock.unlock() }
        guard let state else { throw RecommenderError.notFitted }
        return state
    }

    /// Whether `fit` has run.
    public var isFitted: Bool { lock.lock(); defer { lock.unlock() }; return state != nil }
    /// Users seen in training.
    public var knownUsers: [UserID] { (try? fitted().users.ids) ?? [] }
    /// Items seen in training.
    public var knownItems: [ItemID] { (try? fitted().items.ids) ?? [] }

    /// The `count` best items for `user`, without the items they already have (unless
    /// `excludingSeen` is false) and without `excluding`.
    public func recommend(for user: UserID, count: Int = 10, excluding: Set<ItemID> = [],
                          excludingSeen: Bool = true, unknownUser: UnknownUserPolicy = .fail,
                          explain: Bool = false) throws -> [Recommendation<ItemID>] {
        let s = try fitted()
        try Self.check(count: count)
        guard let u = s.users.index(of: user) else {
            guard unknownUser == .popular else { throw RecommenderError.unknownUser("\(user)") }
            return s.top(scores: s.popularity, count: count, exclude: s.indices(of: excluding))
        }
        var scores = [Float](repeating: 0, count: s.items.count)
        scores.withUnsafeMutableBufferPointer { s.model.scores(forUsers: [u], training: s.matrix, into: $0) }
        var exclude = s.indices(of: excluding)
        if excludingSeen { exclude.formUnion(s.matrix.items(ofUser: Int(u))) }
        var recs = s.top(scores: scores, count: count, exclude: exclude)
        if explain { s.explain(&recs, history: Array(s.matrix.items(ofUser: Int(u)))) }
        return recs
    }

    /// Recommendations for many users at once, computed in parallel blocks on `threads`
    /// threads (default: all cores). Unknown users follow `unknownUser`.
    ///
    /// For dot-product models (iALS, BPR) only the items whose norm bound can still reach
    /// a user's k-th best are scored; the result is the same as scoring every item, which
    /// `scoreEveryItem: true` does (for comparison and benchmarks).
    ///
    /// A dictionary of per-user arrays; ``recommendations(for:count:excludingSeen:unknownUser:threads:scoreEveryItem:)``
    /// returns the same lists flat, without an allocation per user (for serving large batches).
    public func recommend(for users: [UserID], count: Int = 10, excludingSeen: Bool = true,
                          unknownUser: UnknownUserPolicy = .fail, threads: Int? = nil,
                          scoreEveryItem: Bool = false) throws -> [UserID: [Recommendation<ItemID>]] {
        let (s, top, rowIndex, popular) = try batchTopK(users, count: count, excludingSeen: excludingSeen,
                                                        unknownUser: unknownUser, threads: threads, scoreEveryItem: scoreEveryItem)
        var result: [UserID: [Recommendation<ItemID>]] = [:]
        result.reserveCapacity(users.count)
        for (r, user) in users.enumerated() {
            let row = Int(rowIndex[r])
            guard row >= 0 else { result[user] = popular; continue }
            var list: [Recommendation<ItemID>] = []
            list.reserveCapacity(top.k)
            for q in (row * top.k)..<(row * top.k + top.k) where top.ids[q] >= 0 {
                list.append(Recommendation(item: s.items[top.ids[q]], score: top.scores[q]))
            }
            result[user] = list
        }
        return result
    }

    /// Recommendations for many users at once, flat: row r of the result is `users[r]`'s
    /// list, best first (the lists of ``recommend(for:count:excludingSeen:unknownUser:threads:scoreEveryItem:)``,
    /// as implicit's batch `recommend` returns arrays of ids and scores rather than objects).
    public func recommendations(for users: [UserID], count: Int = 10, excludingSeen: Bool = true,
                                unknownUser: UnknownUserPolicy = .fail, threads: Int? = nil,
                                scoreEveryItem: Bool = false) throws -> BatchRecommendations<UserID, ItemID> {
        let (s, top, rowIndex, popular) = try batchTopK(users, count: count, excludingSeen: excludingSeen,
                                                        unknownUser: unknownUser, threads: threads, scoreEveryItem: scoreEveryItem)
        var offsets = [Int](repeating: 0, count: users.count + 1)
        var items: [ItemID] = [], scores: [Float] = []
        let capacity = top.count * top.k + (users.count - top.count) * popular.count
        items.reserveCapacity(capacity)
        scores.reserveCapacity(capacity)
        for r in 0..<users.count {
            let row = Int(rowIndex[r])
            if row < 0 {
                for p in popular { items.append(p.item); scores.append(p.score) }
            } else {
                for q in (row * top.k)..<(row * top.k + top.k) where top.ids[q] >= 0 {
                    items.append(s.items[top.ids[q]])
                    scores.append(top.scores[q])
                }
            }
            offsets[r + 1] = items.count
        }
        return BatchRecommendations(users: users, offsets: offsets, items: items, scores: scores)
    }

    /// The batch requests' shared work: each row's training index (−1: unknown, served
    /// `popular`), and the top-K lists of the known users in that order.
    private func batchTopK(_ users: [UserID], count: Int, excludingSeen: Bool, unknownUser: UnknownUserPolicy,
                           threads: Int?, scoreEveryItem: Bool)
        throws -> (FittedState<UserID, ItemID>, TopKLists, rowIndex: [Int32], popular: [Recommendation<ItemID>]) {
        let s = try fitted()
        try Self.check(count: count)
        var known: [Int32] = [], rowIndex = [Int32](repeating: -1, count: users.count)
        known.reserveCapacity(users.count)
        for (r, user) in users.enumerated() {
            if let u = s.users.index(of: user) { rowIndex[r] = Int32(known.count); known.append(u); continue }
            guard unknownUser == .popular else { throw RecommenderError.unknownUser("\(user)") }
        }
        var server = TopKServer(model: s.model, training: s.matrix)
        if let threads { server.threads = max(1, threads) }
        server.pruning = !scoreEveryItem
        let needed = Self.batchMemoryNeeded(users: known.count, count: count, items: s.matrix.itemCount,
                                            threads: server.threads, block: server.blockSize)
        guard needed <= memoryLimit else {
            throw RecommenderError.tooLarge("top-\(count) for \(known.count) users over \(s.matrix.itemCount) items needs \(needed == .max ? "over 2^63" : "\(needed)") bytes; the limit is \(memoryLimit) bytes (ask in smaller batches or for fewer items)")
        }
        let top = server.topK(users: known, count: count, excludingSeen: excludingSeen)
        let popular = known.count < users.count ? s.top(scores: s.popularity, count: count, exclude: []) : []
        return (s, top, rowIndex, popular)
    }

    /// Recommendations for a user who was not in training, from their history
    /// (`item → weight`), without retraining (fold-in). Unknown items are ignored; a
    /// history with no known item gets the most popular items.
    public func recommend(history: [ItemID: Float], count: Int = 10, excluding: Set<ItemID> = [],
                          explain: Bool = false) throws -> [Recommendation<ItemID>] {
        let s = try fitted()
        try Self.check(count: count)
        let h = try s.history(history)
        guard !h.items.isEmpty else { return s.top(scores: s.popularity, count: count, exclude: s.indices(of: excluding)) }
        var scores = [Float](repeating: 0, count: s.items.count)
        scores.withUnsafeMutableBufferPointer { s.model.scores(forHistory: h, into: $0) }
        var recs = s.top(scores: scores, count: count, exclude: s.indices(of: excluding).union(h.items))
        if explain { s.explain(&recs, history: h.items) }
        return recs
    }

    /// The `count` items most similar to `item` (itself excluded).
    public func similarItems(to item: ItemID, count: Int = 10) throws -> [Recommendation<ItemID>] {
        let s = try fitted()
        try Self.check(count: count)
        guard let i = s.items.index(of: item) else { throw RecommenderError.unknownItem("\(item)") }
        var scores = [Float](repeating: 0, count: s.items.count)
        scores.withUnsafeMutableBufferPointer { s.model.similarities(toItem: i, into: $0) }
        return s.top(scores: scores, count: count, exclude: [i])
    }

    /// The model's scores of `items` for `user`, in the order given.
    public func scores(for user: UserID, items: [ItemID]) throws -> [Float] {
        let s = try fitted()
        guard let u = s.users.index(of: user) else { throw RecommenderError.unknownUser("\(user)") }
        let all = s.model.scores(forUser: u, training: s.matrix)
        return try items.map { id in
            guard let i = s.items.index(of: id) else { throw RecommenderError.unknownItem("\(id)") }
            return all[Int(i)]
        }
    }

    static func check(count: Int) throws {
        guard count > 0 else { throw RecommenderError.invalidArgument("count must be ≥ 1, got \(count)") }
    }
}
