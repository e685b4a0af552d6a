/// Serves top-K for many users: scores in blocks of users (one GEMM per block for factor
/// models), then the fused selection kernel with each user's seen items excluded, blocks
/// spread over threads.
struct TopKServer: Sendable {
    let model: any ScoringModel
    let training: InteractionMatrix
    var blockSize = 128
    var threads = Parallel.defaultThreads

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
        Parallel.forEachBlock(users.count, blockSize: max(share, 1), threads: threads) { part in
            let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: min(block, part.count) * n)
            defer { scores.deallocate() }
            for start in stride(from: part.lowerBound, to: part.upperBound, by: block) {
                let range = start..<min(part.upperBound, start + block)
                model.scores(forUsers: users[range], training: training, into: scores)
                var offsets: [Int64] = [0], excluded: [Int32] = []
                for u in users[range] {
                    if excludingSeen { excluded += training.items(ofUser: Int(u)) }
                    offsets.append(Int64(excluded.count))
                }
                offsets.withUnsafeBufferPointer { op in
                    excluded.withUnsafeBufferPointer { ep in
                        RecKernels.topK(ids: idsP.base + range.lowerBound * k, scores: bestP.base + range.lowerBound * k,
                                        from: scores.baseAddress!, rows: range.count, columns: n, k: k,
                                        excludeOffsets: op.baseAddress, excludeItems: ep.baseAddress ?? UnsafePointer(bitPattern: 8))
                    }
                }
            }
        }
        return (0..<users.count).map { r in
            (0..<k).compactMap { q in ids[r * k + q] >= 0 ? (ids[r * k + q], best[r * k + q]) : nil }
        }
    }
}
