// The seed model, as in Keras:
//
//   model = keras.Sequential([
//       keras.Input(shape=(64,)),
//       layers.Dense(128, activation="relu"),
//       layers.Dense(64, activation="relu"),
//       layers.Dense(1, activation="sigmoid"),
//   ])
//   model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
//   model.fit(x, y, epochs=3, batch_size=32, validation_split=0.1)
//
// trained on a generated learnable problem: features from N(0, 1), labels from a fixed
// random hyperplane. Prints progress and the held-out accuracy.
import ArgumentParser
import DeepCore
import Foundation

@main
struct SeedExample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-example",
        abstract: "Train the seed MLP (Dense 128 relu → 64 relu → 1 sigmoid) on generated data.")

    @Option(help: "Training samples (another 20% is generated for the held-out test).")
    var samples = 100_000
    @Option(help: "Features per sample.")
    var features = 64
    @Option(help: "Passes over the training data.")
    var epochs = 3
    @Option(help: "Samples per gradient step.")
    var batchSize = 32
    @Option(help: "Seed of data, initialisation and shuffling.")
    var seed: UInt64 = 7
    @Option(help: "Threads each batch is split over (batches of at least 64 rows per thread).")
    var threads = 1
    @Flag(help: "One line per epoch even on a terminal.")
    var plain = false

    func run() throws {
        let started = ContinuousClock.now
        let (x, y) = SeedData.make(samples: samples, features: features, seed: seed)
        let (xTest, yTest) = SeedData.make(samples: samples / 5, features: features, seed: seed, offset: 1)

        let model = Sequential([
            Input(shape: [features]),
            Dense(units: 128, activation: .relu),
            Dense(units: 64, activation: .relu),
            Dense(units: 1, activation: .sigmoid),
        ], seed: seed)
        model.compile(optimizer: Adam(), loss: .binaryCrossentropy, metrics: [.accuracy])
        model.threads = threads
        model.summary()
        print("Kernels: \(KernelISA.active) (native \(KernelISA.native))")

        try model.fit(x, y, epochs: epochs, batchSize: batchSize, validationSplit: 0.1,
                      seed: seed, verbose: plain ? .epochLines : .auto)
        let scores = try model.evaluate(xTest, yTest, batchSize: 1024)
        let seconds = Double((ContinuousClock.now - started).components.seconds)
            + Double((ContinuousClock.now - started).components.attoseconds) * 1e-18
        print(String(format: "Held-out accuracy: %.4f  loss: %.4f  (%d test samples, %.1f s in all)",
                     scores["accuracy"] ?? .nan, scores["loss"] ?? .nan, yTest.shape[0], seconds))
    }
}

/// Labels from a fixed random hyperplane through the origin: y = [w·x > 0].
enum SeedData {
    static func make(samples: Int, features: Int, seed: UInt64, offset: UInt64 = 0) -> (Tensor, Tensor) {
        let w = Tensor.normal([features], seed: seed &+ 1_000)
        let x = Tensor.normal([samples, features], seed: seed &+ 17 &+ offset &* 7_919)
        var labels = [Float](repeating: 0, count: samples)
        let ws = w.scalars
        x.withUnsafeBufferPointer { xs in
            for i in 0..<samples {
                var dot: Float = 0
                for j in 0..<features { dot += xs[i * features + j] * ws[j] }
                labels[i] = dot > 0 ? 1 : 0
            }
        }
        return (x, Tensor(shape: [samples, 1], scalars: labels))
    }
}
