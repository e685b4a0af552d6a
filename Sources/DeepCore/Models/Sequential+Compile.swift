import Foundation

extension Sequential {
    /// Chooses how the model learns: the optimizer, the loss and the metrics to report.
    ///
    /// ```swift
    /// model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
    /// ```
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [Metric] = []) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        if let arena { optimizer.prepare(parameterCount: arena.count) }
    }

    /// The last layer, when its activation is the one the loss absorbs.
    var fusingLayer: (any ActivationFusing)? {
        guard let loss, let wanted = loss.fusableActivation,
              let last = steps.last as? any ActivationFusing, last.activation == wanted else { return nil }
        return last
    }

    /// Builds (if needed) and checks data against the model and the loss. Returns the
    /// targets as a 2-D tensor. Without `checkingValues`, the values of `x` are left for the
    /// caller to check (`checkValues`).
    func prepare(_ x: Tensor, _ y: Tensor?, role: String, checkingValues: Bool = true) throws -> Tensor? {
        guard x.rank == 2 else {
            throw DeepCoreError.shapeMismatch("\(role) x must be (samples, features); got shape \(x.shape)")
        }
        guard x.shape[0] > 0 else { throw DeepCoreError.emptyData("\(role) x has no samples (shape \(x.shape))") }
        if isBuilt && x.shape[1] != inputWidth {
            throw DeepCoreError.shapeMismatch("\(role) x has \(x.shape[1]) features; the model takes \(inputWidth)")
        }
        try build(inputShape: [x.shape[1]])
        if checkingValues { try checkValues(x, role: role) }
        guard let y else { return nil }
        guard let loss else { throw DeepCoreError.notReady("call compile(optimizer:loss:metrics:) first") }
        try loss.validate(outputWidth: outputWidth)
        let y2 = y.rank == 1 ? y.reshaped([y.shape[0], 1]) : y
        guard y2.rank == 2, y2.shape[0] == x.shape[0] else {
            throw DeepCoreError.shapeMismatch("\(role) x has \(x.shape[0]) samples but y has shape \(y.shape)")
        }
        let expected = loss.targetWidth(outputWidth: outputWidth)
        guard y2.shape[1] == expected else {
            throw DeepCoreError.shapeMismatch(
                "\(role) y has \(y2.shape[1]) columns; loss \(loss) on a model with \(outputWidth) outputs needs \(expected)")
        }
        try Self.checkFinite(y2, name: "\(role) y")
        if loss.isSparse {
            for (i, v) in y2.scalars.enumerated() where v != v.rounded() || v < 0 || Int(v) >= outputWidth {
                throw DeepCoreError.incompatibleLoss(
                    "\(role) y row \(i) holds \(v); \(loss) needs a class index in 0..<\(outputWidth)")
            }
        }
        return y2
    }

    /// Throws at the first non-finite value of `x`, or an input the first layer rejects
    /// (an id outside an embedding table).
    func checkValues(_ x: Tensor, role: String) throws {
        try Self.checkFinite(x, name: "\(role) x")
        if let validating = steps.first as? any InputValidating {
            try x.withUnsafeBufferPointer { try validating.validateInput($0, columns: x.shape[1], role: "\(role) x") }
        }
    }

    static func checkFinite(_ t: Tensor, name: String) throws {
        guard let (i, v) = t.firstNonFinite() else { return }
        let width = max(t.shape.dropFirst().reduce(1, *), 1)
        throw DeepCoreError.nonFiniteValue(name: name, row: i / width, column: i % width, value: v)
    }

    func makePlan(capacity: Int, targetWidth: Int) -> BatchPlan {
        BatchPlan(capacity: capacity, inputWidth: inputWidth, widths: shapes.map { $0.reduce(1, *) },
                  targetWidth: targetWidth, separateProbabilities: fusingLayer != nil || onLogits)
    }

    var onLogits: Bool { loss?.worksOnLogits(fused: fusingLayer != nil) ?? false }

    /// Runs the layers over the first `rows` rows of `plan.input`.
    func forward(_ plan: BatchPlan, rows: Int, context: LayerContext) {
        forward(plan, range: 0..<rows, context: context)
    }

    /// Runs the layers over rows `range` of the plan (one thread's share of a batch).
    func forward(_ plan: BatchPlan, range: Range<Int>, context given: LayerContext) {
        var context = given
        context.firstRow = range.lowerBound
        var input = plan.input.rows(range)
        for i in 0..<steps.count {
            let output = plan.outputs[i].rows(range)
            steps[i].forward(input, into: output, context: context)
            input = output
        }
    }

    /// Backpropagates from `plan.gradients.last` through every layer.
    func backward(_ plan: BatchPlan, rows: Int, context: LayerContext) {
        backward(plan, range: 0..<rows, context: context)
    }

    /// Backpropagates rows `range`, writing parameter gradients where `context` says.
    func backward(_ plan: BatchPlan, range: Range<Int>, context given: LayerContext) {
        var context = given
        context.firstRow = range.lowerBound
        for i in stride(from: steps.count - 1, through: 0, by: -1) {
            let input = i == 0 ? plan.input.rows(range) : plan.outputs[i - 1].rows(range)
            steps[i].backward(input: input, output: plan.outputs[i].rows(range),
                              outputGradient: plan.gradients[i].rows(range),
                              inputGradient: i <= firstTrainableStep ? nil : plan.gradients[i - 1].rows(range),
                              context: context)
        }
    }
}
