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
        case bpr
        case inBatchSoftmax(temperature: Float)
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

    /// Bayesian personalised ranking (Rendle et al. 2009) over row pairs: rows `2k` and
    /// `2k + 1` hold the scores (logits, one output) of a positive and a negative item for
    /// one user, and the loss is the mean of −log σ(s⁺ − s⁻). Targets are ignored (pass
    /// 1, 0 alternating); `fit` shuffles whole pairs and needs even sample and batch counts.
    ///
    /// ```swift
    /// model.compile(optimizer: Adam(), loss: .bpr)     // output: Dense(units: 1) logits
    /// ```
    public static let bpr = Loss(kind: .bpr)

    /// Sampled softmax with in-batch negatives, for two-tower retrieval: the output holds a
    /// user vector and an item vector side by side (`2d` features); each user's positive is
    /// its own row's item and every other item of the batch is a negative:
    /// loss = mean over rows b of −log softmax_c(u_b·v_c / temperature)[b]. Targets are ignored.
    ///
    /// ```swift
    /// let towers = Concatenate()([userTower, itemTower])
    /// model.compile(optimizer: Adam(), loss: .inBatchSoftmax(temperature: 0.1))
    /// ```
    public static func inBatchSoftmax(temperature: Float = 1) -> Loss {
        precondition(temperature > 0 && temperature.isFinite, "inBatchSoftmax: temperature must be positive, got \(temperature)")
        return Loss(kind: .inBatchSoftmax(temperature: temperature))
    }

    /// Whether the loss couples the rows of a batch (pairs or all rows), so a batch is not
    /// split over threads and samples are not shuffled one by one.
    var couplesRows: Bool {
        switch kind {
        case .bpr, .inBatchSoftmax: true
        default: false
        }
    }

    var isPairwise: Bool { kind == .bpr }

    public var description: String {
        switch kind {
        case .bpr: "bpr"
        case .inBatchSoftmax: "in_batch_softmax"
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
        case .meanSquaredError, .bpr, .inBatchSoftmax: false
        }
    }

    /// Target columns expected for a model output of `outputWidth` features.
    func targetWidth(outputWidth: Int) -> Int { isSparse || couplesRows ? 1 : outputWidth }

    /// Checks that this loss fits the model's output width.
    func validate(outputWidth: Int) throws {
        switch kind {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
            if outputWidth < 2 {
                throw DeepCoreError.incompatibleLoss(
                    "\(self) needs an output of at least 2 classes; the model outputs \(outputWidth)")
            }
        case .bpr:
            if outputWidth != 1 {
                throw DeepCoreError.incompatibleLoss("bpr needs one score per row; the model outputs \(outputWidth)")
            }
        case .inBatchSoftmax:
            if outputWidth < 2 || outputWidth % 2 != 0 {
                throw DeepCoreError.incompatibleLoss("in_batch_softmax needs a user and an item vector side by side (an even width); the model outputs \(outputWidth)")
            }
        default: break
        }
    }
}
