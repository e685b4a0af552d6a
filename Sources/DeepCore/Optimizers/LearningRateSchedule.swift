import Foundation

/// A learning rate as a function of the optimizer's step, as
/// `keras.optimizers.schedules.LearningRateSchedule`. Set it on an optimizer's
/// ``Optimizer/schedule`` (or use an init such as `Adam(schedule:)`): before every update
/// the optimizer sets its ``Optimizer/learningRate`` to `learningRate(at: iterations)`,
/// where `iterations` counts the updates already made (0 for the first, as in Keras).
///
/// ```swift
/// struct Halving: LearningRateSchedule {
///     func learningRate(at step: UInt64) -> Float { 0.1 / Float(1 << min(step / 100, 20)) }
/// }
/// let sgd = SGD(schedule: Halving())
/// ```
public protocol LearningRateSchedule: Sendable {
    /// The learning rate of the update that follows `step` earlier updates (0-based).
    func learningRate(at step: UInt64) -> Float
}

/// `initialLearningRate · decayRate^(step / decaySteps)`, with the exponent floored when
/// `staircase`, as `keras.optimizers.schedules.ExponentialDecay`.
///
/// ```swift
/// // 0.1, then ×0.96 every 1,000 steps (smoothly).
/// let adam = Adam(schedule: ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96))
/// ```
public struct ExponentialDecay: LearningRateSchedule {
    public let initialLearningRate: Float
    /// Steps over which the rate is multiplied by `decayRate` once (> 0).
    public let decaySteps: Int
    public let decayRate: Float
    /// Whether the rate drops in steps (`step / decaySteps` floored) rather than smoothly.
    public let staircase: Bool

    /// An exponential decay from `initialLearningRate`.
    public init(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) {
        precondition(decaySteps > 0, "ExponentialDecay: decaySteps must be positive, got \(decaySteps)")
        precondition(initialLearningRate.isFinite && initialLearningRate >= 0 && decayRate.isFinite && decayRate >= 0,
                     "ExponentialDecay: rates must be finite and non-negative")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }

    public func learningRate(at step: UInt64) -> Float {
        var p = Double(step) / Double(decaySteps)
        if staircase { p.round(.down) }
        return Float(Double(initialLearningRate) * pow(Double(decayRate), p))
    }
}

/// A constant rate per interval of steps, as
/// `keras.optimizers.schedules.PiecewiseConstantDecay`: `values[0]` while
/// `step ≤ boundaries[0]`, `values[i]` while `boundaries[i−1] < step ≤ boundaries[i]`, and
/// `values.last` after the last boundary.
///
/// ```swift
/// // 1.0 for steps 0…100 000, 0.5 for 100 001…110 000, then 0.1.
/// let sgd = SGD(schedule: PiecewiseConstantDecay(boundaries: [100_000, 110_000], values: [1.0, 0.5, 0.1]))
/// ```
public struct PiecewiseConstantDecay: LearningRateSchedule {
    /// Ascending, non-negative step boundaries.
    public let boundaries: [Int]
    /// One more value than boundaries.
    public let values: [Float]

    /// A piecewise constant schedule; `values.count` must be `boundaries.count + 1`.
    public init(boundaries: [Int], values: [Float]) {
        precondition(values.count == boundaries.count + 1,
                     "PiecewiseConstantDecay: need one more value than boundaries, got \(values.count) and \(boundaries.count)")
        precondition(boundaries.allSatisfy { $0 >= 0 } && zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 <= $1 },
                     "PiecewiseConstantDecay: boundaries must be non-negative and ascending, got \(boundaries)")
        precondition(values.allSatisfy { $0.isFinite && $0 >= 0 },
                     "PiecewiseConstantDecay: values must be finite and non-negative, got \(values)")
        self.boundaries = boundaries
        self.values = values
    }

    public func learningRate(at step: UInt64) -> Float {
        // Index loop: no iterator, so an optimizer step stays allocation-free in debug builds.
        var i = 0
        while i < boundaries.count && step > UInt64(boundaries[i]) { i += 1 }
        return values[i]
    }
}

/// Cosine decay (Loshchilov and Hutter, SGDR) with optional linear warm-up, as
/// `keras.optimizers.schedules.CosineDecay`. Without warm-up the rate is
/// `initial · ((1 − alpha) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + alpha)`.
/// With a `warmupTarget` the rate first rises linearly from `initialLearningRate` to
/// `warmupTarget` over `warmupSteps`, then decays from `warmupTarget` as above.
///
/// ```swift
/// // From 0.01 to 0.001 (alpha 0.1 of the start) over 10 000 steps, then flat.
/// let adam = Adam(schedule: CosineDecay(initialLearningRate: 0.01, decaySteps: 10_000, alpha: 0.1))
/// ```
public struct CosineDecay: LearningRateSchedule {
    public let initialLearningRate: Float
    /// Steps of the decay (> 0).
    public let decaySteps: Int
    /// The floor, as a fraction of the rate the decay starts from.
    public let alpha: Float
    /// The rate reached at the end of the warm-up; `nil` for no warm-up.
    public let warmupTarget: Float?
    /// Steps of the linear warm-up (used only with `warmupTarget`).
    public let warmupSteps: Int

    /// A cosine decay from `initialLearningRate` (or from `warmupTarget` after a warm-up).
    public init(initialLearningRate: Float, decaySteps: Int, alpha: Float = 0,
                warmupTarget: Float? = nil, warmupSteps: Int = 0) {
        precondition(decaySteps > 0, "CosineDecay: decaySteps must be positive, got \(decaySteps)")
        precondition(warmupSteps >= 0, "CosineDecay: warmupSteps must be non-negative, got \(warmupSteps)")
        precondition(initialLearningRate.isFinite && initialLearningRate >= 0,
                     "CosineDecay: initialLearningRate must be finite and non-negative, got \(initialLearningRate)")
        precondition(alpha.isFinite && alpha >= 0 && alpha <= 1, "CosineDecay: alpha must be in [0, 1], got \(alpha)")
        precondition((warmupTarget ?? 0).isFinite && (warmupTarget ?? 0) >= 0,
                     "CosineDecay: warmupTarget must be finite and non-negative")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }

    public func learningRate(at step: UInt64) -> Float {
        let decay = Double(decaySteps)
        var s = Double(step)
        var from = Double(initialLearningRate)
        if let target = warmupTarget {
            let warmup = Double(warmupSteps)
            s = min(s, decay + warmup)
            if s < warmup {
                return Float((Double(target) - from) * (s / warmup) + from)
            }
            s -= warmup
            from = Double(target)
        } else {
            s = min(s, decay)
        }
        let cosine = 0.5 * (1 + cos(Double.pi * s / decay))
        let a = Double(alpha)
        return Float(from * ((1 - a) * cosine + a))
    }
}

extension SGD {
    /// SGD whose learning rate follows `schedule` (see ``LearningRateSchedule``).
    ///
    /// ```swift
    /// let sgd = SGD(schedule: ExponentialDecay(initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.5),
    ///               momentum: 0.9)
    /// ```
    public convenience init(schedule: any LearningRateSchedule, momentum: Float = 0, nesterov: Bool = false,
                            weightDecay: Float = 0) {
        self.init(learningRate: schedule.learningRate(at: 0), momentum: momentum, nesterov: nesterov,
                  weightDecay: weightDecay)
        self.schedule = schedule
    }
}

extension Adam {
    /// Adam whose learning rate follows `schedule` (see ``LearningRateSchedule``).
    ///
    /// ```swift
    /// let adam = Adam(schedule: CosineDecay(initialLearningRate: 0.001, decaySteps: 5_000))
    /// ```
    public convenience init(schedule: any LearningRateSchedule, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-7) {
        self.init(learningRate: schedule.learningRate(at: 0), beta1: beta1, beta2: beta2, epsilon: epsilon)
        self.schedule = schedule
    }
}

extension Adagrad {
    /// Adagrad whose learning rate follows `schedule` (see ``LearningRateSchedule``).
    ///
    /// ```swift
    /// let adagrad = Adagrad(schedule: PiecewiseConstantDecay(boundaries: [1_000], values: [0.1, 0.01]))
    /// ```
    public convenience init(schedule: any LearningRateSchedule, initialAccumulatorValue: Float = 0.1,
                            epsilon: Float = 1e-7) {
        self.init(learningRate: schedule.learningRate(at: 0), initialAccumulatorValue: initialAccumulatorValue,
                  epsilon: epsilon)
        self.schedule = schedule
    }
}

/// Sets an optimizer's learning rate at the start of every epoch from a function of the
/// epoch (0-based) and the current rate, as `keras.callbacks.LearningRateScheduler`.
///
/// ```swift
/// let adam = Adam(learningRate: 0.01)
/// model.compile(optimizer: adam, loss: .binaryCrossentropy)
/// let decay = LearningRateScheduler(optimizer: adam) { epoch, lr in epoch < 10 ? lr : lr * 0.9 }
/// try model.fit(x, y, epochs: 20, callbacks: [decay])
/// ```
///
/// Pass the optimizer the model was compiled with. It must not have a per-step
/// ``Optimizer/schedule`` (that would override the rate at the next step; Keras refuses
/// the same combination).
public final class LearningRateScheduler: Callback {
    private let optimizer: Optimizer
    private let function: (Int, Float) -> Float
    /// The rate set at the start of each epoch so far, in order (Keras logs it as
    /// `learning_rate`).
    public private(set) var rates: [Float] = []

    /// Calls `schedule(epoch, currentRate)` before each epoch and sets the result (which
    /// must be finite and non-negative) on `optimizer`.
    public init(optimizer: Optimizer, _ schedule: @escaping (_ epoch: Int, _ learningRate: Float) -> Float) {
        self.optimizer = optimizer
        function = schedule
    }

    public func onTrainBegin(control: TrainingControl) { rates = [] }

    public func onEpochBegin(_ epoch: Int, control: TrainingControl) {
        precondition(optimizer.schedule == nil,
                     "LearningRateScheduler: the optimizer has a per-step schedule, which would override this callback")
        let rate = function(epoch, optimizer.learningRate)
        precondition(rate.isFinite && rate >= 0,
                     "LearningRateScheduler: the schedule returned \(rate) for epoch \(epoch); need a finite rate ≥ 0")
        optimizer.learningRate = rate
        rates.append(rate)
    }
}
