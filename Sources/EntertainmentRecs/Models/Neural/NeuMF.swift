import DeepCore
import Foundation

/// Neural matrix factorisation (He et al., *Neural Collaborative Filtering*, WWW 2017):
/// a GMF branch (user ⊙ item embeddings) and an MLP branch (concatenated user and item
/// embeddings through ReLU layers), joined by one sigmoid unit, trained with binary
/// cross-entropy on each interaction and `negatives` sampled items per interaction.
/// Built on DeepCore's functional ``Model`` (embeddings, `Multiply`, `Concatenate`,
/// `Dense`), with Adam.
///
/// ```swift
/// let model = try NeuMF(gmfFactors: 8, mlpLayers: [64, 32, 16, 8], epochs: 10).fit(matrix)
/// ```
///
/// With `pretrain`, GMF and MLP are first trained alone and NeuMF starts from their
/// weights (output layer = ½·each branch's), as in the paper.
public struct NeuMF: RecommenderAlgorithm {
    /// Size of the GMF embeddings (0 removes the GMF branch).
    public var gmfFactors: Int
    /// The MLP tower: the first entry is the concatenated embedding width (half user,
    /// half item), the rest are the ReLU layers (empty removes the MLP branch).
    public var mlpLayers: [Int]
    /// Sampled negatives per interaction.
    public var negatives: Int
    public var negativeDistribution: NegativeSampler.Distribution
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    /// Dense Adam over whole embedding tables (the default, as Keras/PyTorch; better here:
    /// see Docs/Evaluation.md) or lazy (touched rows only: faster on large catalogs).
    public var embeddingUpdate: EmbeddingUpdate
    /// Train GMF and MLP alone first and start NeuMF from them.
    public var pretrain: Bool
    /// Pointwise (binary cross-entropy, as the paper) or pairwise BPR.
    public var objective: RankingObjective
    public var seed: UInt64
    /// Print one line per epoch to standard error.
    public var verbose: Bool

    public init(gmfFactors: Int = 8, mlpLayers: [Int] = [64, 32, 16, 8], negatives: Int = 4,
                negativeDistribution: NegativeSampler.Distribution = .uniform, epochs: Int = 10,
                batchSize: Int = 256, learningRate: Float = 0.001, embeddingUpdate: EmbeddingUpdate = .dense,
                pretrain: Bool = false, objective: RankingObjective = .pointwise, seed: UInt64 = 42,
                verbose: Bool = false) {
        self.objective = objective
        self.gmfFactors = gmfFactors
        self.mlpLayers = mlpLayers
        self.negatives = negatives
        self.negativeDistribution = negativeDistribution
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.embeddingUpdate = embeddingUpdate
        self.pretrain = pretrain
        self.seed = seed
        self.verbose = verbose
    }

    public var name: String { "neumf" }
    public var description: String {
        "neumf(gmf: \(gmfFactors), mlp: \(mlpLayers), negatives: \(negatives) \(negativeDistribution.rawValue), epochs: \(epochs), batch: \(batchSize), lr: \(learningRate)\(pretrain ? ", pretrained" : ""))"
    }

    func validate(_ matrix: InteractionMatrix) throws {
        guard gmfFactors >= 0, gmfFactors <= 1024 else { throw RecommenderError.invalidArgument("gmfFactors must be in 0...1024, got \(gmfFactors)") }
        guard mlpLayers.allSatisfy({ $0 > 0 && $0 <= 4096 }), mlpLayers.first.map({ $0 % 2 == 0 && $0 >= 2 }) ?? true else {
            throw RecommenderError.invalidArgument("mlpLayers must be positive, the first even (user half + item half), got \(mlpLayers)")
        }
        guard gmfFactors > 0 || mlpLayers.count >= 2 else {
            throw RecommenderError.invalidArgument("NeuMF needs a GMF branch (gmfFactors > 0) or an MLP with at least one layer")
        }
        guard negatives >= 1, epochs >= 0, batchSize >= 1 else {
            throw RecommenderError.invalidArgument("negatives ≥ 1, epochs ≥ 0 and batch size ≥ 1 required; got \(negatives), \(epochs), \(batchSize)")
        }
        guard learningRate > 0, learningRate.isFinite else { throw RecommenderError.invalidArgument("learning rate must be > 0, got \(learningRate)") }
        if case .inBatchSoftmax = objective {
            throw RecommenderError.invalidArgument("NeuMF scores (user, item) pairs with a joint network: train it pointwise or with bpr, not with in-batch softmax")
        }
        if objective == .bpr && batchSize % 2 != 0 { throw RecommenderError.invalidArgument("bpr needs an even batch size, got \(batchSize)") }
        guard matrix.userCount <= Embedding.maximumInputDim, matrix.itemCount <= Embedding.maximumInputDim else {
            throw RecommenderError.tooLarge("NeuMF embeds at most \(Embedding.maximumInputDim) users and items; got \(matrix.userCount) × \(matrix.itemCount)")
        }
    }

    public func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        try fitNeuMF(matrix)
    }

    /// Trains and returns the concrete model.
    func fitNeuMF(_ matrix: InteractionMatrix) throws -> NeuMFModel {
        try validate(matrix)
        let sampler = try NegativeSampler(matrix, distribution: negativeDistribution)
        var rng = SeededGenerator(seed: seed)
        let useGMF = gmfFactors > 0, useMLP = mlpLayers.count >= 2
        let net = try NeuMFNetwork(users: matrix.userCount, items: matrix.itemCount, gmf: useGMF ? gmfFactors : 0,
                                   mlp: useMLP ? mlpLayers : [], update: embeddingUpdate, seed: seed,
                                   logits: objective == .bpr)
        if pretrain && useGMF && useMLP {
            let gmf = try NeuMFNetwork(users: matrix.userCount, items: matrix.itemCount, gmf: gmfFactors, mlp: [],
                                       update: embeddingUpdate, seed: seed &+ 1, logits: objective == .bpr)
            let mlp = try NeuMFNetwork(users: matrix.userCount, items: matrix.itemCount, gmf: 0, mlp: mlpLayers,
                                       update: embeddingUpdate, seed: seed &+ 2, logits: objective == .bpr)
            try train(gmf, sampler, &rng, label: "pretrain gmf")
            try train(mlp, sampler, &rng, label: "pretrain mlp")
            net.start(fromGMF: gmf, mlp: mlp)
        }
        try train(net, sampler, &rng, label: "neumf")
        return net.fitted()
    }

    private func train(_ net: NeuMFNetwork, _ sampler: NegativeSampler, _ rng: inout SeededGenerator, label: String) throws {
        net.model.compile(optimizer: Adam(learningRate: learningRate), loss: objective == .bpr ? .bpr : .binaryCrossentropy)
        for epoch in 0..<epochs {
            let start = ContinuousClock.now
            let data = objective.epoch(sampler, negatives: negatives, rng: &rng)
            let history = try net.model.fit([Tensor(data.users), Tensor(data.items)], Tensor(data.labels), epochs: 1,
                                            batchSize: batchSize, seed: rng.next(), verbose: .silent)
            if verbose {
                let loss = history["loss"].last ?? .nan
                FileHandle.standardError.write("  \(label) epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.4f", loss)), \(data.labels.count) samples, \(ContinuousClock.now - start)\n".data(using: .utf8)!)
            }
        }
    }
}

/// The DeepCore graph of NeuMF (or of GMF or MLP alone) with handles to its layers.
final class NeuMFNetwork {
    let model: Model
    let users: Int, items: Int
    let gmf: Int
    let mlp: [Int]
    let userGMF: Embedding?, itemGMF: Embedding?
    let userMLP: Embedding?, itemMLP: Embedding?
    let hidden: [Dense]
    let output: Dense

    /// With `logits`, the output unit is linear (pairwise losses); otherwise a sigmoid.
    init(users: Int, items: Int, gmf: Int, mlp: [Int], update: EmbeddingUpdate, seed: UInt64, logits: Bool = false) throws {
        self.users = users
        self.items = items
        self.gmf = gmf
        self.mlp = mlp
        let user = Input(shape: [1], name: "user"), item = Input(shape: [1], name: "item")
        // He et al. initialise embeddings and layers from N(0, 0.01²).
        let initial = Initializer.normal(standardDeviation: 0.01)
        var branches: [Node] = []
        if gmf > 0 {
            let u = Embedding(inputDim: users, outputDim: gmf, initializer: initial, update: update)
            let i = Embedding(inputDim: items, outputDim: gmf, initializer: initial, update: update)
            branches.append(Multiply()([u(user), i(item)]))
            (userGMF, itemGMF) = (u, i)
        } else {
            (userGMF, itemGMF) = (nil, nil)
        }
        var layers: [Dense] = []
        if mlp.count >= 2 {
            let u = Embedding(inputDim: users, outputDim: mlp[0] / 2, initializer: initial, update: update)
            let i = Embedding(inputDim: items, outputDim: mlp[0] / 2, initializer: initial, update: update)
            var x = Concatenate()([u(user), i(item)])
            for width in mlp.dropFirst() {
                let d = Dense(units: width, activation: .relu)
                layers.append(d)
                x = d(x)
            }
            branches.append(x)
            (userMLP, itemMLP) = (u, i)
        } else {
            (userMLP, itemMLP) = (nil, nil)
        }
        hidden = layers
        output = Dense(units: 1, activation: logits ? .linear : .sigmoid, kernelInitializer: .glorotUniform)
        let joined = branches.count == 1 ? branches[0] : Concatenate()(branches)
        model = try Model(inputs: [user, item], outputs: output(joined), name: "neumf", seed: seed)
    }

    /// NeuMF's start from pretrained GMF and MLP (He et al. §3.4.1, α = 0.5).
    func start(fromGMF g: NeuMFNetwork, mlp m: NeuMFNetwork) {
        userGMF!.embeddings!.assign(g.userGMF!.embeddings!.tensor)
        itemGMF!.embeddings!.assign(g.itemGMF!.embeddings!.tensor)
        userMLP!.embeddings!.assign(m.userMLP!.embeddings!.tensor)
        itemMLP!.embeddings!.assign(m.itemMLP!.embeddings!.tensor)
        for (dst, src) in zip(hidden, m.hidden) {
            dst.kernel!.assign(src.kernel!.tensor)
            dst.bias!.assign(src.bias!.tensor)
        }
        let w = (g.output.kernel!.tensor.scalars + m.output.kernel!.tensor.scalars).map { 0.5 * $0 }
        output.kernel!.assign(Tensor(shape: output.kernel!.shape, scalars: w))
        let b = 0.5 * (g.output.bias!.tensor.scalars[0] + m.output.bias!.tensor.scalars[0])
        output.bias!.assign(Tensor(shape: [1], scalars: [b]))
    }

    /// The trained weights as an immutable, thread-safe scorer.
    func fitted() -> NeuMFModel {
        NeuMFModel(users: users, itemCount: items, gmfFactors: gmf, mlpLayers: mlp,
                   userGMF: userGMF?.embeddings!.tensor.scalars ?? [], itemGMF: itemGMF?.embeddings!.tensor.scalars ?? [],
                   userMLP: userMLP?.embeddings!.tensor.scalars ?? [], itemMLP: itemMLP?.embeddings!.tensor.scalars ?? [],
                   kernels: hidden.map { $0.kernel!.tensor.scalars }, biases: hidden.map { $0.bias!.tensor.scalars },
                   outputKernel: output.kernel!.tensor.scalars, outputBias: output.bias!.tensor.scalars[0])
    }
}
