import Dispatch

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
        fusingLayer?.defersActivation = true
        defer { fusingLayer?.defersActivation = false }

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
final class TrainingLoop: @unchecked Sendable {
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
    /// Threads a batch is split over, and the extra threads' gradient arenas.
    let workers: Int
    let extraGradients: [UnsafeMutablePointer<Float>]
    private let gradientShifts: [Int]
    private let workerLosses: UnsafeMutablePointer<Double>

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
    }

    /// Forward, loss and backward for the first `rows` rows of the plan; parameter
    /// gradients end in the model's arena. Returns the batch's mean loss.
    func step(rows: Int) -> Double {
        let context = LayerContext(isTraining: true, step: optimizer.iterations, seed: model.seed)
        guard workers > 1, rows >= 2 * 32 else {
            model.forward(plan, rows: rows, context: context)
            return lossAndBackward(0..<rows, of: rows, context: context)
        }
        let share = (rows + workers - 1) / workers
        let box = UncheckedBox(self)
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let loop = box.value
            let range = min(rows, t * share)..<min(rows, (t + 1) * share)
            var ctx = context
            ctx.gradientShift = loop.gradientShifts[t]
            if range.isEmpty, t > 0 {
                // No rows for this thread: its arena must not carry the last step's gradients.
                loop.extraGradients[t - 1].update(repeating: 0, count: loop.model.arena!.count)
                loop.workerLosses[t] = 0
                return
            }
            loop.model.forward(loop.plan, range: range, context: ctx)
            loop.workerLosses[t] = loop.lossAndBackward(range, of: rows, context: ctx)
        }
        // Sum the extra threads' gradients into the model's arena.
        let arena = model.arena!
        for g in extraGradients {
            for i in 0..<arena.count { arena.gradients[i] += g[i] }
        }
        var loss = 0.0
        for t in 0..<workers { loss += workerLosses[t] }
        return loss
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
        let arena = model.arena!
        let sparse = evaluator.loss.isSparse
        var lossSum = 0.0
        var seen = 0
        for batch in 0..<batches {
            let start = batch * batchSize
            let rows = min(batchSize, sampleCount - start)
            let input = plan.input.prefix(rows: rows)
            let targets = plan.targets.prefix(rows: rows)
            xs.gather(into: input, order: order, start: start)
            ys.gather(into: targets, order: order, start: start)
            let probabilities = plan.probabilities.prefix(rows: rows)
            let loss = step(rows: rows)
            guard loss.isFinite else { throw DeepCoreError.trainingDiverged(epoch: epoch, batch: batch, loss: loss) }
            guard Kernels.allFinite(arena.gradients, count: arena.count) else {
                throw DeepCoreError.trainingDiverged(epoch: epoch, batch: batch, loss: .nan)
            }
            optimizer.update(arena: arena)
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
        fusingLayer?.defersActivation = true
        defer { fusingLayer?.defersActivation = false }
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
        return value
    }
}

/// Hands a reference to `concurrentPerform` workers that touch disjoint rows and arenas.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
