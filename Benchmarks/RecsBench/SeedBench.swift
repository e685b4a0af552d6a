import DeepCore

/// Seed-model throughput: `fit` samples/s at the given batch sizes and thread counts, and
/// `predict` samples/s at batch 1024; each also as GFLOP/s against the measured FP32 peak.
enum SeedBench {
    /// Nominal training FLOPs per sample, 6·MACs (forward 2·MACs, backward 4·MACs):
    /// 6 · (64·128 + 128·64 + 64·1) = 98,688. DeepCore skips the first layer's input
    /// gradient, so its GEMMs really do 82,304; the nominal figure is used everywhere
    /// (also for the peers), so ratios are unaffected.
    static let flopsPerSample = 6.0 * Double(64 * 128 + 128 * 64 + 64 * 1)
    /// Forward only (predict): 2·MACs = 32,896.
    static let predictFlopsPerSample = 2.0 * Double(64 * 128 + 128 * 64 + 64 * 1)
    static let samples = 32_768

    /// The hook for multi-threaded training: DeepCore's data-parallel `fit`
    /// (`Sequential.threads`, batches under 64 rows per thread stay on one thread).
    /// Returns false when a thread count cannot be measured (then it is reported as skipped).
    static func setTrainingThreads(_ model: Sequential, _ threads: Int) -> Bool {
        guard threads >= 1 else { return false }
        model.threads = threads
        return true
    }

    static func makeModel() -> Sequential {
        let model = Sequential([
            Input(shape: [64]),
            Dense(units: 128, activation: .relu),
            Dense(units: 64, activation: .relu),
            Dense(units: 1, activation: .sigmoid),
        ], seed: 1)
        model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
        return model
    }

    static func data(samples: Int) -> (Tensor, Tensor) {
        let x = Tensor.normal([samples, 64], seed: 2)
        let w = Tensor.normal([64], seed: 3).scalars
        let y = x.withUnsafeBufferPointer { xs in
            (0..<samples).map { i -> Float in
                var d: Float = 0
                for j in 0..<64 { d += xs[i * 64 + j] * w[j] }
                return d > 0 ? 1 : 0
            }
        }
        return (x, Tensor(shape: [samples, 1], scalars: y))
    }

    /// - Parameter peak: the measured single-core FP32 peak in GFLOP/s (nil: not measured).
    static func run(batchSizes: [Int], threads: [Int], repeats: Int, peak: Double?) throws -> [BenchResult] {
        var out: [BenchResult] = []
        let (x, y) = data(samples: samples)
        let variant = "\(KernelISA.active)"
        func withFlops(_ r: BenchResult, _ perSample: Double) -> [BenchResult] {
            // The peak scales with the cores used.
            [r, r.scaled(by: perSample / 1e9, unit: "GFLOP/s", reference: peak.map { $0 * Double(r.threads) },
                         against: peak == nil ? nil : "fp32 peak")]
        }
        for t in threads {
            for batch in batchSizes {
                let model = makeModel()
                guard setTrainingThreads(model, t) else {
                    print("seed-fit: \(t) threads skipped (see SeedBench.setTrainingThreads)")
                    continue
                }
                // Check before timing: one epoch must learn the problem.
                try model.fit(x, y, epochs: 1, batchSize: batch, verbose: .silent)
                let acc = try model.evaluate(x, y, batchSize: 1024)["accuracy"]!
                precondition(acc > 0.9, "seed model did not learn (accuracy \(acc)) at batch \(batch)")
                let rates = try measure(repeats: repeats, work: Double(samples)) {
                    try model.fit(x, y, epochs: 1, batchSize: batch, verbose: .silent)
                }
                out += withFlops(result("seed-fit", variant, "batch \(batch)", "samples/s", rates, threads: t),
                                 flopsPerSample)
            }
        }
        let model = makeModel()
        try model.fit(x, y, epochs: 1, batchSize: 256, verbose: .silent)
        let p = try model.predict(x, batchSize: 1024)
        precondition(p.shape == [samples, 1])
        let correct = zip(p.scalars, y.scalars).filter { ($0 > 0.5) == ($1 > 0.5) }.count
        precondition(Double(correct) / Double(samples) > 0.9, "predict disagrees with the labels")
        let rates = try measure(repeats: repeats, work: Double(samples)) {
            blackHole(try model.predict(x, batchSize: 1024))
        }
        out += withFlops(result("seed-predict", variant, "batch 1024", "samples/s", rates), predictFlopsPerSample)
        return out
    }
}
