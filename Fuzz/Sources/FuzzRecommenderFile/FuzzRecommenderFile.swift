import EntertainmentRecs
import Foundation
import FuzzSupport

/// The input is a recommender file. When the first byte is odd its checksum is repaired
/// first, so mutations reach the parser behind the CRC. A file that loads must also serve:
/// recommendations, similar items, scores and a fold-in from its first user and item must
/// not crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecommenderFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = FuzzInput.bytes(data, size)
    let file = bytes[0] & 1 != 0 ? FuzzInput.withValidChecksum(Array(bytes.dropFirst())) : Array(bytes.dropFirst())
    let path = FuzzInput.write(file, to: "model.recs").path
    if let films = try? FilmRecommender.load(from: path) { exercise(films) }
    if let music = try? MusicRecommender.load(from: path) { exercise(music) }
    if let games = try? GameRecommender.load(from: path) { exercise(games) }
    return 0
}

private func exercise<E, U, I>(_ recommender: DomainRecommender<E, U, I>) {
    let users = recommender.engine.knownUsers, items = recommender.engine.knownItems
    if let user = users.first {
        _ = try? recommender.recommend(for: user, count: 5, explain: true)
        _ = try? recommender.recommend(for: Array(users.prefix(3)), count: 3)
        _ = try? recommender.scores(for: user, items: Array(items.prefix(3)))
    }
    if let item = items.first {
        _ = try? recommender.similarItems(to: item, count: 3)
        // Fold-in: a new user's vectors from the loaded weights (neural models start
        // from their mean user, or solve against the item vectors).
        _ = try? recommender.engine.recommend(history: [item: 1], count: 3, explain: true)
    }
}
