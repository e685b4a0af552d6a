import Dispatch
import Foundation

extension Sequential {
    /// Trains the model on `x` (samples × features) against `y` for `epochs` passes.
    ///
    /// ```swift
    /// let history = try model.fit(x, y, epochs: 3, batchSize: 32, validationSplit: 0.1)
    /// ```
    ///
    /// - Parameters:
    ///   - validationSplit: the fraction of samples, taken from the end before shuffling
    ///     (as Keras), held out to report `val_` metrics each epoch.
    ///   - validationData: explicit `(x, y)` for validation; wins over `validationSplit`.
    ///   - shuffle: whether to reshuffle the training samples every epoch.
    ///   - seed: fixes the shuffling; `nil` uses the model's seed. On one thread the same
    ///     seeds give bit-identical weights.
    /// - Returns: the per-epoch loss and metrics.
    /// - Throws: ``DeepCoreError`` for mismatched shapes, NaN or infinite data, empty data,
    ///   a batch size below 1, a loss that does not fit the output, or a loss that turns
    ///   NaN (naming the epoch and batch; the weights stay as they were before that batch).
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, epochs: Int = 1, batchSize: Int = 32,
                    validationSplit: Double = 0, validationData: (x: Tensor, y: Tensor)? = nil,
                    shuffle: Bool = true, seed: UInt64? = nil, callbacks: [any Callback] = [],
                    verbose: Verbosity = .auto) throws -> History {
        guard let optimizer, let loss else { throw DeepCoreError.notReady("call compile(optimizer:loss:metrics:) before fit") }
        guard batchSize > 0 else { throw DeepCoreError.invalidArgument("batch size must be at least 1, got \(batchSize)") }
        guard epochs >= 0 else { throw DeepCoreError.invalidArgument("epochs must be ≥ 0, got \(epochs)") }
        guard validationSplit >= 0, validationSplit < 1 else {
            throw DeepCoreError.invalidArgument("validation split must be in [0, 1), got \(validationSplit)")
        }
        guard let yAll = try prepare(x, y, role: "training") else { return History() }
        if loss.isPairwise && (batchSize % 2 != 0 || x.shape[0] % 2 != 0) {
            throw DeepCoreError.invalidArgument("\(loss) pairs consecutive rows: samples (\(x.shape[0])) and batch size (\(batchSize)) must be even")
        }
        if optimizer.parameterCount != arena!.count { optimizer.prepare(parameterCount: arena!.count) }

        var (trainX, trainY) = (x, yAll)
        var validation: (Tensor, Tensor)?
        if let vd = validationData {
            validation = (vd.x, try prepare(vd.x, vd.y, role: "validation")!)
        } else if validationSplit > 0 {
            let n = x.shape[0]
            var split = n - Int(Double(n) * validationSplit)
            if loss.isPairwise { split -= split % 2 }   // keep pairs whole
            guard split > 0, split < n else {
                throw DeepCoreError.emptyData("validation split \(validationSplit) of \(n) samples leaves an empty part")
            }
            validation = (x.rows(split..<n), yAll.rows(split..<n))
            (trainX, trainY) = (x.rows(0..<split), yAll.rows(0..<split))
        }

        let loop = TrainingLoop(model: self, optimizer: optimizer, loss: loss,
                                x: trainX, y: trainY, batchSize: batchSize)
        var all = callbacks
        if verbose != .silent { all.insert(ProgressLogger(verbosity: verbose), at: 0) }
        let control = TrainingControl(model: self, epochs: epochs)
        var history = History()
        var rng = SeededGenerator(seed: seed ?? self.seed &+ 0x5EED)
        stopTrainingRequested = false
        // Restored, not reset, at the end: a fit may run inside another's callback.
        let outerDefers = fusingLayer?.defersActivation ?? false
        fusingLayer?.defersActivation = true
        defer { fusingLayer?.defersActivation = outerDefers }

        for cb in all { cb.onTrainBegin(control: control) }
        for epoch in 0..<epochs {
            for cb in all { cb.onEpochBegin(epoch, control: control) }
            let start = ContinuousClock.now
            if shuffle { loop.shuffle(&rng) }
            var logs = try loop.runEpoch(epoch, callbacks: all)
            if let (vx, vy) = validation {
                let v = try measure(vx, vy, batchSize: batchSize, plan: loop.plan)
                for (k, value) in v { logs.entries.append(("val_" + k, value)) }
            }
            logs.seconds = ProgressLogger.seconds(ContinuousClock.now - start)
            history.append(epoch: epoch, logs: logs)
            for cb in all { cb.onEpochEnd(epoch, logs: logs, control: control) }
            if stopTrainingRequested { break }
        }
        for cb in all { cb.onTrainEnd(control: control) }
        return history
    }
}

/// One `fit` call's state: the batch plan, the sample order and the metric accumulators.
/// `runEpoch` is the hot loop; it allocates nothing per batch.
final class TrainingLoop: WorkerPoolJob, @unchecked Sendable {
    let model: Sequential
    let optimizer: Optimizer
    let evaluator: LossEvaluator
    let plan: BatchPlan
    let xs: RowSource
    let ys: RowSource
    let sampleCount: Int
    let batchSize: Int
    let accumulators: [MetricAccumulator]
    private let order: UnsafeMutablePointer<Int64>
    private let workspace = Workspace()
    /// Threads a batch is split over (one chunk of rows each), and the extra chunks'
    /// gradient arenas (chunk 0 writes the model's arena, chunk c ≥ 1 `extraGradients[c − 1]`).
    let workers: Int
    let extraGradients: [UnsafeMutablePointer<Float>]
    private let gradientShifts: [Int]
    private let workerLosses: UnsafeMutablePointer<Double>
    /// Arena ranges (16-float aligned bounds) that the threads of a split step sum and
    /// update independently: `rangeBounds[r]..<rangeBounds[r + 1]`.
    private let rangeBounds: [Int]
    /// Per range: 1 if its summed gradients are finite.
    private let rangeFinite: UnsafeMutablePointer<Int64>
    /// The step's counters (`Counter`), one per cache line.
    private let counters: UnsafeMutablePointer<Int64>
    /// The split step's outcome, written by the thread that decides: loss, gradients
    /// finite (0/1), update applied (0/1).
    private let outcome: UnsafeMutablePointer<Double>
    /// The threads of split steps, started at the first one; and that step's arguments,
    /// set before the pool wakes its threads.
    private var pool: WorkerPool?
    private var splitArguments = (rows: 0, start: 0, share: 0, chunks: 0, context: LayerContext(isTraining: true, step: 0, seed: 0))

    /// The counters of a split step; each is claimed or counted with `Kernels.counterAdd`.
    private enum Counter: Int, CaseIterable {
        case nextChunk, chunksDone, nextSum, sumsDone, decided, nextUpdate
        var offset: Int { rawValue * 8 }
    }
    /// `Counter.allCases.count`, once (a debug build allocates the `allCases` array per use).
    private static let counterCount = Counter.allCases.count

    init(model: Sequential, optimizer: Optimizer, loss: Loss, x: Tensor, y: Tensor, batchSize: Int) {
        self.model = model
        self.optimizer = optimizer
        evaluator = LossEvaluator(loss: loss, fused: model.fusingLayer != nil)
        sampleCount = x.shape[0]
        self.batchSize = min(batchSize, sampleCount)
        plan = model.makePlan(capacity: self.batchSize, targetWidth: y.shape[1])
        xs = RowSource(x)
        ys = RowSource(y)
        accumulators = model.metrics.map { MetricAccumulator($0, loss: loss, outputWidth: model.outputWidth) }
        order = workspace.indices(sampleCount)
        for i in 0..<sampleCount { order[i] = Int64(i) }
        // Split only batches big enough to pay for the hand-off (≥ 64 rows a thread).
        // Row-sparse gradients (embeddings) keep per-model bookkeeping: one thread.
        // A loss that couples rows needs the whole batch in one place.
        workers = model.arena!.hasRowSparseParameters || model.isSingleThreaded || loss.couplesRows
            ? 1 : max(1, min(model.threads, self.batchSize / 64))
        let arenaCount = model.arena!.count
        let mainGradients = model.arena!.gradients
        let extra = (1..<max(workers, 1)).map { [workspace] _ in workspace.floats(arenaCount) }
        extraGradients = extra
        gradientShifts = [0] + extra.map { $0 - mainGradients }
        workerLosses = UnsafeMutableRawPointer(workspace.indices(workers)).bindMemory(to: Double.self, capacity: workers)
        // A few ranges per thread (≥ 2,048 floats each), so a thread that arrives late
        // finds work left rather than a range to wait for.
        let pieces = workers > 1 ? max(1, min(4 * workers, arenaCount / 2048)) : 1
        rangeBounds = (0...pieces).map { $0 == pieces ? arenaCount : arenaCount * $0 / pieces / 16 * 16 }
        rangeFinite = workspace.indices(pieces)
        counters = workspace.indices(Self.counterCount * 8)
        outcome = UnsafeMutableRawPointer(workspace.indices(3)).bindMemory(to: Double.self, capacity: 3)
    }

    /// One training step on the batch `order[start..<start + rows]`: gathers its rows into
    /// the plan, runs forward, loss and backward, and — only when the loss and every
    /// gradient are finite — one optimizer update. Returns the batch's mean loss and whether
    /// the gradients were finite; a non-finite loss or gradient leaves the weights as they
    /// were.
    func step(rows: Int, start: Int) -> (loss: Double, gradientsFinite: Bool) {
        let context = LayerContext(isTraining: true, step: optimizer.iterations, seed: model.seed)
        let arena = model.arena!
        guard workers > 1, rows >= 2 * 32, arena.lazySegments.isEmpty else {
            gather(0..<rows, start: start)
            model.forward(plan, rows: rows, context: context)
            let loss = lossAndBackward(0..<rows, of: rows, context: context)
            guard loss.isFinite else { return (loss, true) }
            guard arena.gradientsFinite() else { return (loss, false) }
            optimizer.update(arena: arena)
            return (loss, true)
        }
        // Split: contiguous chunks of rows; only non-empty chunks run (and are summed).
        let share = (rows + workers - 1) / workers
        let chunks = (rows + share - 1) / share
        for c in 0..<Self.counterCount { counters[c * 8] = 0 }
        splitArguments = (rows, start, share, chunks, context)
        // Chunks follow `threads` (so results depend on it alone); threads beyond the
        // cores would only wait, and the claim loop lets fewer threads do every chunk.
        if pool == nil { pool = WorkerPool(helpers: min(workers, ProcessInfo.processInfo.activeProcessorCount) - 1) }
        pool!.run(self, parts: chunks)
        return (outcome[0], outcome[1] != 0)
    }

    /// A split step's part on one thread of the pool (every part runs the same claim loop).
    func run(part: Int) {
        let a = splitArguments
        splitStep(rows: a.rows, start: a.start, share: a.share, chunks: a.chunks, context: a.context)
    }

    deinit { pool?.stop() }

    /// One thread's part of a split step, in three phases separated by waits:
    /// 1. chunks of rows: gather, forward, loss, backward (chunk c writes arena c);
    /// 2. arena ranges: sum the chunks' gradients into the model's arena, check finiteness;
    ///    the thread that finishes the last range decides (loss and gradients finite?) and
    ///    starts the optimizer step (`beginStep`: schedule, step count) once;
    /// 3. arena ranges: the optimizer update of each range.
    /// Work is claimed with atomic counters, never assigned to a thread, and a thread only
    /// waits for work that another thread has already claimed and is running: so a step
    /// completes however many of the pool's threads actually run at once
    /// (one thread may do everything), and a late thread just finds less to do.
    private func splitStep(rows: Int, start: Int, share: Int, chunks: Int, context: LayerContext) {
        let arena = model.arena!
        let ranges = rangeBounds.count - 1
        while true {
            let c = Int(Kernels.counterAdd(counter(.nextChunk))) - 1
            guard c < chunks else { break }
            let range = c * share..<min(rows, (c + 1) * share)
            var ctx = context
            ctx.gradientShift = gradientShifts[c]
            gather(range, start: start)
            model.forward(plan, range: range, context: ctx)
            workerLosses[c] = lossAndBackward(range, of: rows, context: ctx)
            Kernels.counterAdd(counter(.chunksDone))
        }
        Kernels.counterWait(counter(.chunksDone), atLeast: Int64(chunks))
        while true {
            let r = Int(Kernels.counterAdd(counter(.nextSum))) - 1
            guard r < ranges else { break }
            let lower = rangeBounds[r], count = rangeBounds[r + 1] - lower
            let g = arena.gradients + lower
            // Chunk order, as one thread summing whole arenas would (same result).
            for c in 1..<chunks { Kernels.add(g, extraGradients[c - 1] + lower, count: count) }
            rangeFinite[r] = Kernels.allFinite(g, count: count) ? 1 : 0
            if Kernels.counterAdd(counter(.sumsDone)) == Int64(ranges) { decide(chunks: chunks, ranges: ranges) }
        }
        Kernels.counterWait(counter(.decided), atLeast: 1)
        guard outcome[2] != 0 else { return }
        while true {
            let r = Int(Kernels.counterAdd(counter(.nextUpdate))) - 1
            guard r < ranges else { break }
            optimizer.apply(arena: arena, range: rangeBounds[r]..<rangeBounds[r + 1])
        }
    }

    /// After every range is summed: the batch loss, whether all gradients are finite, and
    /// (if both are fine) the start of the one optimizer step; then releases phase 3.
    private func decide(chunks: Int, ranges: Int) {
        var loss = 0.0
        for c in 0..<chunks { loss += workerLosses[c] }
        var finite = true
        for r in 0..<ranges where rangeFinite[r] == 0 { finite = false }
        let proceed = loss.isFinite && finite
        if proceed { optimizer.beginStep() }
        outcome[0] = loss
        outcome[1] = finite ? 1 : 0
        outcome[2] = proceed ? 1 : 0
        Kernels.counterStore(counter(.decided), 1)
    }

    private func counter(_ c: Counter) -> UnsafeMutablePointer<Int64> { counters + c.offset }

    /// Gathers batch rows `range` (of the batch starting at `start` in the sample order).
    private func gather(_ range: Range<Int>, start: Int) {
        xs.gather(into: plan.input.rows(range), order: order, start: start + range.lowerBound)
        ys.gather(into: plan.targets.rows(range), order: order, start: start + range.lowerBound)
    }

    /// The loss over rows `range` as its share of the batch mean, and the backward pass
    /// with the loss gradient scaled to the whole batch.
    private func lossAndBackward(_ range: Range<Int>, of rows: Int, context: LayerContext) -> Double {
        guard !range.isEmpty else { return 0 }
        let last = plan.outputs.count - 1
        let gradient = plan.gradients[last].rows(range)
        let loss = evaluator.evaluate(output: plan.outputs[last].rows(range), targets: plan.targets.rows(range),
                                      classIndices: plan.classIndices + range.lowerBound, gradient: gradient,
                                      probabilities: plan.probabilities.rows(range))
        let share = Double(range.count) / Double(rows)
        if range.count != rows { gradient.scale(by: Float(share)) }
        model.backward(plan, range: range, context: context)
        return loss * share
    }

    /// Fisher–Yates over the sample order.
    func shuffle(_ rng: inout SeededGenerator) {
        if evaluator.loss.isPairwise {
            // Whole pairs move together: (2i, 2i+1) ↔ (2j, 2j+1).
            var i = sampleCount / 2 - 1
            while i > 0 {
                let j = rng.nextIndex(below: i + 1)
                (order[2 * i], order[2 * j]) = (order[2 * j], order[2 * i])
                (order[2 * i + 1], order[2 * j + 1]) = (order[2 * j + 1], order[2 * i + 1])
                i -= 1
            }
            return
        }
        var i = sampleCount - 1
        while i > 0 {
            let j = rng.nextIndex(below: i + 1)
            (order[i], order[j]) = (order[j], order[i])
            i -= 1
        }
    }

    func runEpoch(_ epoch: Int, callbacks: [any Callback]) throws -> EpochLogs {
        for a in accumulators { a.reset() }
        let batches = (sampleCount + batchSize - 1) / batchSize
        let sparse = evaluator.loss.isSparse
        var lossSum = 0.0
        var seen = 0
        for batch in 0..<batches {
            let start = batch * batchSize
            let rows = min(batchSize, sampleCount - start)
            let targets = plan.targets.prefix(rows: rows)
            let probabilities = plan.probabilities.prefix(rows: rows)
            // Gathers the rows and updates the weights (unless the loss or a gradient is not finite).
            let (loss, gradientsFinite) = step(rows: rows, start: start)
            guard loss.isFinite else { throw DeepCoreError.trainingDiverged(epoch: epoch, batch: batch, loss: loss) }
            guard gradientsFinite else { throw DeepCoreError.trainingDiverged(epoch: epoch, batch: batch, loss: .nan) }
            // Index loops: an iterator over an array of classes allocates in debug builds.
            for i in 0..<accumulators.count {
                accumulators[i].update(predictions: probabilities, targets: targets, sparse: sparse)
            }
            lossSum += loss * Double(rows)
            seen += rows
            let logs = BatchLogs(batch: batch, batchCount: batches, runningLoss: lossSum / Double(seen), loss: loss)
            for i in 0..<callbacks.count { callbacks[i].onBatchEnd(batch, logs: logs) }
        }
        var logs = EpochLogs()
        logs.entries.append(("loss", lossSum / Double(max(seen, 1))))
        for a in accumulators { logs.entries.append((a.metric.description, a.result)) }
        return logs
    }
}

extension Sequential {
    /// One forward and backward pass over all of `x` as a single batch, without updating
    /// the weights: returns the loss and leaves ∂L/∂θ in the gradient arena. For gradient
    /// checks and diagnostics.
    func lossAndGradients(_ x: Tensor, _ y: Tensor) throws -> Double {
        guard let loss else { throw DeepCoreError.notReady("call compile first") }
        guard let y2 = try prepare(x, y, role: "gradient") else { return 0 }
        return withOutputActivation(deferred: true) {
            let n = x.shape[0]
            let plan = makePlan(capacity: n, targetWidth: y2.shape[1])
            x.withUnsafeBufferPointer { plan.input.base.update(from: $0.baseAddress!, count: $0.count) }
            y2.withUnsafeBufferPointer { plan.targets.base.update(from: $0.baseAddress!, count: $0.count) }
            let context = LayerContext(isTraining: true, step: 0, seed: seed)
            forward(plan, rows: n, context: context)
            let value = LossEvaluator(loss: loss, fused: fusingLayer != nil).evaluate(
                output: plan.outputs.last!, targets: plan.targets, classIndices: plan.classIndices,
                gradient: plan.gradients.last!, probabilities: plan.probabilities)
            backward(plan, rows: n, context: context)
            arena?.expandLazyGradients()   // full-table gradients for every parameter
            return value
        }
    }
}
