import DeepCore
import Foundation
import FuzzSupport

/// A small built model the weights are loaded into (3 → 4 → 2).
nonisolated(unsafe) private let model: Sequential = {
    let m = Sequential([Input(shape: [3]), Dense(units: 4, activation: .relu), Dense(units: 2)])
    do { try m.build(inputShape: [3]) } catch { fatalError("cannot build the fuzz model: \(error)") }
    return m
}()

/// The input is a weights file. When the first byte is odd its checksum is repaired first,
/// so mutations reach the header parser behind the CRC.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWeights(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = FuzzInput.bytes(data, size)
    let file = bytes[0] & 1 != 0 ? FuzzInput.withValidChecksum(Array(bytes.dropFirst())) : Array(bytes.dropFirst())
    let url = FuzzInput.write(file, to: "model.weights")
    try? model.loadWeights(from: url.path)
    return 0
}
