import DeepCore
import Foundation

/// The multinomial denoising autoencoder of Liang et al., *Variational Autoencoders for
/// Collaborative Filtering* (WWW 2018), "Mult-DAE": a user's history (binary, L2-normalised,
/// with dropout on the input) goes through one tanh layer and back out to a softmax over
/// every item, trained with the multinomial log-likelihood (categorical cross-entropy
/// against the history). A plain DeepCore `Sequential`:
///
/// ```swift
/// Sequential([Input(shape: [items]), Dropout(rate: 0.5), Dense(units: 600, activation: .tanh),
///             Dense(units: items, activation: .softmax)])
/// ```
///
/// It scores from a history alone, so fold-in is exact: a new user is one forward pass.
public struct MultDAE: RecommenderAlgorithm {
    public var hidden: Int
    /// Input dropout (the "denoising").
    public var dropout: Float
    /// L2 on both kernels (Keras `kernel_regularizer`).
    public var l2: Float
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var seed: UInt64
    public var verbose: Bool

    public init(hidden: Int = 600, dropout: Float = 0.5, l2: Float = 0, epochs: Int = 50, batchSize: Int = 128,
                learningRate: Float = 0.001, seed: UInt64 = 42, verbose: Bool = false) {
        self.hidden = hidden
        self.dropout = dropout
        self.l2 = l2
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
        self.verbose = verbose
    }

    public var name: String { "multdae" }
    public var description: String {
        "multdae(hidden: \(hidden), dropout: \(dropout), l2: \(l2), epochs: \(epochs), batch: \(batchSize), lr: \(learningRate))"
    }

    /// Bytes of the dense training matrices (inputs and targets), refused above 4 GiB.
    static let memoryLimit = 4 << 30

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        guard hidden > 0, hidden <= 8192 else { throw RecommenderError.invalidArgument("hidden must be in 1...8192, got \(hidden)") }
        guard dropout >= 0, dropout < 1, l2 >= 0, l2.isFinite else {
            throw RecommenderError.invalidArgument("dropout must be in [0, 1) and l2 ≥ 0; got \(dropout), \(l2)")
        }
        try AutoencoderInput.checkTraining(epochs: epochs, batchSize: batchSize, learningRate: learningRate)
        guard matrix.itemCount >= 2 else {
            throw RecommenderError.invalidArgument("Mult-DAE ranks items with a softmax over the catalog: it needs at least 2 items, got \(matrix.itemCount)")
        }
        let active = try AutoencoderInput.activeUsers(matrix)
        let n = matrix.itemCount
        let (bytes, overflow) = (2 * 4 * n).multipliedReportingOverflow(by: active.count)
        guard !overflow, bytes <= Self.memoryLimit else {
            throw RecommenderError.tooLarge("MultDAE trains on dense \(active.count) × \(n) histories (\(bytes) bytes), over its \(Self.memoryLimit)-byte limit")
        }
        var x = Tensor(zeros: [active.count, n]), y = Tensor(zeros: [active.count, n])
        x.withUnsafeMutableBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for (r, u) in active.enumerated() {
                    let items = matrix.items(ofUser: u)
                    let v = 1 / Float(items.count).squareRoot()
                    for i in items { xp[r * n + Int(i)] = v; yp[r * n + Int(i)] = 1 }
                }
            }
        }
        let regularizer: Regularizer? = l2 > 0 ? .l2(l2) : nil
        let encoder = Dense(units: hidden, activation: .tanh, kernelRegularizer: regularizer, sparseInputs: true)
        let decoder = Dense(units: n, activation: .softmax, kernelRegularizer: regularizer)
        let model = Sequential([Input(shape: [n]), Dropout(rate: dropout), encoder, decoder], seed: seed)
        model.compile(optimizer: Adam(learningRate: learningRate), loss: .categoricalCrossentropy)
        var callbacks: [any Callback] = []
        if verbose {
            callbacks.append(LambdaCallback(onEpochEnd: { epoch, logs in
                FileHandle.standardError.write("  multdae epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.4f", logs["loss"] ?? .nan)) (\(String(format: "%.2f", logs.seconds)) s)\n".data(using: .utf8)!)
            }))
        }
        try model.fit(x, y, epochs: epochs, batchSize: batchSize, seed: seed &+ 1, callbacks: callbacks, verbose: .silent)
        return MultDAEModel(itemCount: n, hidden: hidden,
                            encoderKernel: encoder.kernel!.tensor.scalars, encoderBias: encoder.bias!.tensor.scalars,
                            decoderKernel: decoder.kernel!.tensor.scalars, decoderBias: decoder.bias!.tensor.scalars)
    }
}

/// Fitted Mult-DAE weights. A user's hidden vector is a sparse sum of encoder rows (the
/// input is a normalised binary history), then one GEMM to every item's logit.
struct MultDAEModel: ScoringModel {
    let itemCount: Int
    let hidden: Int
    let encoderKernel: [Float], encoderBias: [Float]
    let decoderKernel: [Float], decoderBias: [Float]
    var name: String { "multdae" }

    func scores(forUsers users: ArraySlice<Int32>, training: InteractionMatrix,
                into scores: UnsafeMutableBufferPointer<Float>) {
        score(histories: users.map { training.items(ofUser: Int($0)) }, into: scores.baseAddress!)
    }

    func scores(forHistory history: UserHistory, into scores: UnsafeMutableBufferPointer<Float>) {
        score(histories: [history.items.filter { $0 >= 0 && Int($0) < itemCount }[...]], into: scores.baseAddress!)
    }

    private func score(histories: [ArraySlice<Int32>], into out: UnsafeMutablePointer<Float>) {
        let rows = histories.count, h = hidden, n = itemCount
        var codes = [Float](repeating: 0, count: rows * h)
        for (r, items) in histories.enumerated() {
            let v = items.isEmpty ? 0 : 1 / Float(items.count).squareRoot()
            for j in 0..<h { codes[r * h + j] = encoderBias[j] }
            for i in items { for j in 0..<h { codes[r * h + j] += v * encoderKernel[Int(i) * h + j] } }
            for j in 0..<h { codes[r * h + j] = tanhf(codes[r * h + j]) }
        }
        for r in 0..<rows { (out + r * n).update(from: decoderBias, count: n) }
        codes.withUnsafeBufferPointer { c in
            decoderKernel.withUnsafeBufferPointer { w in
                RecKernels.gemm(c.baseAddress!, w.baseAddress!, out, m: rows, n: n, k: h, beta: 1)
            }
        }
    }

    /// Cosine similarity of the items' encoder rows (their input embeddings).
    func similarities(toItem item: Int32, into scores: UnsafeMutableBufferPointer<Float>) {
        cosineSimilarities(toRow: Int(item), of: encoderKernel, width: hidden, rows: itemCount, into: scores)
    }
}

extension MultDAEModel: PersistableModel {
    static var kind: String { "multdae" }
    func encode(to w: inout ByteWriter) {
        w.write(UInt64(itemCount)); w.write(UInt64(hidden))
        w.write(encoderKernel); w.write(encoderBias); w.write(decoderKernel); w.write(decoderBias)
    }
    static func decode(from r: inout ByteReader) throws -> MultDAEModel {
        let n = try r.readSize("item count"), h = try r.readSize("hidden units")
        guard h > 0, h <= 8192 else { throw RecommenderError.invalidModelFile(path: "", reason: "Mult-DAE hidden \(h) out of range") }
        let ek = try r.readFloats(), eb = try r.readFloats(), dk = try r.readFloats(), db = try r.readFloats()
        let (nh, overflow) = n.multipliedReportingOverflow(by: h)
        guard !overflow else { throw RecommenderError.invalidModelFile(path: "", reason: "Mult-DAE size out of range") }
        try checkCount(ek, nh, "Mult-DAE encoder kernel"); try checkCount(eb, h, "Mult-DAE encoder bias")
        try checkCount(dk, nh, "Mult-DAE decoder kernel"); try checkCount(db, n, "Mult-DAE decoder bias")
        return MultDAEModel(itemCount: n, hidden: h, encoderKernel: ek, encoderBias: eb, decoderKernel: dk, decoderBias: db)
    }
}
