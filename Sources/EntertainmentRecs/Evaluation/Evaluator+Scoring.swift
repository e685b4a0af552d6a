import Dispatch

/// Per-user results of one evaluation, by position in the split's held-out list.
struct UserOutcomes: Sendable, Equatable {
    /// Sampled-protocol rank of each held-out user.
    var sampledRanks: [Int]
    /// Full-ranking rank of each held-out user.
    var fullRanks: [Int]
    /// Each user's top-K candidates, `cutoff` slots per user, best first, `-1` where the
    /// user has fewer than K candidates.
    var topItems: [Int32]
}

/// Output pointers shared by the worker threads; each user's slots are written by exactly
/// one worker, so the writes never overlap.
private struct OutcomeSink: @unchecked Sendable {
    let sampledRanks: UnsafeMutablePointer<Int>
    let fullRanks: UnsafeMutablePointer<Int>
    let topItems: UnsafeMutablePointer<Int32>
}

extension Evaluator {
    /// Scores every held-out user of `split` in blocks and ranks the test item.
    ///
    /// Worker `w` of `W` takes blocks `w, w + W, …` and reuses one score buffer for all of
    /// them; each block is pre-filled with NaN, so a score the model fails to write counts
    /// as −∞ rather than as a stale value from another block.
    /// - Precondition: `validate(model, on: split)` passed.
    func userOutcomes(_ model: any ScoringModel, on split: BenchmarkSplit) -> UserOutcomes {
        let userCount = split.test.count
        let itemCount = split.train.itemCount
        let users = split.test.map(\.user)
        let rowsPerBlock = max(1, min(blockSize, Self.maxBufferFloats / max(itemCount, 1)))
        let blockCount = (userCount + rowsPerBlock - 1) / rowsPerBlock
        let workers = max(1, min(threadCount, blockCount))
        let k = cutoff

        let sampled = UnsafeMutablePointer<Int>.allocate(capacity: userCount)
        let full = UnsafeMutablePointer<Int>.allocate(capacity: userCount)
        let top = UnsafeMutablePointer<Int32>.allocate(capacity: userCount * k)
        defer { sampled.deallocate(); full.deallocate(); top.deallocate() }
        let sink = OutcomeSink(sampledRanks: sampled, fullRanks: full, topItems: top)

        let work: @Sendable (Int) -> Void = { worker in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: rowsPerBlock * itemCount)
            defer { buffer.deallocate() }
            var selector = TopKSelector(capacity: k)
            var block = worker
            while block < blockCount {
                let lower = block * rowsPerBlock, upper = min(lower + rowsPerBlock, userCount)
                let scores = UnsafeMutableBufferPointer(rebasing: buffer[0..<((upper - lower) * itemCount)])
                scores.update(repeating: .nan)
                model.scores(forUsers: users[lower..<upper], training: split.train, into: scores)
                for position in lower..<upper {
                    let start = (position - lower) * itemCount
                    let row = UnsafeBufferPointer(rebasing: scores[start..<(start + itemCount)])
                    let (user, item) = split.test[position]
                    sink.sampledRanks[position] = Ranking.sampledRank(
                        scores: row, testItem: item, negatives: split.negatives[position])
                    sink.fullRanks[position] = Ranking.fullRank(
                        scores: row, training: split.train.items(ofUser: Int(user)), testItem: item,
                        topK: &selector)
                    for slot in 0..<k {
                        sink.topItems[position * k + slot] = slot < selector.count ? selector.items[slot] : -1
                    }
                }
                block += workers
            }
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        return UserOutcomes(sampledRanks: Array(UnsafeBufferPointer(start: sampled, count: userCount)),
                            fullRanks: Array(UnsafeBufferPointer(start: full, count: userCount)),
                            topItems: Array(UnsafeBufferPointer(start: top, count: userCount * k)))
    }
}
