import ArgumentParser
import EntertainmentRecs
import Foundation

/// `recs evaluate`: the leave-one-out protocol of ../shared/benchmarks on one folder,
/// with our tuned defaults or a grid search on `valid/`.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate models on a leave-one-out benchmark folder (sampled and full ranking).")

    @Option(help: "A benchmark folder (train.tsv, test.tsv, test.negative, items.tsv, valid/).")
    var benchmark: String
    @Option(help: "Models: \(ModelGrid.names.joined(separator: ", ")), or all (comma-separated).")
    var model = "all"
    @Flag(help: "Tune each model's hyperparameters on valid/ (grid search), then report test.")
    var tune = false
    @Option(help: "Without --tune: the split to fit and report, test (train.tsv → test.tsv) or valid (valid/train.tsv → valid/test.tsv, for exploring settings without touching test).")
    var split: Split = .test
    @Option(help: "Evaluation threads (default: all cores).")
    var threads: Int?
    @Flag(help: "Report training progress (neural models: one line per epoch).")
    var verbose = false
    @Option(help: "Write results as JSON to this file.")
    var json: String?

    /// Which split a run without `--tune` fits and reports.
    enum Split: String, ExpressibleByArgument, CaseIterable { case test, valid }

    func run() throws {
        let start = ContinuousClock.now
        let data = try BenchmarkDataset.load(from: benchmark)
        FileHandle.standardError.write("\(data.name): \(data.userCount) users, \(data.itemCount) items, \(data.test.train.count) training interactions\n".data(using: .utf8)!)
        let evaluator = Evaluator(threadCount: threads)
        let names = model == "all" ? ModelGrid.names : model.split(separator: ",").map(String.init)
        if tune && split == .valid { throw ValidationError("--tune tunes on valid/ and reports test; drop --split valid") }
        var results: [EvaluationResult] = []
        for name in names {
            let t0 = ContinuousClock.now
            if tune {
                let grid = try ModelGrid.candidates(name, dataset: data, verbose: verbose)
                let search = try GridSearch(evaluator: evaluator).run(grid, on: data)
                var r = search.test
                r.model = "\(name) [\(search.best)]"
                results.append(r)
                if verbose {
                    FileHandle.standardError.write("\(EvaluationResult.table(search.trials.map(\.validation)))\n".data(using: .utf8)!)
                }
                FileHandle.standardError.write("  \(name): tuned over \(grid.count) settings on valid/ → \(search.best)\n".data(using: .utf8)!)
            } else {
                let algorithm = try ModelGrid.defaults(name, dataset: data, verbose: verbose)
                let chosen = split == .valid ? data.validation : data.test
                let t1 = ContinuousClock.now
                let fitted = try algorithm.fit(chosen.train)
                FileHandle.standardError.write("  \(name) fitted in \(ContinuousClock.now - t1)\n".data(using: .utf8)!)
                results.append(try evaluator.evaluate(fitted, on: chosen, modelName: "\(name) [\(algorithm)]", splitName: split.rawValue))
            }
            FileHandle.standardError.write("  \(name) done in \(ContinuousClock.now - t0)\n".data(using: .utf8)!)
        }
        print("\(data.name) (\(tune ? "test" : split.rawValue) split)")
        print(EvaluationResult.table(results))
        if let json { try EvaluationResult.jsonData(results).write(to: URL(fileURLWithPath: json)) }
        FileHandle.standardError.write("total \(ContinuousClock.now - start)\n".data(using: .utf8)!)
    }
}

/// Default settings and tuning grids per model.
enum ModelGrid {
    static let names = ["popularity", "itemknn", "ials", "ease", "bpr", "neumf", "twotower", "multdae", "edlae", "rerank"]

    /// Side features from `items.tsv` (two-tower, reranker): genres where the dataset has
    /// them (ml-100k) and the words of the titles (game titles, artist names), the 512
    /// most frequent of those on at least two items.
    static func itemFeatures(_ data: BenchmarkDataset) -> ItemFeatures {
        ItemFeatures(itemCount: data.itemCount) { i in
            let item = data.items[i]
            let words = item.name.lowercased().split { !$0.isLetter && !$0.isNumber }.filter { $0.count > 1 }.map { "w:" + $0 }
            return item.genres.map { "g:" + $0 } + words
        }
    }

    static func defaults(_ name: String, dataset: BenchmarkDataset, verbose: Bool = false) throws -> any RecommenderAlgorithm {
        switch name {
        case "popularity": Popularity()
        case "itemknn": ItemKNN(neighbors: 200)
        case "ials": Transformed(ImplicitALS(factors: 64, regularization: 10, alpha: 1, iterations: 15), .log)
        case "ease": EASE(lambda: 200)
        case "bpr": BPR(factors: 64, learningRate: 0.05, regularization: 0.01, iterations: 100)
        case "neumf": NeuMF(verbose: verbose)
        // Variants, for comparisons (not in `all`).
        case "neumf-lazy": NeuMF(embeddingUpdate: .lazy, verbose: verbose)
        case "neumf-pretrain": NeuMF(pretrain: true, verbose: verbose)
        case "neumf-bpr": NeuMF(objective: .bpr, verbose: verbose)
        case "twotower-bpr": TwoTower(features: itemFeatures(dataset), objective: .bpr, verbose: verbose)
        case "twotower-softmax": TwoTower(features: itemFeatures(dataset), epochs: 20, batchSize: 512,
                                          objective: .inBatchSoftmax(temperature: 0.1), verbose: verbose)
        case "twotower": TwoTower(features: itemFeatures(dataset), verbose: verbose)
        case "multdae": MultDAE(verbose: verbose)
        // Steck's full-rank denoising linear autoencoder with a zero diagonal, trained by fit:
        // λ 50, input dropout 0.25, Adam 0.005 (cosine decay), 50 epochs of batch 256.
        case "edlae": EDLAE(verbose: verbose)
        case "rerank": MLPReranker(base: EASE(lambda: 200), features: itemFeatures(dataset), verbose: verbose)
        // The seed MLP over iALS's candidates (for catalogs where EASE's inverse is slow).
        case "rerank-ials": MLPReranker(base: try defaults("ials", dataset: dataset), features: itemFeatures(dataset),
                                        verbose: verbose)
        // Neural end to end: the seed MLP over EDLAE's candidates (EDLAE refitted per fold).
        case "rerank-edlae": MLPReranker(base: try defaults("edlae", dataset: dataset), features: itemFeatures(dataset),
                                         verbose: verbose)
        default: throw ValidationError("unknown model '\(name)'; choose from \(names.joined(separator: ", "))")
        }
    }

    static func candidates(_ name: String, dataset: BenchmarkDataset, verbose: Bool = false) throws -> [any RecommenderAlgorithm] {
        switch name {
        case "popularity": return [Popularity()]
        case "itemknn": return [5, 20, 50, 100, 200, 500, 1000].map { ItemKNN(neighbors: $0) }
        case "ease":
            let lambdas: [Float] = dataset.itemCount > 8000 ? [20, 50, 200] : [20, 50, 100, 200, 500, 1000]
            return lambdas.map { EASE(lambda: $0) }
        case "ials":
            var out: [any RecommenderAlgorithm] = []
            for weights in [WeightTransform.binary, .log] {
                for alpha: Float in [0.3, 1, 3, 10] {
                    for reg: Float in [1, 10, 30] {
                        out.append(Transformed(ImplicitALS(factors: 64, regularization: reg, alpha: alpha, iterations: 15), weights))
                    }
                }
            }
            return out
        case "bpr":
            var out: [any RecommenderAlgorithm] = []
            for popular in [true, false] {
                for lr: Float in [0.01, 0.05] {
                    for reg: Float in [0.001, 0.01] {
                        out.append(BPR(factors: 64, learningRate: lr, regularization: reg, iterations: 100, popularNegatives: popular))
                    }
                }
            }
            // implicit's sampling (popular negatives, a liked draw skips the sample) at its
            // 100 factors, alone or with the harder of two negatives.
            for candidates in [1, 2] {
                for lr: Float in [0.01, 0.05] {
                    for reg: Float in [0.001, 0.01] {
                        out.append(BPR(factors: 100, learningRate: lr, regularization: reg, iterations: 100, popularNegatives: true,
                                       skipsLikedNegatives: true, negativeCandidates: candidates))
                    }
                }
            }
            return out
        case "neumf":
            var out: [any RecommenderAlgorithm] = []
            for epochs in [6, 10, 14] {
                for pretrain in [false, true] {
                    out.append(NeuMF(epochs: epochs, pretrain: pretrain, verbose: verbose))
                }
            }
            return out
        case "multdae":
            return [200, 600].flatMap { hidden in
                [20, 50, 100].map { MultDAE(hidden: hidden, epochs: $0, verbose: verbose) }
            }
        case "edlae":
            // λ around EASE's best (50 on steam-200k and lastfm-2k), more dropout, a smaller rate.
            return [Float(20), 50, 100].map { EDLAE(lambda: $0, verbose: verbose) }
                + [EDLAE(dropout: 0.5, verbose: verbose), EDLAE(learningRate: 0.002, verbose: verbose)]
        case "twotower":
            let features = itemFeatures(dataset)
            return [5, 10, 20].flatMap { epochs in
                [Float(0.001), 0.003].map { TwoTower(features: features, epochs: epochs, learningRate: $0, verbose: verbose) }
            }
        case "rerank":
            let features = itemFeatures(dataset)
            return [20, 50, 100].map { MLPReranker(base: EASE(lambda: 200), features: features, candidates: $0, verbose: verbose) }
        default: throw ValidationError("unknown model '\(name)'; choose from \(names.joined(separator: ", "))")
        }
    }
}
