import EntertainmentRecs
import Foundation
import FuzzSupport

/// The first byte picks the malformed-line policy (bit 0); the rest is `steam-200k.csv`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSteam(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = FuzzInput.bytes(data, size)
    let options = ReadOptions(onMalformedLine: bytes[0] & 1 != 0 ? .skip : .throw)
    let url = FuzzInput.write(bytes.dropFirst(), to: "steam-200k.csv")
    if let result = try? Steam200K.read(from: url, options: options) {
        // Every play must name a game of the catalog.
        let games = result.records.games.count
        for play in result.records.plays where play.game.rawValue < 0 || play.game.rawValue >= Int64(games) {
            fatalError("play names game \(play.game.rawValue) outside 0..<\(games)")
        }
    }
    return 0
}
