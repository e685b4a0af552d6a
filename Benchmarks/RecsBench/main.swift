// recs-bench: throughput of the kernels and models, each checked before it is timed.
//   swift run -c release recs-bench [--cases seed] [--repeats 7] [--json out.json]
import ArgumentParser
import DeepCore
import Foundation

struct RecsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recs-bench", abstract: "Measure seed-model training and prediction throughput.")

    @Option(help: "Comma-separated cases: seed.")
    var cases = "seed"
    @Option(help: "Timed repeats per case (the median is reported).")
    var repeats = 7
    @Option(help: "Batch sizes for the training case.")
    var batchSizes = "32,256"
    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    func run() throws {
        print("recs-bench: kernels \(KernelISA.active), native \(KernelISA.native)")
        var results: [BenchResult] = []
        let wanted = Set(cases.split(separator: ",").map(String.init))
        if wanted.contains("seed") {
            let batches = batchSizes.split(separator: ",").compactMap { Int($0) }
            results += try SeedBench.run(batchSizes: batches, repeats: repeats)
            print(String(format: "seed model: %.0f FLOPs per training sample", SeedBench.flopsPerSample))
        }
        printTable(results)
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}

RecsBench.main()
