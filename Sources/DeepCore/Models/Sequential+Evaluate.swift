extension Sequential {
    /// The loss and every compiled metric over `x` and `y`, keyed as in `History`.
    ///
    /// ```swift
    /// let scores = try model.evaluate(xTest, yTest)
    /// print(scores["accuracy"]!)
    /// ```
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int = 32) throws -> [String: Double] {
        guard loss != nil else { throw DeepCoreError.notReady("call compile(optimizer:loss:metrics:) before evaluate") }
        guard batchSize > 0 else { throw DeepCoreError.invalidArgument("batch size must be at least 1, got \(batchSize)") }
        guard let y2 = try prepare(x, y, role: "evaluation") else { return [:] }
        return try withOutputActivation(deferred: true) {
            Dictionary(uniqueKeysWithValues: try measure(x, y2, batchSize: batchSize, plan: nil))
        }
    }

    /// Runs `body` with the output layer's activation deferred to the fused loss (fit,
    /// evaluate) or applied (predict), then restores the setting it found: these calls
    /// nest when a callback evaluates or predicts in the middle of a fit, whose remaining
    /// steps still need the activation deferred.
    func withOutputActivation<T>(deferred: Bool, _ body: () throws -> T) rethrows -> T {
        let outer = fusingLayer?.defersActivation ?? false
        fusingLayer?.defersActivation = deferred
        defer { fusingLayer?.defersActivation = outer }
        return try body()
    }

    /// Loss and metrics in display order. Reuses `plan` when it is large enough.
    func measure(_ x: Tensor, _ y: Tensor, batchSize: Int, plan given: BatchPlan?) throws -> [(String, Double)] {
        let loss = loss!
        let n = x.shape[0]
        let capacity = min(batchSize, n)
        let plan = given.flatMap { $0.capacity >= capacity ? $0 : nil }
            ?? makePlan(capacity: capacity, targetWidth: y.shape[1])
        let evaluator = LossEvaluator(loss: loss, fused: fusingLayer != nil)
        let accumulators = metrics.map { MetricAccumulator($0, loss: loss, outputWidth: outputWidth) }
        let xs = RowSource(x), ys = RowSource(y)
        let workspace = Workspace()
        let order = workspace.indices(n)
        for i in 0..<n { order[i] = Int64(i) }
        var total = 0.0
        let context = LayerContext(isTraining: false, step: optimizer?.iterations ?? 0, seed: seed)
        var start = 0
        while start < n {
            let rows = min(capacity, n - start)
            let targets = plan.targets.prefix(rows: rows)
            xs.gather(into: plan.input.prefix(rows: rows), order: order, start: start)
            ys.gather(into: targets, order: order, start: start)
            forward(plan, rows: rows, context: context)
            let probabilities = plan.probabilities.prefix(rows: rows)
            total += evaluator.evaluate(output: plan.outputs.last!.prefix(rows: rows), targets: targets,
                                        classIndices: plan.classIndices, gradient: nil,
                                        probabilities: probabilities) * Double(rows)
            for a in accumulators { a.update(predictions: probabilities, targets: targets, sparse: loss.isSparse) }
            start += rows
        }
        return [("loss", total / Double(n))] + accumulators.map { ($0.metric.description, $0.result) }
    }

    /// The model's outputs for `x` (samples × features): probabilities after a sigmoid or
    /// softmax, as Keras' `predict`. `batchSize` bounds the rows computed at once; a model
    /// that is a plain chain of ``Dense`` layers runs all its layers over blocks of a few
    /// dozen rows instead (the same values up to float rounding; the activations stay in cache).
    public func predict(_ x: Tensor, batchSize: Int = 1024) throws -> Tensor {
        guard batchSize > 0 else { throw DeepCoreError.invalidArgument("batch size must be at least 1, got \(batchSize)") }
        _ = try prepare(x, nil, role: "prediction", checkingValues: false)
        // The output activation applies even when a callback predicts in a fit.
        return try withOutputActivation(deferred: false) {
            if let chain = denseChain() { return try predictFused(x, chain: chain) }
            try checkValues(x, role: "prediction")
            return predictLayerByLayer(x, batchSize: batchSize)
        }
    }

    /// `predict` one batch and one layer at a time through the model's `BatchPlan` (any
    /// layers; `x` checked by the caller).
    func predictLayerByLayer(_ x: Tensor, batchSize: Int) -> Tensor {
        let n = x.shape[0]
        let capacity = min(batchSize, n)
        let plan = BatchPlan(capacity: capacity, inputWidth: inputWidth, widths: shapes.map { $0.reduce(1, *) },
                             targetWidth: 1, separateProbabilities: false)
        var result = Tensor(zeros: [n, outputWidth])
        let context = LayerContext(isTraining: false, step: 0, seed: seed)
        let width = outputWidth
        result.withUnsafeMutableBufferPointer { out in
            var start = 0
            while start < n {
                let rows = min(capacity, n - start)
                x.withUnsafeBufferPointer { src in
                    plan.input.base.update(from: src.baseAddress! + start * inputWidth, count: rows * inputWidth)
                }
                forward(plan, rows: rows, context: context)
                out.baseAddress!.advanced(by: start * width).update(from: plan.outputs.last!.base, count: rows * width)
                start += rows
            }
        }
        return result
    }
}
