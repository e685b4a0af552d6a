import EntertainmentRecs
import Foundation
import FuzzSupport

/// The first byte picks a MovieLens file kind (low 3 bits) and the malformed-line policy
/// (bit 3); the rest is the file. Thrown errors are expected; only crashes are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMovieLens(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = FuzzInput.bytes(data, size)
    let options = ReadOptions(onMalformedLine: bytes[0] & 8 != 0 ? .skip : .throw)
    let url = FuzzInput.write(bytes.dropFirst(), to: "input")
    switch bytes[0] % 8 {
    case 0: _ = try? MovieLens100K.readRatings(from: url, options: options)
    case 1: _ = try? MovieLens100K.readFilms(from: url, options: options)
    case 2: _ = try? MovieLens1M.readRatings(from: url, options: options)
    case 3: _ = try? MovieLens1M.readFilms(from: url, options: options)
    case 4: _ = try? MovieLensLatest.readRatings(from: url, options: options)
    case 5: _ = try? MovieLensLatest.readFilms(from: url, options: options)
    case 6: _ = try? MovieLens100K.forEachRating(in: url, options: options) { _ in }
    default: _ = try? MovieLensLatest.forEachRating(in: url, options: options) { _ in }
    }
    return 0
}
