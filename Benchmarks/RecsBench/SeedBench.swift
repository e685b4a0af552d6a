import DeepCore

/// Seed-model throughput: `fit` samples/s at the given batch sizes (one thread), and
/// `predict` samples/s at batch 1024.
enum SeedBench {
    static let flopsPerSample = 6.0 * Double(64 * 128 + 128 * 64 + 64 * 1)   // forward 2·MACs, backward 4·MACs

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

    static func run(batchSizes: [Int], repeats: Int) throws -> [BenchResult] {
        var out: [BenchResult] = []
        let samples = 32_768
        let (x, y) = data(samples: samples)
        for batch in batchSizes {
            let model = makeModel()
            // Check before timing: one epoch must learn the problem.
            try model.fit(x, y, epochs: 1, batchSize: batch, verbose: .silent)
            let acc = try model.evaluate(x, y, batchSize: 1024)["accuracy"]!
            precondition(acc > 0.9, "seed model did not learn (accuracy \(acc)) at batch \(batch)")
            let rates = try measure(repeats: repeats, work: Double(samples)) {
                try model.fit(x, y, epochs: 1, batchSize: batch, verbose: .silent)
            }
            out.append(result("seed-fit", "\(KernelISA.active)", "batch \(batch)", "samples/s", rates))
        }
        let model = makeModel()
        let p = try model.predict(x, batchSize: 1024)
        precondition(p.shape == [samples, 1])
        let rates = try measure(repeats: repeats, work: Double(samples)) {
            blackHole(try model.predict(x, batchSize: 1024))
        }
        out.append(result("seed-predict", "\(KernelISA.active)", "batch 1024", "samples/s", rates))
        return out
    }
}
