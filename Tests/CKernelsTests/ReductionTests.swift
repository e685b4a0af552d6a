import CKernels
import Dispatch
import Testing

/// `ck_add` (summing per-thread gradient arenas) and the counters that coordinate a
/// data-parallel training step.
@Suite("Arena sums and step counters") struct ReductionTests {
    /// Every length class of the vector loop (empty, tail only, whole vectors plus tail),
    /// magnitudes from 1e-30 to 1e30 and cancelling pairs: each element must equal the
    /// Double sum rounded once to Float, and nothing past `n` may change.
    @Test(arguments: [0, 1, 7, 8, 15, 16, 17, 31, 64, 67, 1_000, 4_099])
    func addMatchesDoubleReference(n: Int) {
        var rng = TestRNG(UInt64(41 + n))
        let scales: [Float] = [1e-30, 1e-3, 1, 1e3, 1e30]
        let x = (0..<n).map { i in rng.float() * scales[i % scales.count] }
        var y = (0..<n).map { i in i % 7 == 3 ? -x[i] : rng.float() * scales[(i / 2) % scales.count] }
        let reference = (0..<n).map { Float(Double(y[$0]) + Double(x[$0])) }
        y.append(contentsOf: [-7, -7, -7])   // sentinels past n
        var xs = x + [1, 1, 1]
        ck_add(&y, &xs, n)
        for i in 0..<n {
            #expect(y[i].bitPattern == reference[i].bitPattern, "element \(i): \(y[i]) vs \(reference[i])")
        }
        #expect(Array(y[n...]) == [-7, -7, -7], "wrote past n")
    }

    @Test func addPropagatesNonFiniteValues() {
        var y: [Float] = [1, .infinity, 3, .nan, Float.greatestFiniteMagnitude]
        let x: [Float] = [.nan, 1, -.infinity, 0, Float.greatestFiniteMagnitude]
        ck_add(&y, x, y.count)
        #expect(y[0].isNaN && y[1] == .infinity && y[2] == -.infinity && y[3].isNaN && y[4] == .infinity)
    }

    /// Concurrent adds lose nothing, and return distinct values (so each claims one item).
    @Test func countersClaimEachValueOnce() {
        let counter = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        defer { counter.deallocate() }
        ck_counter_store(counter, 0)
        let threads = 4, perThread = 5_000
        let claimed = UnsafeMutablePointer<Int64>.allocate(capacity: threads * perThread)
        defer { claimed.deallocate() }
        claimed.initialize(repeating: 0, count: threads * perThread)
        let shared = UnsafeSendable(counter: counter, claimed: claimed)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<perThread {
                let v = Int(ck_counter_add(shared.counter, 1))
                shared.claimed[v - 1] += 1   // each value is returned to one thread only
            }
        }
        #expect(ck_counter_load(counter) == Int64(threads * perThread))
        #expect((0..<threads * perThread).allSatisfy { claimed[$0] == 1 })
    }

    /// A thread that waits for a counter sees what was written before the counter moved.
    @Test func waitSeesWritesBeforeTheRelease() {
        let counter = UnsafeMutablePointer<Int64>.allocate(capacity: 2)
        defer { counter.deallocate() }
        ck_counter_store(counter, 0)
        counter[1] = 0
        let shared = UnsafeSendable(counter: counter, claimed: counter + 1)
        var stale = 0
        for round in 1...50 {
            // The writer on another thread (never queued behind the waiter).
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                shared.claimed.pointee = Int64(round)
                ck_counter_add(shared.counter, 1)
            }
            ck_counter_wait(counter, Int64(round))
            if counter[1] != Int64(round) { stale += 1 }
            group.wait()
        }
        #expect(stale == 0, "\(stale) stale values after the wait")
        #expect(ck_counter_load(counter) == 50)
    }
}

private struct UnsafeSendable: @unchecked Sendable {
    let counter: UnsafeMutablePointer<Int64>
    let claimed: UnsafeMutablePointer<Int64>
}
