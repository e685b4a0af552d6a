/// Serves top-K for many users: scores in blocks of users (one GEMM per block for factor
/// models), then the fused selection kernel with each user's seen items excluded, blocks
/// spread over threads. Dot-product models (iALS, BPR) score only the items whose norm
/// bound can still reach a user's k-th best (``prunedTopK``), with the same result.
struct TopKServer: Sendable {
    let model: any ScoringModel
    let training: InteractionMatrix
    var blockSize = 128
    var threads = Parallel.defaultThreads
    /// Skip items by their norm bound for dot-product models (exact; off only to compare).
    var pruning = true

    /// For each of `users` (training rows), the best `count` (item, score) pairs.
    func topK(users: [Int32], count: Int, excludingSeen: Bool) -> [[(item: Int32, score: Float)]] {
        let n = training.itemCount, k = min(count, n)
        guard !users.isEmpty, k > 0 else { return users.map { _ in [] } }
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: users.count * k)
        let best = UnsafeMutablePointer<Float>.allocate(capacity: users.count * k)
        defer { ids.deallocate(); best.deallocate() }
        let (idsP, bestP) = (SharedPointer(base: ids), SharedPointer(base: best))
        let (model, training, block) = (self.model, self.training, self.blockSize)
        // One contiguous share of users per thread, scored `block` users at a time into one
        // reused buffer (a fresh multi-megabyte buffer per block costs page faults).
        let share = (users.count + threads - 1) / max(threads, 1)
        // Pruning scores with the GEMM variant a full scan uses, for every shape (see
        // `RecKernels.exactScanVariant`), so the scores are bit-identical; without one, or
        // for a small catalog, every item is scored.
        if pruning, n >= 64, let dot = model as? any DotProductScoring, let index = dot.normOrdered,
           let variant = RecKernels.exactScanVariant(width: index.width) {
            Parallel.forEachBlock(users.count, blockSize: max(share, 1), threads: threads) { part in
                let buffers = PrunedBuffers(rows: min(block, part.count), width: index.width, items: n, k: k)
                defer { buffers.release() }
                // The first block starts from an eighth of the catalog; each next one from
                // what the last one needed.
                var prefix = max(64, n / 8)
                for start in stride(from: part.lowerBound, to: part.upperBound, by: block) {
                    let range = start..<min(part.upperBound, start + block)
                    prefix = Self.prunedTopK(index: index, variant: variant, model: dot, users: users[range], k: k, training: training,
                                             excludingSeen: excludingSeen, prefix: prefix, buffers: buffers,
                                             ids: idsP.base + range.lowerBound * k, best: bestP.base + range.lowerBound * k)
                }
            }
        } else {
            Parallel.forEachBlock(users.count, blockSize: max(share, 1), threads: threads) { part in
                let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: min(block, part.count) * n)
                defer { scores.deallocate() }
                for start in stride(from: part.lowerBound, to: part.upperBound, by: block) {
                    let range = start..<min(part.upperBound, start + block)
                    model.scores(forUsers: users[range], training: training, into: scores)
                    let (offsets, excluded) = Self.exclusions(users[range], training: training, seen: excludingSeen)
                    offsets.withUnsafeBufferPointer { op in
                        excluded.withUnsafeBufferPointer { ep in
                            RecKernels.topK(ids: idsP.base + range.lowerBound * k, scores: bestP.base + range.lowerBound * k,
                                            from: scores.baseAddress!, rows: range.count, columns: n, k: k,
                                            excludeOffsets: op.baseAddress, excludeItems: ep.baseAddress ?? UnsafePointer(bitPattern: 8))
                        }
                    }
                }
            }
        }
        return (0..<users.count).map { r in
            (0..<k).compactMap { q in ids[r * k + q] >= 0 ? (ids[r * k + q], best[r * k + q]) : nil }
        }
    }
}

extension TopKServer {
    /// Top-K for a block of users of a dot-product model, scoring only the items whose
    /// norm bound can still reach each user's k-th best (see ``NormOrderedItems``):
    /// 1. score the `prefix` longest item vectors for every user of the block and select
    ///    from them, which gives each user a threshold θ (their k-th best so far);
    /// 2. a user whose bound ‖u‖·‖v‖ falls below θ within the prefix is done: no later item
    ///    can enter; the others are scored on from the prefix up to where their θ lets the
    ///    bound fall, and the best of that part is merged into their top-k.
    /// The result equals selecting over all items (same ids, same scores). Returns the
    /// median of the prefixes needed, the next block's first prefix.
    static func prunedTopK(index: NormOrderedItems, variant: RecKernels.GEMMVariant,
                           model: any DotProductScoring, users: ArraySlice<Int32>, k: Int,
                           training: InteractionMatrix, excludingSeen: Bool, prefix firstPrefix: Int,
                           buffers: PrunedBuffers, ids: UnsafeMutablePointer<Int32>,
                           best: UnsafeMutablePointer<Float>) -> Int {
        let n = index.order.count, w = index.width, rows = users.count
        let prefix = min(n, max(firstPrefix, k))
        let a = buffers.vectors, scores = buffers.scores
        for (r, u) in users.enumerated() { model.userVector(u, into: a + r * w) }
        let (offsets, excluded) = exclusions(users, training: training, seen: excludingSeen)
        var needed = [Int](repeating: 0, count: rows)
        index.vectors.withUnsafeBufferPointer { v in index.order.withUnsafeBufferPointer { order in
            offsets.withUnsafeBufferPointer { op in excluded.withUnsafeBufferPointer { ep in
                let exItems = ep.baseAddress ?? UnsafePointer(bitPattern: 8)!
                RecKernels.gemm(variant, a, v.baseAddress!, scores, m: rows, n: prefix, k: w)
                RecKernels.topK(ids: ids, scores: best, from: scores, rows: rows, columns: prefix, stride: prefix, k: k,
                                excludeOffsets: op.baseAddress, excludeItems: exItems, columnIDs: order.baseAddress!, idCount: n)
                // Users whose bound has not yet fallen below their k-th best.
                var again: [Int] = []
                for r in 0..<rows {
                    var norm = 0.0
                    for j in 0..<w { let x = Double(a[r * w + j]); norm += x * x }
                    needed[r] = index.prefix(userNorm: norm.squareRoot(), threshold: best[r * k + k - 1])
                    if needed[r] > prefix { again.append(r) }
                }
                guard !again.isEmpty else { return }
                // Score only the columns past the prefix, up to the longest any of them
                // needs, packed densely; select from each user's share and merge.
                let longest = again.map { needed[$0] }.max()!, span = longest - prefix
                for (q, r) in again.enumerated() where q != r {
                    (a + q * w).update(from: a + r * w, count: w)
                }
                RecKernels.gemm(variant, a, v.baseAddress! + prefix * w, scores, m: again.count, n: span, k: w)
                let tailIDs = buffers.tailIDs, tailBest = buffers.tailBest
                for (q, r) in again.enumerated() {
                    RecKernels.topK(ids: tailIDs, scores: tailBest, from: scores + q * span, rows: 1,
                                    columns: needed[r] - prefix, stride: span, k: k, excludeOffsets: op.baseAddress! + r,
                                    excludeItems: exItems, columnIDs: order.baseAddress! + prefix, idCount: n)
                    Self.merge(ids + r * k, best + r * k, tailIDs, tailBest, k: k)
                }
            } }
        } }
        needed.sort()
        return (needed[rows / 2] + 15) & ~15
    }

    /// Merges two best-first top-k lists (score descending, ties by lower id, padding id
    /// −1 last) into the first: the top-k of their union.
    static func merge(_ ids: UnsafeMutablePointer<Int32>, _ best: UnsafeMutablePointer<Float>,
                      _ otherIDs: UnsafePointer<Int32>, _ otherBest: UnsafePointer<Float>, k: Int) {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: k) { mi in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { ms in
                var i = 0, j = 0
                for q in 0..<k {
                    let takeOther: Bool
                    if j >= k || otherIDs[j] < 0 { takeOther = false }
                    else if i >= k || ids[i] < 0 { takeOther = true }
                    else { takeOther = otherBest[j] > best[i] || (otherBest[j] == best[i] && otherIDs[j] < ids[i]) }
                    if takeOther { mi[q] = otherIDs[j]; ms[q] = otherBest[j]; j += 1 }
                    else if i < k { mi[q] = ids[i]; ms[q] = best[i]; i += 1 }
                    else { mi[q] = -1; ms[q] = -.infinity }
                }
                ids.update(from: mi.baseAddress!, count: k)
                best.update(from: ms.baseAddress!, count: k)
            }
        }
    }

    /// Each user's seen items (when `seen`) as CSR lists for the selection kernel.
    static func exclusions(_ users: ArraySlice<Int32>, training: InteractionMatrix,
                           seen: Bool) -> (offsets: [Int64], items: [Int32]) {
        var offsets: [Int64] = [0], items: [Int32] = []
        offsets.reserveCapacity(users.count + 1)
        for u in users {
            if seen { items += training.items(ofUser: Int(u)) }
            offsets.append(Int64(items.count))
        }
        return (offsets, items)
    }

    /// Per-thread scratch of ``prunedTopK``, sized for a thread's largest block (its first).
    struct PrunedBuffers {
        let vectors: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>
        let tailIDs: UnsafeMutablePointer<Int32>
        let tailBest: UnsafeMutablePointer<Float>

        init(rows: Int, width: Int, items: Int, k: Int) {
            vectors = .allocate(capacity: rows * width)
            scores = .allocate(capacity: rows * items)
            tailIDs = .allocate(capacity: k)
            tailBest = .allocate(capacity: k)
        }

        func release() { vectors.deallocate(); scores.deallocate(); tailIDs.deallocate(); tailBest.deallocate() }
    }
}
