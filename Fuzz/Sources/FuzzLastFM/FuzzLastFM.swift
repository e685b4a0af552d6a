import EntertainmentRecs
import Foundation
import FuzzSupport

/// The first byte picks the reader (low 2 bits) and the malformed-line policy (bit 3). For
/// the tag readers the rest is `tags.dat`, a NUL byte, then `user_taggedartists.dat`
/// (and for the catalog a second NUL, then `artists.dat`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLastFM(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = FuzzInput.bytes(data, size)
    let options = ReadOptions(onMalformedLine: bytes[0] & 8 != 0 ? .skip : .throw)
    let body = Array(bytes.dropFirst())
    switch bytes[0] % 4 {
    case 0:
        _ = try? LastFM2K.readListens(from: FuzzInput.write(body, to: "user_artists.dat"), options: options)
    case 1:
        _ = try? LastFM2K.readArtists(from: FuzzInput.write(body, to: "artists.dat"), options: options)
    case 2:
        let files = FuzzInput.parts(body, count: 2)
        let tags = FuzzInput.write(files[0], to: "tags.dat")
        let assignments = FuzzInput.write(files.count > 1 ? files[1] : [], to: "user_taggedartists.dat")
        _ = try? LastFM2K.readArtistTags(tags: tags, assignments: assignments, options: options)
    default:
        let files = FuzzInput.parts(body, count: 3)
        FuzzInput.write(files[0], to: "lastfm/tags.dat")
        FuzzInput.write(files.count > 1 ? files[1] : [], to: "lastfm/user_taggedartists.dat")
        FuzzInput.write(files.count > 2 ? files[2] : [], to: "lastfm/artists.dat")
        _ = try? LastFM2K.readCatalog(in: FuzzInput.folder.appendingPathComponent("lastfm"), options: options)
    }
    return 0
}
