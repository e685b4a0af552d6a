/// Updates the model's parameters from their gradients after each batch. Every dense
/// parameter of a model lives in one arena, so a step is one fused kernel call.
///
/// Use ``SGD``, ``Adam`` or ``AdamW``. An optimizer keeps state (moments) for one model.
public class Optimizer {
    /// The step size.
    public var learningRate: Float
    /// Steps taken so far (Adam's bias correction uses it).
    public internal(set) var iterations: UInt64 = 0
    /// When set, replaces ``learningRate`` before every step with the schedule's value at
    /// ``iterations`` (0 for the first step), as a Keras `LearningRateSchedule` does.
    ///
    /// ```swift
    /// let sgd = SGD(learningRate: 0.1)
    /// sgd.schedule = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.9)
    /// ```
    public var schedule: (any LearningRateSchedule)?
    var workspace = Workspace()
    var parameterCount = 0

    init(learningRate: Float) {
        precondition(learningRate.isFinite && learningRate >= 0,
                     "Optimizer: learning rate must be finite and non-negative, got \(learningRate)")
        self.learningRate = learningRate
    }

    /// Allocates state for `count` parameters (once per model) and resets it.
    func prepare(parameterCount count: Int) {
        workspace = Workspace()
        parameterCount = count
        iterations = 0
        allocateState(count)
    }

    func allocateState(_ count: Int) {}

    /// Starts one step: the schedule's learning rate for it, and the step count (Adam's
    /// bias correction reads it). Every update path calls it exactly once per step.
    func beginStep() {
        if let schedule { learningRate = schedule.learningRate(at: iterations) }
        iterations += 1
    }

    /// One update of `count` values from their gradients (state from offset 0).
    func update(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int) {
        beginStep()
        apply(values, gradients: gradients, count: count, stateOffset: 0)
    }

    /// One step over a whole arena: dense ranges in one call each, and for every
    /// row-sparse parameter either its whole slice (dense mode, as Keras and PyTorch's
    /// `Adam` do with embedding gradients) or only the rows this step touched (lazy mode,
    /// as PyTorch's `SparseAdam`; moments of other rows are left as they are).
    func update(arena: ParameterArena) {
        beginStep()
        guard !arena.lazySegments.isEmpty else {
            apply(arena.values, gradients: arena.gradients, count: arena.count, stateOffset: 0)
            return
        }
        var start = 0
        // Index loops: iterators over arrays allocate in debug builds.
        for s in 0..<arena.lazySegments.count {
            let segment = arena.lazySegments[s]
            if segment.offset > start {
                apply(arena.values + start, gradients: arena.gradients + start,
                      count: segment.offset - start, stateOffset: start)
            }
            let rows = segment.rows
            rows.withCompactGradient { touched, n, gradient in
                applyRows(arena.values + segment.offset, gradients: gradient,
                          rows: touched, count: n, width: rows.width, stateOffset: segment.offset)
            }
            start = segment.offset + segment.count
        }
        if arena.count > start {
            apply(arena.values + start, gradients: arena.gradients + start,
                  count: arena.count - start, stateOffset: start)
        }
    }

    /// The dense update of arena elements `range`, after one ``beginStep()`` for the whole
    /// step: threads of a data-parallel step each apply a disjoint range. Only for arenas
    /// without lazy segments (every optimizer's `apply` is elementwise).
    func apply(arena: ParameterArena, range: Range<Int>) {
        apply(arena.values + range.lowerBound, gradients: arena.gradients + range.lowerBound,
              count: range.count, stateOffset: range.lowerBound)
    }

    /// Updates `count` values whose optimizer state starts at `stateOffset` of the
    /// state arrays (which mirror the parameter arena's layout).
    func apply(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
               stateOffset: Int) {
        fatalError("Optimizer subclasses implement apply")
    }

    /// Updates rows `rows[0..<count]` of a table of `width` floats per row whose values
    /// and state start at `values` and `stateOffset`, from a compact gradient (row `rows[r]`'s
    /// at `gradients + r·width`, see `TouchedRows`): one call per table per step for the
    /// lazy update (an optimizer with per-step scalars, as Adam's bias correction, overrides
    /// it to compute them once).
    func applyRows(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                   rows: UnsafePointer<Int32>, count: Int, width: Int, stateOffset: Int) {
        for r in 0..<count {
            let at = Int(rows[r]) * width
            apply(values + at, gradients: gradients + r * width, count: width, stateOffset: stateOffset + at)
        }
    }

    /// A short description for logs.
    var configurationDescription: String { "\(type(of: self))(learningRate: \(learningRate))" }
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum and decoupled
/// weight decay, as `keras.optimizers.SGD`.
public final class SGD: Optimizer {
    /// The velocity's decay, in [0, 1).
    public let momentum: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Decoupled weight decay: `p −= learningRate · weightDecay · p` each step.
    public let weightDecay: Float
    private var velocity: UnsafeMutablePointer<Float>?

    /// SGD with `learningRate` (Keras' default 0.01).
    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0) {
        precondition(momentum >= 0 && momentum < 1, "SGD: momentum must be in [0, 1), got \(momentum)")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate)
    }

    override func allocateState(_ count: Int) {
        velocity = momentum > 0 ? workspace.floats(count) : nil
    }

    override func apply(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
                        stateOffset: Int) {
        Kernels.sgdStep(values, velocity: velocity.map { $0 + stateOffset }, gradient: gradients, count: count,
                        learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                        weightDecay: weightDecay)
    }
}

/// Adam with bias correction and Keras' defaults (learning rate 0.001, β1 0.9, β2 0.999,
/// ε 1e-7), as `keras.optimizers.Adam`.
public class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Decoupled weight decay (AdamW); 0 for plain Adam.
    public let weightDecay: Float
    private var m: UnsafeMutablePointer<Float>?
    private var v: UnsafeMutablePointer<Float>?

    /// Adam with Keras' defaults.
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-7) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        weightDecay = 0
        super.init(learningRate: learningRate)
    }

    init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate)
    }

    override func allocateState(_ count: Int) {
        m = workspace.floats(count)
        v = workspace.floats(count)
    }

    override func apply(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
                        stateOffset: Int) {
        Kernels.adamStep(values, m: m! + stateOffset, v: v! + stateOffset, gradient: gradients, count: count,
                         learningRate: learningRate, beta1: beta1, beta2: beta2,
                         epsilon: epsilon, step: iterations, weightDecay: weightDecay)
    }

    override func applyRows(_ values: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                            rows: UnsafePointer<Int32>, count: Int, width: Int, stateOffset: Int) {
        Kernels.adamRows(values, m: m! + stateOffset, v: v! + stateOffset, gradient: gradients, rows: rows,
                         count: count, width: width, learningRate: learningRate, beta1: beta1, beta2: beta2,
                         epsilon: epsilon, step: iterations, weightDecay: weightDecay)
    }
}

/// Adam with decoupled weight decay (Loshchilov and Hutter), as `keras.optimizers.AdamW`
/// (default weight decay 0.004).
public final class AdamW: Adam {
    /// AdamW with Keras' defaults.
    public init(learningRate: Float = 0.001, weightDecay: Float = 0.004, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-7) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   weightDecay: weightDecay)
    }
}
