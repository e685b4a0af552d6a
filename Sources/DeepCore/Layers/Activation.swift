/// An elementwise nonlinearity (softmax acts along each sample's features).
public enum Activation: String, Sendable, CaseIterable {
    /// The identity.
    case linear
    /// `max(x, 0)`.
    case relu
    /// `1 / (1 + e^−x)`, computed without overflow.
    case sigmoid
    /// The hyperbolic tangent.
    case tanh
    /// `e^xᵢ / Σ e^xⱼ` over each row, computed around the row maximum.
    case softmax
}
