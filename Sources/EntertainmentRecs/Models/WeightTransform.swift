import Foundation

/// How raw interaction strengths (ratings, play counts, hours) become the weights an
/// algorithm sees.
public enum WeightTransform: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Every interaction weighs 1.
    case binary
    /// The raw value.
    case raw
    /// log(1 + value).
    case log

    public var description: String { rawValue }

    public func apply(_ m: InteractionMatrix) -> InteractionMatrix {
        switch self {
        case .binary: m.mapWeights { _ in 1 }
        case .raw: m
        case .log: m.mapWeights { Float(log1p(Double($0))) }
        }
    }
}

/// An algorithm trained on transformed weights: `Transformed(ImplicitALS(), .log)`.
public struct Transformed: RecommenderAlgorithm {
    public var base: any RecommenderAlgorithm
    public var transform: WeightTransform

    public init(_ base: any RecommenderAlgorithm, _ transform: WeightTransform) {
        self.base = base
        self.transform = transform
    }

    public var name: String { base.name }
    public var description: String { "\(base) on \(transform) weights" }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        try base.fit(transform.apply(matrix))
    }
}
