// recs-bench: throughput of the kernels and models, each checked before it is timed.
//   swift run -c release recs-bench [--cases peak,gemm,seed,alloc,recs,ials,topk,ease,neumf,neumf1m] [--repeats 7] [--json out.json]
//   (recs: iALS per iteration, top-K serving, EASE fit; --benchmarks DIR adds the real catalogs;
//    ials: only recs' iALS-per-iteration rows; ease: only recs' EASE fits, both solvers (needs --benchmarks);
//    neumf: NeuMF training with lazy and dense embedding updates, and scoring, on an ML-100K-sized
//    set; neumf1m: the same on MovieLens-1M's 6,040 × 3,706 shape; --neumf-variants lazy picks one update)
import ArgumentParser
import DeepCore
import Foundation

struct RecsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recs-bench",
        abstract: "Measure FP32 peak, GEMM per ISA vs OpenBLAS, seed-model training and prediction, allocations per step, recommenders, NeuMF training and scoring.")

    @Option(help: "Comma-separated cases: peak, gemm, seed, alloc, recs, ials / topk (only recs' iALS / top-K rows), ease (only its EASE fits; needs --benchmarks), neumf, neumf1m (seed also measures the peak).")
    var cases = "peak,gemm,seed,alloc,recs,neumf,neumf1m"
    @Option(help: "The leave-one-out benchmark folder (../shared/benchmarks) for EASE fit times.")
    var benchmarks: String?
    @Option(help: "Timed repeats per case (the median is reported).")
    var repeats = 7
    @Option(help: "Batch sizes for the training case.")
    var batchSizes = "32,256"
    @Option(help: "Thread counts for the training case (Sequential.threads).")
    var threads = "1,2"
    @Option(help: "GEMM shapes as MxNxK, comma-separated (default: the training shapes, 1024³, 2048³).")
    var gemmShapes: String?
    @Option(help: "Embedding updates the NeuMF cases train with, comma-separated: lazy, dense.")
    var neumfVariants = "lazy,dense"
    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    func run() throws {
        let known = Set(["peak", "gemm", "seed", "alloc", "recs", "ials", "topk", "ease"] + NeuralBench.Shape.all.map(\.name))
        let wanted = Set(cases.split(separator: ",").map(String.init))
        guard wanted.isSubset(of: known) else {
            throw ValidationError("unknown case(s): \(wanted.subtracting(known).sorted().joined(separator: ", "))")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        let updates = neumfVariants.split(separator: ",").map(String.init)
        let knownUpdates = NeuralBench.variants.map(\.0)
        guard !updates.isEmpty, updates.allSatisfy(knownUpdates.contains) else {
            throw ValidationError("--neumf-variants: choose from \(knownUpdates.joined(separator: ", ")), got '\(neumfVariants)'")
        }
        let batches = batchSizes.split(separator: ",").compactMap { Int($0) }
        print("recs-bench: kernels \(KernelISA.active), native \(KernelISA.native), available "
              + KernelISA.available.map(\.description).joined(separator: " "))
        var results: [BenchResult] = []
        if wanted.contains("gemm") {
            let shapes = try gemmShapes.map(parseShapes) ?? GemmBench.defaultShapes
            results += GemmBench.run(shapes: shapes, repeats: repeats)
            print("gemm: scalar only up to \(Int(GemmBench.scalarMaxFlops)) FLOPs per call; every variant within "
                  + "\(GemmBench.tolerance) (normwise) of OpenBLAS, OpenBLAS within \(GemmBench.blasTolerance) of Double")
        }
        // The peak is measured just before the seed case that is expressed as a fraction of it.
        var peak: Double?
        if wanted.contains("peak") || wanted.contains("seed") {
            let p = PeakBench.run(repeats: repeats)
            results += p.results
            peak = p.perCore
            print(String(format: "FP32 peak (FMA loop, one core, best repeat): %.1f GFLOP/s", p.perCore))
        }
        if wanted.contains("seed") {
            let threadCounts = threads.split(separator: ",").compactMap { Int($0) }
            results += try SeedBench.run(batchSizes: batches, threads: threadCounts, repeats: repeats, peak: peak)
            print(String(format: "seed model: %.0f FLOPs per training sample (6·MACs), %.0f per predicted sample",
                         SeedBench.flopsPerSample, SeedBench.predictFlopsPerSample))
        }
        if wanted.contains("alloc") {
            results += try AllocBench.run(batchSizes: batches, threads: threads.split(separator: ",").compactMap { Int($0) })
        }
        if wanted.contains("recs") {
            results += try RecommenderBench.run(repeats: repeats, benchmarks: benchmarks)
        } else if wanted.contains("ials") || wanted.contains("topk") {
            results += try RecommenderBench.run(repeats: repeats, benchmarks: nil, ials: wanted.contains("ials"),
                                                topK: wanted.contains("topk"))
        }
        if wanted.contains("ease") && !wanted.contains("recs") {
            guard let benchmarks else { throw ValidationError("--cases ease needs --benchmarks DIR") }
            results += try RecommenderBench.easeFits(repeats: repeats, benchmarks: benchmarks)
        }
        for shape in NeuralBench.Shape.all where wanted.contains(shape.name) {
            results += try NeuralBench.run(shape, variants: updates, repeats: repeats)
        }
        printTable(results)
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }

    func parseShapes(_ text: String) throws -> [GemmBench.Shape] {
        try text.split(separator: ",").map { item in
            let d = item.split(whereSeparator: { $0 == "x" || $0 == "×" }).compactMap { Int($0) }
            guard d.count == 3, d.allSatisfy({ $0 > 0 }) else { throw ValidationError("bad GEMM shape \(item)") }
            return GemmBench.Shape(m: d[0], n: d[1], k: d[2])
        }
    }
}

RecsBench.main()
