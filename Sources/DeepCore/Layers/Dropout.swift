/// Randomly zeroes inputs during training, as `keras.layers.Dropout`: in `fit` each element
/// is kept with probability `1 − rate` and scaled by `1 / (1 − rate)` (inverted dropout, so
/// the expected value is unchanged); in `evaluate` and `predict` the layer is the identity.
///
/// ```swift
/// let model = Sequential([
///     Input(shape: [64]),
///     Dense(units: 128, activation: .relu),
///     Dropout(rate: 0.2),
///     Dense(units: 1, activation: .sigmoid),
/// ])
/// ```
///
/// The mask is never stored: whether an element is kept is a hash (SplitMix64) of the
/// model's seed, the optimizer step, a salt from the layer's name and the element's index,
/// so `backward` recomputes exactly the mask `forward` used, the same seed gives the same
/// run, and a step allocates nothing. Each step (and each `Dropout` layer) draws a fresh
/// mask.
///
/// The index is the element's position in the whole batch (``LayerContext/firstRow`` says
/// where a thread's rows begin), so the mask is the same however `Sequential.threads`
/// splits the batch.
public final class Dropout: Layer {
    public var name = "dropout" { didSet { salt = Self.salt(for: name) } }
    public var typeName: String { "Dropout" }
    /// The fraction of inputs dropped in training, in [0, 1).
    public let rate: Float
    private var salt: UInt64
    /// Elements whose hash (top 32 bits) falls below this are dropped.
    private let threshold: UInt64
    private let scale: Float

    /// A dropout layer that drops a fraction `rate` (in [0, 1)) of its inputs in training.
    ///
    /// ```swift
    /// Dropout(rate: 0.5)
    /// ```
    public init(rate: Float) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
        threshold = UInt64(Double(rate) * 4_294_967_296)
        scale = Float(1 / (1 - Double(rate)))
        salt = Self.salt(for: "dropout")
    }

    public func build(inputShape: [Int]) throws -> [Int] { inputShape }
    public var parameters: [Parameter] { [] }

    public func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        precondition(input.count == output.count, "Dropout '\(name)': \(input.count) inputs, \(output.count) outputs")
        guard context.isTraining, threshold > 0 else {
            if output.base != input.base { output.base.update(from: input.base, count: input.count) }
            return
        }
        apply(from: input.base, to: output.base, count: input.count, width: input.columns, context: context)
    }

    public func backward(input: MatrixView, output: MatrixView, outputGradient dy: MatrixView,
                         inputGradient dx: MatrixView?, context: LayerContext) {
        guard let dx else { return }
        precondition(dx.count == dy.count, "Dropout '\(name)': gradient sizes \(dy.count) and \(dx.count)")
        guard context.isTraining, threshold > 0 else {
            if dx.base != dy.base { dx.base.update(from: dy.base, count: dy.count) }
            return
        }
        // ∂L/∂x = ∂L/∂y ⊙ mask / (1 − rate): the same mask, recomputed from the same key.
        apply(from: dy.base, to: dx.base, count: dy.count, width: dy.columns, context: context)
    }

    /// `dst[i] = keep(i) ? src[i] · scale : 0` for this step's mask.
    private func apply(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int, width: Int,
                       context: LayerContext) {
        let key = maskKey(context)
        let first = context.firstRow * width
        for i in 0..<count {
            dst[i] = Self.keeps(key: key, index: first + i, threshold: threshold) ? src[i] * scale : 0
        }
    }

    /// The key of this layer's mask in a step: seed, salt and step mixed.
    func maskKey(_ context: LayerContext) -> UInt64 {
        Self.mix(Self.mix(Self.mix(context.seed &+ Self.golden) ^ salt) &+ context.step)
    }

    /// Whether element `index` is kept under `key`: the SplitMix64 stream of `key` at
    /// position `index`, compared on its top 32 bits.
    @inline(__always)
    static func keeps(key: UInt64, index: Int, threshold: UInt64) -> Bool {
        mix(key &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* golden) >> 32 >= threshold
    }

    static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64's finaliser.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a of the name, so two dropout layers in one model draw different masks.
    static func salt(for name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
