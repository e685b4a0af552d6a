/// A weight penalty added to the loss, as `keras.regularizers.L1`, `L2` and `L1L2`:
/// `penalty = l1 · Σ|w| + l2 · Σw²`, whose gradient `l1 · sign(w) + 2 · l2 · w` is added to
/// the weights' gradient (sign(0) = 0, as Keras).
///
/// ```swift
/// Dense(units: 64, activation: .relu, kernelRegularizer: .l2(1e-4))
/// ```
public struct Regularizer: Sendable, Equatable, CustomStringConvertible {
    /// The L1 factor (≥ 0).
    public let l1: Float
    /// The L2 factor (≥ 0).
    public let l2: Float

    /// Both penalties, as `keras.regularizers.L1L2(l1, l2)`.
    ///
    /// ```swift
    /// let r = Regularizer(l1: 1e-5, l2: 1e-4)
    /// ```
    public init(l1: Float = 0, l2: Float = 0) {
        precondition(l1.isFinite && l1 >= 0 && l2.isFinite && l2 >= 0,
                     "Regularizer: factors must be finite and non-negative, got l1 \(l1), l2 \(l2)")
        self.l1 = l1
        self.l2 = l2
    }

    /// `factor · Σw²`, as `keras.regularizers.L2(factor)` (Keras' default factor 0.01).
    ///
    /// ```swift
    /// Dense(units: 8, kernelRegularizer: .l2(0.01))
    /// ```
    public static func l2(_ factor: Float = 0.01) -> Regularizer { Regularizer(l2: factor) }

    /// `factor · Σ|w|`, as `keras.regularizers.L1(factor)` (Keras' default factor 0.01).
    ///
    /// ```swift
    /// Dense(units: 8, kernelRegularizer: .l1(0.001))
    /// ```
    public static func l1(_ factor: Float = 0.01) -> Regularizer { Regularizer(l1: factor) }

    /// `l1 · Σ|w| + l2 · Σw²`, as `keras.regularizers.L1L2(l1, l2)`.
    ///
    /// ```swift
    /// Dense(units: 8, kernelRegularizer: .l1l2(l1: 1e-5, l2: 1e-4))
    /// ```
    public static func l1l2(l1: Float = 0, l2: Float = 0) -> Regularizer { Regularizer(l1: l1, l2: l2) }

    /// The penalty of `count` weights, summed in Double.
    ///
    /// ```swift
    /// let p = Regularizer.l2(0.5).penalty(values: w, count: 2)   // w = [1, -2] → 2.5
    /// ```
    public func penalty(values: UnsafePointer<Float>, count: Int) -> Double {
        var absSum = 0.0, squareSum = 0.0
        for i in 0..<count {
            let w = Double(values[i])
            absSum += abs(w)
            squareSum += w * w
        }
        return Double(l1) * absSum + Double(l2) * squareSum
    }

    /// Adds the penalty's gradient to `gradient`: `gradient[i] += l1 · sign(w) + 2 · l2 · w`.
    ///
    /// ```swift
    /// Regularizer.l2(0.5).addGradient(values: w, gradient: g, count: 2)   // g += [1, -2]
    /// ```
    public func addGradient(values: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        let twoL2 = 2 * l2
        if l1 == 0 {
            for i in 0..<count { gradient[i] += twoL2 * values[i] }
            return
        }
        for i in 0..<count {
            let w = values[i]
            let sign: Float = w > 0 ? 1 : (w < 0 ? -1 : 0)
            gradient[i] += l1 * sign + twoL2 * w
        }
    }

    public var description: String {
        switch (l1, l2) {
        case (0, _): "L2(\(l2))"
        case (_, 0): "L1(\(l1))"
        default: "L1L2(l1: \(l1), l2: \(l2))"
        }
    }
}
