import AllocationCounter
import DeepCore

/// Heap allocations per training step after warm-up: a callback reads the calling
/// thread's malloc counter (Tests/AllocationCounter, shared with the tests) after every batch;
/// steps `warmUp ..< warmUp + window` are reported (median, min, max per step).
enum AllocBench {
    static let warmUp = 10
    static let window = 40

    final class Probe: Callback {
        let counts: UnsafeMutablePointer<UInt64>
        let capacity: Int
        let processWide: Bool
        init(capacity: Int, processWide: Bool) {
            self.capacity = capacity
            self.processWide = processWide
            counts = .allocate(capacity: capacity)
            counts.initialize(repeating: 0, count: capacity)
        }
        deinit { counts.deallocate() }
        func onBatchEnd(_ batch: Int, logs: BatchLogs) {
            if batch < capacity { counts[batch] = processWide ? allocation_counter_process_value() : allocation_counter_value() }
        }
    }

    /// One thread: the calling thread's count. Two threads: every thread's (the step's
    /// workers allocate on their own threads), with nothing else running in the process.
    static func run(batchSizes: [Int], threads: [Int] = [1]) throws -> [BenchResult] {
        guard allocation_counter_supported() != 0 else {
            print("alloc: not measured (the allocation counter needs Linux + glibc)")
            return []
        }
        var out: [BenchResult] = []
        for threadCount in threads {
            for batch in batchSizes {
                let steps = warmUp + window + 1
                let (x, y) = SeedBench.data(samples: batch * steps)
                let model = SeedBench.makeModel()
                model.threads = threadCount
                let probe = Probe(capacity: steps, processWide: threadCount > 1)
                let before = allocation_counter_value()
                try model.fit(x, y, epochs: 1, batchSize: batch, callbacks: [probe], verbose: .silent)
                // Check before reporting: the counter counts (fit's set-up allocates).
                precondition(probe.counts[0] > before, "the allocation counter is not counting")
                let perStep = (warmUp..<(warmUp + window)).map { Double(probe.counts[$0 + 1] - probe.counts[$0]) }.sorted()
                out.append(result("alloc", "\(KernelISA.active)", "batch \(batch)", "allocs/step", perStep, threads: threadCount))
            }
        }
        return out
    }
}
