import Dispatch
import Foundation

/// Work a ``WorkerPool`` runs: `run(part:)` is called once on each participating thread
/// (part 0 on the caller's).
protocol WorkerPoolJob: AnyObject {
    func run(part: Int)
}

/// A few threads of our own for the split training step, started once per `fit` and woken
/// per step by semaphores, so that a step allocates nothing:
/// `DispatchQueue.concurrentPerform` allocates a closure context, a block copy and (on
/// Linux) an apply structure on every call. Parallelism stays with Dispatch-era tools
/// (threads and semaphores), not OpenMP, which would need compiler flags SwiftPM refuses in
/// dependencies.
final class WorkerPool: @unchecked Sendable {
    /// Threads besides the caller's.
    let helpers: Int
    private let wake: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    /// The job of the current `run`; written before the helpers are woken (the semaphore
    /// orders it), cleared after they have all finished.
    private var job: (any WorkerPoolJob)?
    private var stopping = false

    init(helpers: Int) {
        self.helpers = max(0, helpers)
        wake = (0..<self.helpers).map { _ in DispatchSemaphore(value: 0) }
        // The caller waits for the helpers every step: they run at its priority (on Apple
        // platforms, a lower QoS would invert priorities and may land on efficiency cores).
        let qos = Thread.current.qualityOfService
        for h in 0..<self.helpers {
            let thread = Thread { [self] in self.serve(h) }
            thread.name = "DeepCore worker \(h + 1)"
            thread.qualityOfService = qos
            thread.start()
        }
    }

    private func serve(_ helper: Int) {
        while true {
            wake[helper].wait()
            if stopping { done.signal(); return }
            job?.run(part: helper + 1)
            done.signal()
        }
    }

    /// Runs `job.run(part:)` on the calling thread (part 0) and on `parts − 1` helpers (at
    /// most all of them) at once, and returns when every one has returned.
    func run(_ job: any WorkerPoolJob, parts: Int) {
        let woken = min(max(parts - 1, 0), helpers)
        self.job = job
        for h in 0..<woken { wake[h].signal() }
        job.run(part: 0)
        for _ in 0..<woken { done.wait() }
        self.job = nil
    }

    /// Ends the helper threads (each holds the pool until it returns); call once, when no
    /// `run` is in progress.
    func stop() {
        stopping = true
        for w in wake { w.signal() }
        for _ in 0..<helpers { done.wait() }
    }
}
