/// The quantity `fit` minimises, averaged over the batch as Keras does.
///
/// ```swift
/// model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
/// ```
///
/// When the model ends in a sigmoid (binary cross-entropy) or a softmax (categorical
/// cross-entropies), the loss is computed from the logits in one stable kernel.
public struct Loss: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case binaryCrossentropy(fromLogits: Bool)
        case meanSquaredError
        case categoricalCrossentropy(fromLogits: Bool)
        case sparseCategoricalCrossentropy(fromLogits: Bool)
    }
    let kind: Kind

    /// Binary cross-entropy on probabilities in [0, 1] (targets in [0, 1]).
    public static let binaryCrossentropy = Loss(kind: .binaryCrossentropy(fromLogits: false))
    /// Binary cross-entropy; with `fromLogits`, the model outputs logits.
    public static func binaryCrossentropy(fromLogits: Bool) -> Loss {
        Loss(kind: .binaryCrossentropy(fromLogits: fromLogits))
    }
    /// Mean of squared differences over all outputs.
    public static let meanSquaredError = Loss(kind: .meanSquaredError)
    /// Cross-entropy against one-hot (or soft) target rows.
    public static let categoricalCrossentropy = Loss(kind: .categoricalCrossentropy(fromLogits: false))
    /// Categorical cross-entropy; with `fromLogits`, the model outputs logits.
    public static func categoricalCrossentropy(fromLogits: Bool) -> Loss {
        Loss(kind: .categoricalCrossentropy(fromLogits: fromLogits))
    }
    /// Cross-entropy against class indices (one per sample, stored as floats).
    public static let sparseCategoricalCrossentropy = Loss(kind: .sparseCategoricalCrossentropy(fromLogits: false))
    /// Sparse categorical cross-entropy; with `fromLogits`, the model outputs logits.
    public static func sparseCategoricalCrossentropy(fromLogits: Bool) -> Loss {
        Loss(kind: .sparseCategoricalCrossentropy(fromLogits: fromLogits))
    }

    public var description: String {
        switch kind {
        case .binaryCrossentropy: "binary_crossentropy"
        case .meanSquaredError: "mean_squared_error"
        case .categoricalCrossentropy: "categorical_crossentropy"
        case .sparseCategoricalCrossentropy: "sparse_categorical_crossentropy"
        }
    }

    var isSparse: Bool { if case .sparseCategoricalCrossentropy = kind { true } else { false } }

    /// The activation this loss absorbs when the model ends in it, if any.
    var fusableActivation: Activation? {
        switch kind {
        case .binaryCrossentropy(false): .sigmoid
        case .categoricalCrossentropy(false), .sparseCategoricalCrossentropy(false): .softmax
        default: nil
        }
    }

    /// Whether the loss is computed from logits (given, or after absorbing the activation).
    func worksOnLogits(fused: Bool) -> Bool {
        switch kind {
        case .binaryCrossentropy(let l), .categoricalCrossentropy(let l),
             .sparseCategoricalCrossentropy(let l): l || fused
        case .meanSquaredError: false
        }
    }

    /// Target columns expected for a model output of `outputWidth` features.
    func targetWidth(outputWidth: Int) -> Int { isSparse ? 1 : outputWidth }

    /// Checks that this loss fits the model's output width.
    func validate(outputWidth: Int) throws {
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            if outputWidth < 2 {
                throw DeepCoreError.incompatibleLoss(
                    "\(self) needs an output of at least 2 classes; the model outputs \(outputWidth)")
            }
        default: break
        }
    }
}
