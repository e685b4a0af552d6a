import DeepCore
import EntertainmentRecs
import Foundation

/// Writes the seed corpora under `Corpus/<harness>/`: tiny hand-made files (no licensed
/// data), each prefixed with the harness's selector byte. Run from the Fuzz folder:
/// `swift run --scratch-path .build-seeds MakeSeeds`.
@main
struct MakeSeeds {
    static let corpus = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Corpus")

    static func main() throws {
        try textSeeds()
        try benchmarkSeeds()
        try weightsSeeds()
        try recommenderSeeds()
    }

    static func seed(_ harness: String, _ name: String, _ bytes: [UInt8]) throws {
        let folder = corpus.appendingPathComponent(harness)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    static func seed(_ harness: String, _ name: String, selector: UInt8, _ text: String) throws {
        try seed(harness, name, [selector] + Array(text.utf8))
    }

    static func textSeeds() throws {
        let udata = "1\t10\t4\t881250949\n2\t10\t3.5\t891717742\r\n3\t7\t1\t878887116\n"
        let uitem = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
            + "2|Caf\u{E9} (1996)|01-Jan-1996||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n"
        let ratingsDat = "1::1193::5::978300760\n1::661::3::978302109\n2::3408::4.5::978300275\n"
        let moviesDat = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Title: With Colon (1999)::(no genres listed)\n"
        let ratingsCSV = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.5,964981247\n"
        let moviesCSV = "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n"
            + "2,\"American President, The (1995)\",Comedy|Drama\n3,\"Say \"\"Hi\"\" (2001)\",(no genres listed)\n"
        let movieLens = [udata, uitem, ratingsDat, moviesDat, ratingsCSV, moviesCSV, udata, ratingsCSV]
        for (k, text) in movieLens.enumerated() {
            try seed("FuzzMovieLens", "kind\(k)", selector: UInt8(k), text)
            try seed("FuzzMovieLens", "kind\(k)-skip", selector: UInt8(k) | 8, text + "bad line\n")
        }

        let listens = "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t5\n"
        let artists = "id\tname\turl\tpictureURL\n51\tDuran Duran\thttp://a\thttp://b\n52\tMorcheeba\t\t\n"
        let tags = "tagID\ttagValue\n1\tmetal\n2\tnew wave\n"
        let tagged = "userID\tartistID\ttagID\tday\tmonth\tyear\n2\t52\t1\t1\t4\t2009\n2\t51\t2\t1\t4\t2009\n3\t51\t2\t1\t4\t2009\n"
        try seed("FuzzLastFM", "listens", selector: 0, listens)
        try seed("FuzzLastFM", "artists", selector: 1, artists)
        try seed("FuzzLastFM", "tags", selector: 2, tags + "\0" + tagged)
        try seed("FuzzLastFM", "catalog", selector: 3, tags + "\0" + tagged + "\0" + artists)
        try seed("FuzzLastFM", "listens-skip", selector: 8, listens + "x\t\t\n")

        let steam = "151603712,\"The Elder Scrolls V Skyrim\",purchase,1.0,0\n"
            + "151603712,\"The Elder Scrolls V Skyrim\",play,273.0,0\n"
            + "187131847,\"Game, With \"\"Quotes\"\"\",play,0.5,0\n59945701,Portal,purchase,1.0,0\n"
        try seed("FuzzSteam", "steam", selector: 0, steam)
        try seed("FuzzSteam", "steam-skip", selector: 1, steam + "1,x,rent,1,0\n")
    }

    /// A valid leave-one-out folder: 102 items, 3 users, in the harness's file order.
    static func benchmarkSeeds() throws {
        let items = (0..<102).map { "\($0)\tm\($0)\tItem \($0)\tDrama|Comedy\n" }.joined()
        let train: [(Int, Int)] = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 0), (2, 2)]
        let test: [(Int, Int)] = [(0, 3), (1, 4)]
        let validTrain: [(Int, Int)] = [(0, 0), (1, 1), (2, 0), (2, 2)]
        let validTest: [(Int, Int)] = [(0, 1), (1, 2)]
        func pairs(_ p: [(Int, Int)], weight: Bool) -> String {
            p.map { weight ? "\($0.0)\t\($0.1)\t1\n" : "\($0.0)\t\($0.1)\n" }.joined()
        }
        /// 99 items per test user that are neither its training items nor its test item.
        func negatives(_ test: [(Int, Int)], train: [(Int, Int)]) -> String {
            test.map { user, held in
                let seen = Set(train.filter { $0.0 == user }.map(\.1) + [held])
                let picks = (0..<102).filter { !seen.contains($0) }.prefix(99)
                return "\(user)\t" + picks.map(String.init).joined(separator: "\t") + "\n"
            }.joined()
        }
        let users = "0\tu0\n1\tu1\n2\tu2\n"
        let parts = [items, pairs(train, weight: true), pairs(test, weight: false), negatives(test, train: train),
                     pairs(validTrain, weight: true), pairs(validTest, weight: false), negatives(validTest, train: validTrain)]
        try seed("FuzzBenchmarkFolder", "with-users", Array((parts + [users]).joined(separator: "\0").utf8))
        try seed("FuzzBenchmarkFolder", "without-users", Array(parts.joined(separator: "\0").utf8))
    }

    static func weightsSeeds() throws {
        let model = Sequential([Input(shape: [3]), Dense(units: 4, activation: .relu), Dense(units: 2)])
        try model.build(inputShape: [3])
        let path = NSTemporaryDirectory() + "make-seeds-\(getpid()).weights"
        try model.saveWeights(to: path)
        defer { unlink(path) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try seed("FuzzWeights", "model-raw", [0] + bytes)
        try seed("FuzzWeights", "model-crc", [1] + bytes)
    }

    static func recommenderSeeds() throws {
        let catalog = Catalog((1...6).map { CatalogItem(id: FilmID(Int64($0)), title: "Film \($0)", tags: ["tag"], year: 1990 + $0) })
        let ratings = [(1, 1), (1, 2), (2, 2), (2, 3), (3, 1), (3, 3), (4, 4), (4, 5), (5, 5), (5, 6)].map {
            FilmRating(viewer: ViewerID(Int64($0.0)), film: FilmID(Int64($0.1)), stars: 4)
        }
        let algorithms: [any RecommenderAlgorithm] = [
            Popularity(), ItemKNN(neighbors: 3), ImplicitALS(factors: 2, iterations: 2),
            EASE(lambda: 1), BPR(factors: 2, iterations: 2),
        ]
        let path = NSTemporaryDirectory() + "make-seeds-\(getpid()).recs"
        defer { unlink(path) }
        for algorithm in algorithms {
            let films = FilmRecommender(algorithm: algorithm, catalog: catalog)
            try films.fit(ratings)
            try films.save(to: path)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            try seed("FuzzRecommenderFile", "film-\(algorithm.name)", [1] + bytes)
        }
        let music = MusicRecommender(algorithm: Popularity())
        try music.fit([Listen(listener: ListenerID(1), track: TrackID(7), plays: 3),
                       Listen(listener: ListenerID(2), track: TrackID(8), plays: 1)])
        try music.save(to: path)
        try seed("FuzzRecommenderFile", "music-popularity-raw", [0] + [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        let games = GameRecommender(algorithm: ItemKNN(neighbors: 2))
        try games.fit([GamePlay(player: PlayerID(1), game: GameID(0), hours: 2),
                       GamePlay(player: PlayerID(1), game: GameID(1), hours: 1),
                       GamePlay(player: PlayerID(2), game: GameID(1), hours: 5)])
        try games.save(to: path)
        try seed("FuzzRecommenderFile", "game-itemknn", [1] + [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }
}
