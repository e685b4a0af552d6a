/// Serves top-K for many users, in blocks of users spread over threads, each user's seen
/// items excluded. Dot-product models (iALS, BPR) go through one kernel that scores and
/// selects in registers (`ck_topk_dot`), over the items in descending norm order, stopping
/// where the norm bound cannot reach the users' k-th best (``NormOrderedItems``) with the
/// same result; other models score a block into a buffer (one GEMM for factor models) and
/// select from it.
struct TopKServer: Sendable {
    let model: any ScoringModel
    let training: InteractionMatrix
    var blockSize = 128
    var threads = Parallel.defaultThreads
    /// Skip items by their norm bound for dot-product models (exact; off only to compare).
    var pruning = true

    /// For each of `users` (training rows), the best `count` (item, score) pairs.
    func topK(users: [Int32], count: Int, excludingSeen: Bool) -> TopKLists {
        let k = min(count, training.itemCount)
        guard !users.isEmpty, k > 0 else { return TopKLists(k: 0, ids: [], scores: [], count: users.count) }
        var scores: [Float] = []
        let ids = [Int32](unsafeUninitializedCapacity: users.count * k) { idsBuffer, idsCount in
            scores = [Float](unsafeUninitializedCapacity: users.count * k) { bestBuffer, bestCount in
                fill(ids: idsBuffer.baseAddress!, best: bestBuffer.baseAddress!, users: users, k: k, excludingSeen: excludingSeen)
                bestCount = users.count * k
            }
            idsCount = users.count * k
        }
        return TopKLists(k: k, ids: ids, scores: scores, count: users.count)
    }

    /// Writes the top `k` ids and scores of each user (best first, −1 / −∞ padding) to
    /// `ids` / `best` (users.count × k).
    private func fill(ids: UnsafeMutablePointer<Int32>, best: UnsafeMutablePointer<Float>, users: [Int32], k: Int,
                      excludingSeen: Bool) {
        let n = training.itemCount
        let (idsP, bestP) = (SharedPointer(base: ids), SharedPointer(base: best))
        let (model, training, block) = (self.model, self.training, self.blockSize)
        // One contiguous share of users per thread, scored `block` users at a time into one
        // reused buffer (a fresh multi-megabyte buffer per block costs page faults).
        let share = (users.count + threads - 1) / max(threads, 1)
        // Dot-product models: scores fused with the selection, never stored, and (unless
        // `pruning` is off) only as far into the norm-ordered catalog as the bound requires.
        if let dot = model as? any DotProductScoring, let index = dot.normOrdered {
            let prune = pruning
            // Whole groups of the kernel's, in every thread's share and every block (a block
            // of 128 users would leave groups of 32); only the last share can end in a part.
            let group = RecKernels.topKDotGroup, dotBlock = max(1, (block + group - 1) / group) * group
            let dotShare = (share + group - 1) / group * group
            Parallel.forEachBlock(users.count, blockSize: max(dotShare, 1), threads: threads) { part in
                let w = index.width
                let vectors = UnsafeMutablePointer<Float>.allocate(capacity: min(dotBlock, part.count) * w)
                defer { vectors.deallocate() }
                for start in stride(from: part.lowerBound, to: part.upperBound, by: dotBlock) {
                    let range = start..<min(part.upperBound, start + dotBlock)
                    for (r, u) in users[range].enumerated() { dot.userVector(u, into: vectors + r * w) }
                    let (offsets, excluded) = Self.exclusions(users[range], training: training, seen: excludingSeen)
                    offsets.withUnsafeBufferPointer { op in excluded.withUnsafeBufferPointer { ep in
                        _ = RecKernels.topKDot(ids: idsP.base + range.lowerBound * k, scores: bestP.base + range.lowerBound * k,
                                               users: vectors, rows: range.count, index: index, pruning: prune, k: k,
                                               excludeOffsets: op.baseAddress!, excludeItems: ep.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                    } }
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
    }
}

/// Top-k lists of many users, flat: user r's list is `ids[r·k ..< r·k + k]` (best first,
/// padded with id −1 when fewer items qualify) with its `scores`.
struct TopKLists {
    let k: Int
    let ids: [Int32]
    let scores: [Float]
    /// Number of users.
    let count: Int

    /// User r's list without padding.
    subscript(r: Int) -> [(item: Int32, score: Float)] {
        (0..<k).compactMap { q in ids[r * k + q] >= 0 ? (ids[r * k + q], scores[r * k + q]) : nil }
    }
}

extension TopKServer {
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
}
