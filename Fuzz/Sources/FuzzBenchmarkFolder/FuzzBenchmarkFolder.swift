import EntertainmentRecs
import Foundation
import FuzzSupport

/// The input is the files of a leave-one-out benchmark folder separated by NUL bytes, in
/// the order of `files`; a file past the last part is absent (7 parts: no `users.tsv`).
let files = [
    "items.tsv", "train.tsv", "test.tsv", "test.negative",
    "valid/train.tsv", "valid/test.tsv", "valid/test.negative", "users.tsv",
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBenchmarkFolder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = FuzzInput.parts(FuzzInput.bytes(data, size), count: files.count)
    for (k, name) in files.enumerated() {
        let path = "bench/" + name
        if k < parts.count { FuzzInput.write(parts[k], to: path) } else { FuzzInput.remove(path) }
    }
    if let dataset = try? BenchmarkDataset.load(from: FuzzInput.folder.appendingPathComponent("bench")) {
        // What load promises: negatives line up with test pairs and ids are in range.
        for split in [dataset.test, dataset.validation] {
            precondition(split.negatives.count == split.test.count, "negatives do not follow test.tsv")
            for pair in split.test {
                precondition(Int(pair.user) < dataset.userCount && Int(pair.item) < dataset.itemCount,
                             "test pair out of range")
            }
        }
    }
    return 0
}
