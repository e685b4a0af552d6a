import DeepCore
import Foundation

/// NeuMF training and scoring throughput (He et al. 2017: GMF 8 + MLP [64, 32, 16, 8],
/// ReLU, one sigmoid unit over both branches; binary cross-entropy, Adam lr 1e-3, batch 256)
/// on a synthetic set of a given `Shape` (case `neumf`: ML-100K-sized; case `neumf1m`: the
/// 6,040 × 3,706 catalog of MovieLens-1M), with the embeddings stepped `.lazy` and `.dense`.
///
/// The data come from `NeuralBench.Data`, a SplitMix64 stream and integer/IEEE-exact
/// arithmetic that `Benchmarks/peers/common.py` (`neumf_data`) repeats bit for bit, so the
/// PyTorch and Keras peers train on the very same samples (the checksum printed by each
/// program must agree). Samples are drawn once; only `fit` / `predict` are timed.
enum NeuralBench {
    /// The synthetic set: catalog size and positives (as `common.NEUMF_SHAPES` in the peers).
    struct Shape: Sendable {
        /// The recs-bench case, also the prefix of the progress lines.
        let name: String
        let users: Int
        let items: Int
        let interactions: Int
        /// Appended to the scoring row's shape string so that compare.py can tell the shapes
        /// apart (empty for `neumf`, whose rows keep their original shape strings).
        let scoringTag: String

        /// ML-100K-sized: 943 × 1,682, 99,057 positives → 495,285 samples (checksum 392966083047515).
        static let ml100k = Shape(name: "neumf", users: 943, items: 1_682, interactions: 99_057, scoringTag: "")
        /// The MovieLens-1M catalog, 6,040 × 3,706, with 200,000 positives → 1,000,000 samples.
        static let ml1m = Shape(name: "neumf1m", users: 6_040, items: 3_706, interactions: 200_000,
                                scoringTag: " 6040×3706")
        static let all = [ml100k, ml1m]

        var samples: Int { interactions * (1 + negatives) }
        /// (users + items) · (8 + 32) embeddings + 64·32+32 + 32·16+16 + 16·8+8 + 16·1+1 dense
        /// (107,761 for `ml100k`, 392,601 for `ml1m`).
        var parameterCount: Int {
            (users + items) * (gmf + mlp[0] / 2) + (64 * 32 + 32) + (32 * 16 + 16) + (16 * 8 + 8) + (16 + 1)
        }
        var fitShape: String { "batch \(batchSize) \(samples)" }
        var predictShape: String { "batch \(predictBatch) \(predictPairs)" + scoringTag }
    }

    static let negatives = 4
    static let gmf = 8
    static let mlp = [64, 32, 16, 8]
    static let batchSize = 256
    static let predictPairs = 100_000
    static let predictBatch = 1024
    /// The embedding updates `run` measures, by the names `--neumf-variants` takes.
    static let variants: [(String, EmbeddingUpdate)] = [("lazy", .lazy), ("dense", .dense)]

    /// SplitMix64 (Steele, Lea, Flood 2014): the generator the Python peers re-implement.
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in [0, 1) with 53 random bits (exact in any IEEE double arithmetic).
        mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
        /// Uniform index below `n`: ⌊n·u⌋.
        mutating func index(_ n: Int) -> Int { Int(Double(n) * unit()) }
        /// Index below `n` skewed to small indices: ⌊n·u^1.5⌋ (P(index < k) = (k/n)^⅔;
        /// index 0 gets ≈ 0.7 % of draws, as ML-100K's most rated film ≈ 0.6 %).
        mutating func skewedIndex(_ n: Int) -> Int { let u = unit(); return Int(Double(n) * u * u.squareRoot()) }
    }

    /// The pre-sampled training epoch and the scoring pairs, ids as floats (DeepCore's inputs).
    struct Data {
        var users: [Float] = [], items: [Float] = [], labels: [Float] = []
        var predictUsers: [Float] = [], predictItems: [Float] = []
        /// Σ_k ((user·items + item)·2 + label)·(k mod 1000 + 1): the peers print the same.
        var checksum: Int64 = 0

        init(_ shape: Shape) {
            let (userCount, itemCount, interactions) = (shape.users, shape.items, shape.interactions)
            // Positives: distinct (user, item) pairs, users uniform, items ⌊n·u^1.5⌋.
            var rng = SplitMix64(state: 2017)
            var seen = Set<Int>()
            seen.reserveCapacity(interactions)
            var positives: [(Int, Int)] = []
            positives.reserveCapacity(interactions)
            while positives.count < interactions {
                let u = rng.index(userCount), i = rng.skewedIndex(itemCount)
                if seen.insert(u * itemCount + i).inserted { positives.append((u, i)) }
            }
            // Each positive, then `negatives` uniform items the user has not interacted with.
            let n = shape.samples
            users.reserveCapacity(n); items.reserveCapacity(n); labels.reserveCapacity(n)
            for (u, i) in positives {
                users.append(Float(u)); items.append(Float(i)); labels.append(1)
                for _ in 0..<negatives {
                    var j = rng.index(itemCount)
                    while seen.contains(u * itemCount + j) { j = rng.index(itemCount) }
                    users.append(Float(u)); items.append(Float(j)); labels.append(0)
                }
            }
            var scoring = SplitMix64(state: 7)
            for _ in 0..<predictPairs {
                predictUsers.append(Float(scoring.index(userCount)))
                predictItems.append(Float(scoring.index(itemCount)))
            }
            for k in 0..<n {
                let key = (Int64(users[k]) * Int64(itemCount) + Int64(items[k])) * 2 + Int64(labels[k])
                checksum &+= key * Int64(k % 1000 + 1)
            }
        }
    }

    /// The graph `NeuMFNetwork` (EntertainmentRecs) builds, through DeepCore's public API.
    static func makeModel(_ shape: Shape, update: EmbeddingUpdate, seed: UInt64 = 42) throws -> Model {
        let (users, items) = (shape.users, shape.items)
        let user = Input(shape: [1], name: "user"), item = Input(shape: [1], name: "item")
        let initial = Initializer.normal(standardDeviation: 0.01)
        let ug = Embedding(inputDim: users, outputDim: gmf, initializer: initial, update: update)
        let ig = Embedding(inputDim: items, outputDim: gmf, initializer: initial, update: update)
        let gmfBranch = Multiply()([ug(user), ig(item)])
        let um = Embedding(inputDim: users, outputDim: mlp[0] / 2, initializer: initial, update: update)
        let im = Embedding(inputDim: items, outputDim: mlp[0] / 2, initializer: initial, update: update)
        var x = Concatenate()([um(user), im(item)])
        for width in mlp.dropFirst() { x = Dense(units: width, activation: .relu)(x) }
        let output = Dense(units: 1, activation: .sigmoid, kernelInitializer: .glorotUniform)
        let model = try Model(inputs: [user, item], outputs: output(Concatenate()([gmfBranch, x])),
                              name: "neumf", seed: seed)
        model.compile(optimizer: Adam(learningRate: 0.001), loss: .binaryCrossentropy)
        return model
    }

    /// The trained model's AUC on the training samples must reach this (0.5 = chance).
    static let minimumAUC = 0.6

    /// AUC of `scores` for `labels` (Mann–Whitney; tied scores share their mean rank), as
    /// `common.neumf_auc` in the peers.
    static func auc(_ scores: [Float], _ labels: [Float]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, positives = 0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
            let rank = Double(start + 1 + end) / 2
            for k in start..<end where labels[order[k]] > 0.5 { rankSum += rank; positives += 1 }
            start = end
        }
        let negatives = order.count - positives
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    /// Measures `shape`: one `neumf-fit` row per embedding update in `variants` (names from
    /// `NeuralBench.variants`, in that order), then `neumf-predict` with the model trained last.
    static func run(_ shape: Shape, variants: [String], repeats: Int) throws -> [BenchResult] {
        let name = shape.name, samples = shape.samples
        let start = ContinuousClock.now
        let data = Data(shape)
        print("\(name) data: \(samples) samples (\(shape.interactions) positives × (1 + \(negatives))), "
              + "\(shape.users) users × \(shape.items) items, "
              + "\(predictPairs) scoring pairs, checksum \(data.checksum), sampled in "
              + String(format: "%.2f s", seconds(ContinuousClock.now - start)) + " (not timed)")
        let x = [Tensor(shape: [samples], scalars: data.users), Tensor(shape: [samples], scalars: data.items)]
        let y = Tensor(shape: [samples, 1], scalars: data.labels)
        let scoring = [Tensor(shape: [predictPairs], scalars: data.predictUsers),
                       Tensor(shape: [predictPairs], scalars: data.predictItems)]
        var out: [BenchResult] = []
        var trained: Model?
        for (label, update) in Self.variants where variants.contains(label) {
            let model = try makeModel(shape, update: update)
            precondition(model.parameterCount == shape.parameterCount,
                         "NeuMF has \(model.parameterCount) parameters, expected \(shape.parameterCount)")
            // Check before timing (also the warm-up epoch): the epoch's mean loss must beat the
            // best constant predictor (BCE of a 1:4 label mix = 0.5004); predict is checked below.
            let loss = try model.fit(x, y, epochs: 1, batchSize: batchSize, verbose: .silent)["loss"].last ?? .nan
            precondition(loss < 0.50, "NeuMF (\(name), \(label)) did not learn in one epoch: loss \(loss)")
            var rates: [Double] = []
            for _ in 0..<repeats {
                let t = ContinuousClock.now
                try model.fit(x, y, epochs: 1, batchSize: batchSize, verbose: .silent)
                rates.append(Double(samples) / seconds(ContinuousClock.now - t))
            }
            rates.sort()
            print("\(name)-fit \(label): loss after the warm-up epoch \(String(format: "%.4f", loss))")
            out.append(result("neumf-fit", label, shape.fitShape, "samples/s", rates))
            trained = model
        }
        // Scoring: the model trained last (dense unless only lazy was asked for; 1 + repeats epochs).
        guard let model = trained else { return out }
        let p = try model.predict(scoring, batchSize: predictBatch)
        precondition(p.shape == [predictPairs, 1] && p.scalars.allSatisfy { $0 > 0 && $0 < 1 },
                     "NeuMF predict: bad output")
        let trainingAUC = auc(try model.predict(x, batchSize: predictBatch).scalars, data.labels)
        print("\(name)-predict: training AUC " + String(format: "%.4f", trainingAUC))
        precondition(trainingAUC >= minimumAUC, "NeuMF predict does not rank positives higher (AUC \(trainingAUC))")
        let rates = try measure(repeats: repeats, work: Double(predictPairs)) {
            blackHole(try model.predict(scoring, batchSize: predictBatch))
        }
        out.append(result("neumf-predict", "\(KernelISA.active)", shape.predictShape, "samples/s", rates))
        return out
    }
}
