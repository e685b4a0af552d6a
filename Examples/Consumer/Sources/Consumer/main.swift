// Trains a small classifier through the public API only, as an app would.
import DeepCore

var rng = SeededGenerator(seed: 1)
let samples = 2_000
var xs: [Float] = [], ys: [Float] = []
for _ in 0..<samples {
    let a = rng.nextNormal(), b = rng.nextNormal()
    xs += [a, b]
    ys.append(a + b > 0 ? 1 : 0)
}
let x = Tensor(shape: [samples, 2], scalars: xs)
let y = Tensor(shape: [samples, 1], scalars: ys)

let model = Sequential([
    Input(shape: [2]),
    Dense(units: 16, activation: .relu),
    Dense(units: 1, activation: .sigmoid),
])
model.compile(optimizer: Adam(learningRate: 0.01), loss: .binaryCrossentropy, metrics: [.accuracy])
do {
    try model.fit(x, y, epochs: 5, batchSize: 32, verbose: .silent)
    let accuracy = try model.evaluate(x, y)["accuracy"] ?? 0
    print("consumer: kernels \(KernelISA.active) (native \(KernelISA.native)), accuracy \(accuracy)")
    if accuracy < 0.95 { fatalError("consumer: accuracy \(accuracy) is too low") }
} catch {
    fatalError("consumer: \(error)")
}
