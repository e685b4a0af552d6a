import DeepCore
import Foundation

/// Seeded synthetic catalogs and interactions with realistic structure: items belong to
/// genres (films, games) or styles (music), popularity follows a power law, and each user
/// has one or two favourite genres that drive what they pick and how much they like it.
/// Generated in code, so demos and tests need no licensed data set.
public enum SyntheticData {
    static let filmGenres = ["Action", "Comedy", "Drama", "Horror", "Sci-Fi", "Romance", "Animation", "Thriller", "Documentary", "Western"]
    static let musicStyles = ["rock", "jazz", "hip-hop", "classical", "electronic", "folk", "metal", "soul"]
    static let gameGenres = ["RPG", "Strategy", "Shooter", "Puzzle", "Racing", "Platformer", "Simulation", "Sports"]
    static let adjectives = ["Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Distant", "Electric", "Frozen", "Wild",
                             "Midnight", "Lost", "Iron", "Secret", "Bright", "Hollow", "Endless", "Northern", "Velvet", "Burning"]
    static let nouns = ["Harbor", "Empire", "Garden", "Signal", "River", "Machine", "Kingdom", "Echo", "Horizon", "Circuit",
                        "Forest", "Voyage", "Mirror", "Storm", "Island", "Citadel", "Frontier", "Orchard", "Lantern", "Canyon"]

    /// Items with genres and power-law popularity, and users with favourite genres.
    struct World {
        var titles: [String]
        var genres: [[Int]]
        var popularity: [Double]
        var favourites: [[Int]]
    }

    static func world(items: Int, users: Int, genreCount: Int, seed: UInt64, titleSuffix: (Int) -> String) -> World {
        var rng = SeededGenerator(seed: seed)
        var titles: [String] = [], genres: [[Int]] = [], popularity: [Double] = []
        var used = Set<String>()
        for i in 0..<items {
            var title = ""
            repeat {
                title = "\(adjectives[rng.nextIndex(below: adjectives.count)]) \(nouns[rng.nextIndex(below: nouns.count)])"
                if used.contains(title) { title += " \(["II", "III", "Returns", "Rising", "Reborn"][rng.nextIndex(below: 5)])" }
            } while used.contains(title)
            used.insert(title)
            titles.append(title + titleSuffix(i))
            let primary = rng.nextIndex(below: genreCount)
            var g = [primary]
            if rng.nextUnitFloat() < 0.4 { g.append((primary + 1 + rng.nextIndex(below: genreCount - 1)) % genreCount) }
            genres.append(g)
            popularity.append(1 / pow(Double(i + 1), 0.7))  // Zipf-like: item 0 most popular
        }
        let favourites = (0..<users).map { _ -> [Int] in
            let a = rng.nextIndex(below: genreCount)
            return rng.nextUnitFloat() < 0.5 ? [a] : [a, (a + 1 + rng.nextIndex(below: genreCount - 1)) % genreCount]
        }
        return World(titles: titles, genres: genres, popularity: popularity, favourites: favourites)
    }

    /// For each user, `count` distinct items drawn by popularity × (30 if a favourite genre).
    static func picks(_ w: World, user: Int, count: Int, rng: inout SeededGenerator) -> [(item: Int, match: Bool)] {
        let fav = Set(w.favourites[user])
        let weights = w.popularity.indices.map { i in w.popularity[i] * (w.genres[i].contains { fav.contains($0) } ? 30 : 1) }
        var chosen = Set<Int>(), out: [(Int, Bool)] = []
        let total = weights.reduce(0, +)
        while out.count < min(count, w.titles.count) {
            var r = Double(rng.nextUnitFloat()) * total, i = 0
            while i < weights.count - 1 && r >= weights[i] { r -= weights[i]; i += 1 }
            if chosen.insert(i).inserted { out.append((i, w.genres[i].contains { fav.contains($0) })) }
        }
        return out
    }

    /// Films with genres and years, and viewers' ratings (1–5 stars).
    public static func films(viewers: Int = 600, films: Int = 400, seed: UInt64 = 1) -> (Catalog<FilmID>, [FilmRating]) {
        let w = world(items: films, users: viewers, genreCount: filmGenres.count, seed: seed) { _ in "" }
        var rng = SeededGenerator(seed: seed &+ 1)
        let catalog = Catalog((0..<films).map { i in
            CatalogItem(id: FilmID(Int64(i + 1)), title: w.titles[i], tags: w.genres[i].map { filmGenres[$0] },
                        year: 1970 + rng.nextIndex(below: 55))
        })
        var ratings: [FilmRating] = []
        for v in 0..<viewers {
            for (i, match) in picks(w, user: v, count: 10 + rng.nextIndex(below: 50), rng: &rng) {
                let stars = Float(min(5, max(1, (match ? 4 : 2) + rng.nextIndex(below: 3) - 1)))
                ratings.append(FilmRating(viewer: ViewerID(Int64(v + 1)), film: FilmID(Int64(i + 1)), stars: stars,
                                          date: Date(timeIntervalSince1970: 1_600_000_000 + Double(rng.nextIndex(below: 30_000_000)))))
            }
        }
        return (catalog, ratings)
    }

    /// Artists with style tags, and listeners' play counts (heavy-tailed).
    public static func music(listeners: Int = 500, artists: Int = 300, seed: UInt64 = 2) -> (Catalog<TrackID>, [Listen]) {
        let w = world(items: artists, users: listeners, genreCount: musicStyles.count, seed: seed) { _ in "" }
        var rng = SeededGenerator(seed: seed &+ 1)
        let catalog = Catalog((0..<artists).map { i in
            CatalogItem(id: TrackID(Int64(i + 1)), title: "The " + w.titles[i] + (w.titles[i].hasSuffix("s") ? "" : "s"), tags: w.genres[i].map { musicStyles[$0] })
        })
        var listens: [Listen] = []
        for l in 0..<listeners {
            for (i, match) in picks(w, user: l, count: 8 + rng.nextIndex(below: 40), rng: &rng) {
                let plays = Float(Int(pow(Double(1 - rng.nextUnitFloat()) + 1e-3, -1.2) * (match ? 40 : 5)))
                listens.append(Listen(listener: ListenerID(Int64(l + 1)), track: TrackID(Int64(i + 1)), plays: max(1, plays)))
            }
        }
        return (catalog, listens)
    }

    /// Games with genre tags, and players' hours (0 for bought, never played).
    public static func games(players: Int = 400, games: Int = 200, seed: UInt64 = 3) -> (Catalog<GameID>, [GamePlay]) {
        let w = world(items: games, users: players, genreCount: gameGenres.count, seed: seed) { _ in "" }
        var rng = SeededGenerator(seed: seed &+ 1)
        let catalog = Catalog((0..<games).map { i in
            CatalogItem(id: GameID(Int64(i + 1)), title: w.titles[i], tags: w.genres[i].map { gameGenres[$0] })
        })
        var plays: [GamePlay] = []
        for p in 0..<players {
            for (i, match) in picks(w, user: p, count: 5 + rng.nextIndex(below: 25), rng: &rng) {
                let hours: Float = rng.nextUnitFloat() < 0.15 ? 0 : (match ? 20 : 2) * (0.2 + 3 * rng.nextUnitFloat())
                plays.append(GamePlay(player: PlayerID(Int64(p + 1)), game: GameID(Int64(i + 1)), hours: hours, purchased: true))
            }
        }
        return (catalog, plays)
    }
}
