/// One candidate of a ``GridSearch`` and its validation result.
public struct GridSearchTrial: Sendable {
    /// The candidate algorithm with its hyperparameters.
    public var algorithm: any RecommenderAlgorithm
    /// Its result on the validation split (fitted on `validation.train`).
    public var validation: EvaluationResult
}

/// The outcome of a ``GridSearch``: every candidate's validation result, the chosen one,
/// and the chosen algorithm refitted on the test split's training set and evaluated on test.
public struct GridSearchResult: Sendable {
    /// The metric that chose the winner.
    public var target: EvaluationMetric
    /// Every candidate in the order given, with its validation result.
    public var trials: [GridSearchTrial]
    /// Index in `trials` of the chosen candidate (the first of equal best scores).
    public var bestIndex: Int
    /// The chosen algorithm's result on the test split.
    public var test: EvaluationResult

    /// The chosen algorithm.
    public var best: any RecommenderAlgorithm { trials[bestIndex].algorithm }
    /// The chosen algorithm's validation result.
    public var bestValidation: EvaluationResult { trials[bestIndex].validation }
}

/// Hyperparameter selection on the validation split only, as the benchmark README requires:
/// each candidate is fitted on `dataset.validation.train` and scored on
/// `dataset.validation`; the best by `target` is refitted on `dataset.test.train` and
/// evaluated once on `dataset.test`. The test split never influences the choice.
///
/// ```swift
/// let grid: [any RecommenderAlgorithm] = [32, 64, 128].flatMap { factors in
///     [1, 10, 100].map { ImplicitALS(factors: factors, regularization: $0) }
/// }
/// let search = try GridSearch().run(grid, on: dataset)
/// print(EvaluationResult.table(search.trials.map(\.validation) + [search.test]))
/// ```
public struct GridSearch: Sendable {
    /// The evaluator used for validation and test (cutoffs, blocks, threads).
    public var evaluator: Evaluator
    /// The metric to maximise (default: full-ranking NDCG@K).
    public var target: EvaluationMetric

    public init(evaluator: Evaluator = Evaluator(), target: EvaluationMetric = .fullNDCG) {
        self.evaluator = evaluator
        self.target = target
    }

    /// Fits and validates every candidate, then refits the best and evaluates it on test.
    /// Results are labelled with each algorithm's `description`, so candidates of one
    /// family stay apart in tables.
    /// - Parameters:
    ///   - candidates: algorithms to compare, e.g. built from a parameter grid; not empty.
    ///   - dataset: the benchmark folder (validation and test splits).
    /// - Returns: all validation results, the chosen candidate and its test result.
    /// - Throws: ``RecommenderError/invalidArgument(_:)`` for an empty candidate list; any
    ///   error of a candidate's `fit` or of ``Evaluator/evaluate(_:on:modelName:splitName:)``.
    /// - Complexity: `candidates.count + 1` fits and evaluations.
    public func run(_ candidates: [any RecommenderAlgorithm], on dataset: BenchmarkDataset) throws -> GridSearchResult {
        guard !candidates.isEmpty else {
            throw RecommenderError.invalidArgument("grid search needs at least one candidate algorithm")
        }
        var trials: [GridSearchTrial] = []
        var bestIndex = 0
        for (index, algorithm) in candidates.enumerated() {
            let model = try algorithm.fit(dataset.validation.train)
            let result = try evaluator.evaluate(model, on: dataset.validation,
                                                modelName: algorithm.description, splitName: "valid")
            trials.append(GridSearchTrial(algorithm: algorithm, validation: result))
            // Strictly greater keeps the first of equal scores, so the choice is reproducible.
            if result.value(of: target) > trials[bestIndex].validation.value(of: target) { bestIndex = index }
        }
        let best = candidates[bestIndex]
        let model = try best.fit(dataset.test.train)
        let test = try evaluator.evaluate(model, on: dataset.test, modelName: best.description, splitName: "test")
        return GridSearchResult(target: target, trials: trials, bestIndex: bestIndex, test: test)
    }
}
