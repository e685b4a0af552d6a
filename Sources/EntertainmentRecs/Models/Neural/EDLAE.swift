import DeepCore
import Foundation

/// A full-rank linear autoencoder trained by gradient descent, after Steck, *Autoencoders
/// that don't overfit towards the identity* (NeurIPS 2020): a user's binary history, with
/// dropout on the input, goes through one items × items `Dense` layer whose diagonal is
/// masked out (so no item can predict itself, the constraint EASE imposes in closed form
/// and EDLAE's emphasis on dropped-out items implies), trained with the squared error
/// against the undropped history and an L2 penalty. A plain DeepCore `Sequential`:
///
/// ```swift
/// Sequential([Input(shape: [items]), Dropout(rate: p),
///             Dense(units: items, usesBias: false, kernelInitializer: .zeros,
///                   kernelRegularizer: .l2(λ / (users · items)), zeroDiagonal: true)])
/// // MSE loss, Adam with a cosine-decayed learning rate, weights starting at zero
/// ```
///
/// `lambda` is in EASE's units: the penalty is λ·‖B‖² against the summed squared error
/// ‖X − X̃B‖² (the Keras factor is λ / (users · items), since the MSE is a mean over the
/// batch's users × items). Without dropout the minimum is EASE's B for the same λ; with
/// dropout p it adds Steck's DLAE penalty p/(1 − p)·Σ_j (XᵀX)_jj·‖B_j·‖². Scores are
/// x_u·B, so fold-in is exact. The layer has items² weights (and Adam keeps two more
/// copies), so it suits catalogs of a few thousand items: fitting refuses a catalog whose
/// training state (16 bytes a weight) exceeds `memoryLimit`.
public struct EDLAE: RecommenderAlgorithm {
    /// L2 on the weights, in EASE's units (see above).
    public var lambda: Float
    /// Input dropout (the "denoising"); 0 for none.
    public var dropout: Float
    public var epochs: Int
    public var batchSize: Int
    /// Adam's initial learning rate; it follows a cosine decay to 0 over the run.
    public var learningRate: Float
    public var seed: UInt64
    public var verbose: Bool
    /// Refuse to fit when the training state would need more bytes than this (default:
    /// half of physical memory).
    public var memoryLimit: Int

    public init(lambda: Float = 50, dropout: Float = 0.25, epochs: Int = 50, batchSize: Int = 256,
                learningRate: Float = 0.005, seed: UInt64 = 42, verbose: Bool = false, memoryLimit: Int? = nil) {
        self.lambda = lambda
        self.dropout = dropout
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.verbose = verbose
        self.memoryLimit = memoryLimit ?? Int(ProcessInfo.processInfo.physicalMemory / 2)
    }

    public var name: String { "edlae" }
    public var description: String {
        "edlae(lambda: \(lambda), dropout: \(dropout), epochs: \(epochs), batch: \(batchSize), lr: \(learningRate))"
    }

    /// Bytes of training state for `items` items: the kernel, its gradient and Adam's two
    /// moments (items² floats each), plus the dense inputs (`users` × `items` floats).
    public static func memoryNeeded(items: Int, users: Int) -> Int {
        let (nn, o1) = items.multipliedReportingOverflow(by: items)
        let (un, o2) = users.multipliedReportingOverflow(by: items)
        let (state, o3) = nn.multipliedReportingOverflow(by: 16)
        let (inputs, o4) = un.multipliedReportingOverflow(by: 4)
        let (all, o5) = state.addingReportingOverflow(inputs)
        return o1 || o2 || o3 || o4 || o5 ? .max : all
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard lambda >= 0, lambda.isFinite, dropout >= 0, dropout < 1 else {
            throw RecommenderError.invalidArgument("lambda must be ≥ 0 and dropout in [0, 1); got \(lambda), \(dropout)")
        }
        try AutoencoderInput.checkTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        guard matrix.itemCount >= 2 else {
            throw RecommenderError.invalidArgument("EDLAE predicts each item from the others: it needs at least 2 items, got \(matrix.itemCount)")
        }
        let active = try AutoencoderInput.activeUsers(matrix)
        let n = matrix.itemCount
        let needed = Self.memoryNeeded(items: n, users: active.count)
        guard needed <= memoryLimit else {
            throw RecommenderError.tooLarge("EDLAE on \(n) items trains a dense \(n) × \(n) layer: \(needed == .max ? "over 2^63" : "\(needed)") bytes of training state; the limit is \(memoryLimit) bytes")
        }
        var x = Tensor(zeros: [active.count, n])
        x.withUnsafeMutableBufferPointer { xp in
            for (r, u) in active.enumerated() {
                for i in matrix.items(ofUser: u) { xp[r * n + Int(i)] = 1 }
            }
        }
        // λ·‖B‖² against the summed squared error; the MSE averages over users × items.
        let factor = Float(Double(lambda) / (Double(active.count) * Double(n)))
        let layer = Dense(units: n, usesBias: false, kernelInitializer: .zeros,
                          kernelRegularizer: factor > 0 ? .l2(factor) : nil, zeroDiagonal: true, sparseInputs: true)
        let layers: [any Layer] = dropout > 0 ? [Input(shape: [n]), Dropout(rate: dropout), layer] : [Input(shape: [n]), layer]
        let model = Sequential(layers, seed: seed)
        let batch = min(batchSize, active.count)
        let steps = max(1, epochs * ((active.count + batch - 1) / batch))
        // The MSE's gradients are 1/(batch · items) of the summed error's: ε scaled alike, so
        // it stays as small next to them as Keras' 1e-7 is next to unscaled gradients.
        let epsilon = Float(1e-7 / (Double(batch) * Double(n)))
        let adam = Adam(schedule: CosineDecay(initialLearningRate: learningRate, decaySteps: steps), epsilon: epsilon)
        model.compile(optimizer: adam, loss: .meanSquaredError)
        var callbacks: [any Callback] = []
        if verbose {
            let epochs = epochs
            callbacks.append(LambdaCallback(onEpochEnd: { epoch, logs in
                FileHandle.standardError.write("  edlae epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.6g", logs["loss"] ?? .nan)) (\(String(format: "%.2f", logs.seconds)) s)\n".data(using: .utf8)!)
            }))
        }
        try model.fit(x, x, epochs: epochs, batchSize: batch, seed: seed &+ 1, callbacks: callbacks, verbose: .silent)
        var weights = layer.kernel!.tensor.scalars
        for i in 0..<n { weights[i * n + i] = 0 }
        return EDLAEModel(itemCount: n, weights: weights)
    }
}

/// The fitted item-item weights B (items × items, row-major, zero diagonal): a user's
/// scores are the sum of the rows of the items in their history.
struct EDLAEModel: HistoryScoringModel {
    let itemCount: Int
    let weights: [Float]
    var name: String { "edlae" }

    func accumulate(items: ArraySlice<Int32>, weights _: ArraySlice<Float>, into out: UnsafeMutablePointer<Float>) {
        let n = itemCount
        out.update(repeating: 0, count: n)
        weights.withUnsafeBufferPointer { b in
            for i in items {
                let row = b.baseAddress! + Int(i) * n
                for j in 0..<n { out[j] += row[j] }
            }
        }
    }

    /// Row `item` of B (how strongly the item predicts each other item); 1 for itself.
    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = itemCount
        for j in 0..<n { scores[j] = weights[Int(item) * n + j] }
        scores[Int(item)] = 1
    }
}

extension EDLAEModel: PersistableModel {
    static var kind: String { "edlae" }
    func encode(to w: inout ByteWriter) { w.write(UInt64(itemCount)); w.write(weights) }
    static func decode(from r: inout ByteReader) throws -> EDLAEModel {
        let n = try r.readSize("item count")
        let b = try r.readFloats()
        let (nn, overflow) = n.multipliedReportingOverflow(by: n)
        guard !overflow else { throw RecommenderError.invalidModelFile(path: "", reason: "EDLAE item count \(n) out of range") }
        try checkCount(b, nn, "EDLAE weights")
        return EDLAEModel(itemCount: n, weights: b)
    }
}
