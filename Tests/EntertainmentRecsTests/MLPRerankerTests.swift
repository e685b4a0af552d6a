import DeepCore
import Foundation
import Testing
@testable import EntertainmentRecs

/// A genre world where popularity says nothing: 48 items in 4 interleaved genres (item
/// `i` has genre `i % 4` and one of 3 noise tags), 96 users each holding 6 consecutive
/// (cyclically) items of their genre `u % 4`, the sixth held out, which gives every item
/// the same count; 12 more users hold 8 items spread over every genre (training only), so
/// popularity varies, but not with genre. The genre of a user's history predicts the
/// held-out item; popularity does not.
func rerankGenreWorld() throws -> (split: BenchmarkSplit, features: ItemFeatures) {
    let genres = 4, perGenre = 12, users = 96, spread = 12, items = genres * perGenre
    var u: [Int32] = [], i: [Int32] = [], test: [(user: Int32, item: Int32)] = []
    for user in 0..<users {
        let g = user % genres, j = user / genres
        for s in 0..<6 {
            let item = Int32(g + genres * ((j + s) % perGenre))
            if s == 5 { test.append((Int32(user), item)) } else { u.append(Int32(user)); i.append(item) }
        }
    }
    for user in users..<(users + spread) {
        for k in 0..<8 { u.append(Int32(user)); i.append(Int32((user * 5 + k * 7) % items)) }
    }
    let train = try InteractionMatrix(userCount: users + spread, itemCount: items, users: u, items: i,
                                      weights: Array(repeating: 1, count: u.count))
    let negatives = test.map { pair in
        (0..<Int32(items)).filter { $0 != pair.item && !train.contains(user: Int(pair.user), item: $0) }.prefix(20).map { $0 }
    }
    let features = ItemFeatures(itemCount: items) { item in ["genre\(item % genres)", "tag\((item / genres) % 3)"] }
    return (BenchmarkSplit(train: train, test: test, negatives: negatives), features)
}

/// A neighbourhood world where features say nothing: 60 items on a circle, every one with
/// the same single tag; each of 240 users holds 6 of the 12 items of a window (cyclically,
/// seeded start and choice), one of them held out. The items near a user's history
/// predict the held-out one, which a co-occurrence base (EASE) sees and features cannot.
func rerankNeighbourWorld() throws -> (split: BenchmarkSplit, features: ItemFeatures) {
    let items = 60, users = 240
    var rng = SeededGenerator(seed: 7)
    var u: [Int32] = [], i: [Int32] = [], test: [(user: Int32, item: Int32)] = []
    for user in 0..<users {
        let start = rng.nextIndex(below: items)
        var window = Array(0..<12)
        for k in stride(from: 11, to: 0, by: -1) { window.swapAt(k, rng.nextIndex(below: k + 1)) }
        for (s, offset) in window.prefix(6).enumerated() {
            let item = Int32((start + offset) % items)
            if s == 0 { test.append((Int32(user), item)) } else { u.append(Int32(user)); i.append(item) }
        }
    }
    let train = try InteractionMatrix(userCount: users, itemCount: items, users: u, items: i,
                                      weights: Array(repeating: 1, count: u.count))
    let negatives = test.map { pair in
        (0..<Int32(items)).filter { $0 != pair.item && !train.contains(user: Int(pair.user), item: $0) }.prefix(20).map { $0 }
    }
    let features = ItemFeatures(itemCount: items) { _ in ["same"] }
    return (BenchmarkSplit(train: train, test: test, negatives: negatives), features)
}

/// An algorithm whose model cannot be saved (a fixed score row per user).
struct FixedScores: RecommenderAlgorithm {
    var name: String { "fixed" }
    var description: String { "fixed" }
    func fit(_ matrix: InteractionMatrix) throws -> any ScoringModel {
        EvalFixedScoreModel(itemCount: matrix.itemCount,
                            rows: (0..<matrix.userCount).map { u in (0..<matrix.itemCount).map { Float(($0 * 7 + u) % 11) } })
    }
}

@Suite("MLP reranker") struct MLPRerankerTests {
    static func reranker(_ features: ItemFeatures, candidates: Int = 100, epochs: Int = 3, seed: UInt64 = 42) -> MLPReranker {
        MLPReranker(base: Popularity(), features: features, candidates: candidates, epochs: epochs, learningRate: 0.01, seed: seed)
    }

    static func allScores(_ model: any ScoringModel, _ m: InteractionMatrix) -> [Float] {
        var out = [Float](repeating: 0, count: m.userCount * m.itemCount)
        let users = (0..<Int32(m.userCount)).map { $0 }
        out.withUnsafeMutableBufferPointer { model.scores(forUsers: users[...], training: m, into: $0) }
        return out
    }

    @Test func beatsPopularityWhenGenreDecides() throws {
        let (split, features) = try rerankGenreWorld()
        let evaluator = Evaluator(threadCount: 1)
        let popularity = try evaluator.evaluate(try Popularity().fit(split.train), on: split)
        let reranked = try evaluator.evaluate(try Self.reranker(features).fit(split.train), on: split)
        #expect(popularity.fullHitRate < 0.5, "popularity HR@10 \(popularity.fullHitRate)")
        #expect(reranked.fullHitRate >= 0.9, "reranked HR@10 \(reranked.fullHitRate)")
        #expect(reranked.fullHitRate >= popularity.fullHitRate + 0.4,
                "reranked HR@10 \(reranked.fullHitRate) vs popularity \(popularity.fullHitRate)")
        #expect(reranked.fullNDCG > popularity.fullNDCG + 0.3, "NDCG \(reranked.fullNDCG) vs \(popularity.fullNDCG)")
    }

    /// The base evidence is an input: where the features carry no information, the
    /// reranker keeps the base model's quality (the earlier design, features only, fell to
    /// popularity order here).
    @Test func keepsTheBaseWhenFeaturesSayNothing() throws {
        let (split, features) = try rerankNeighbourWorld()
        let evaluator = Evaluator(threadCount: 1)
        let base = try evaluator.evaluate(try EASE(lambda: 10).fit(split.train), on: split)
        let popularity = try evaluator.evaluate(try Popularity().fit(split.train), on: split)
        let algorithm = MLPReranker(base: EASE(lambda: 10), features: features, candidates: 20, epochs: 4, learningRate: 0.005)
        let reranked = try evaluator.evaluate(try algorithm.fit(split.train), on: split)
        #expect(base.fullHitRate >= 0.6 && popularity.fullHitRate < 0.4, "EASE \(base.fullHitRate), popularity \(popularity.fullHitRate)")
        #expect(reranked.fullNDCG >= base.fullNDCG - 0.03, "NDCG \(reranked.fullNDCG) vs EASE \(base.fullNDCG)")
        #expect(reranked.fullHitRate >= base.fullHitRate - 0.03, "HR@10 \(reranked.fullHitRate) vs EASE \(base.fullHitRate)")
    }

    /// The training lists come from held-out folds: in each list exactly one item is in
    /// the user's training row (the held-out one, labelled 1), the others are items the
    /// user never had, in base order; each fold holds out a different item per user.
    @Test func trainsOnHeldOutLists() throws {
        let (split, features) = try rerankGenreWorld()
        let m = split.train
        let algorithm = MLPReranker(base: Popularity(), features: features, candidates: 40, folds: 3)
        let data = try algorithm.trainingData(m)
        #expect(data.groupCount >= m.userCount && data.groupCount <= 3 * m.userCount, "\(data.groupCount) lists")
        var positives: [Int32: Set<Int32>] = [:]
        for g in 0..<data.groupCount {
            let rows = data.groupRows[g]..<data.groupRows[g + 1], user = Int(data.users[g])
            #expect(rows.count == 40)
            let held = rows.filter { m.contains(user: user, item: data.items[$0]) }
            #expect(held.count == 1 && held.allSatisfy { data.labels[$0] == 1 }, "list \(g)")
            #expect(rows.filter { data.labels[$0] == 1 }.count == 1)
            #expect(Set(rows.map { data.items[$0] }).count == rows.count)
            for (c, r) in rows.enumerated() {
                #expect(data.reciprocalRank[r] == 1 / Float(1 + c))
                if c > 0 { #expect(data.z[r] <= data.z[r - 1]) }
            }
            let item = data.items[held[0]]
            #expect(positives[Int32(user), default: []].insert(item).inserted, "user \(user) holds out \(item) twice")
        }
        let again = try algorithm.trainingData(m)
        #expect(again.items == data.items && again.labels == data.labels && again.z == data.z)
    }

    /// Exactly the best `candidates` unseen items by base score are lifted above every
    /// other item, each to its own value; everything else keeps the base score; fold-in
    /// from the same history gives the same scores.
    @Test func liftsOnlyTheCandidates() throws {
        let (split, features) = try rerankGenreWorld()
        let m = split.train
        let model = try Self.reranker(features, candidates: 7, epochs: 1).fit(m)
        let base = try Popularity().fit(m)
        for u in [0, 5, 42, 95] {
            let s = model.scores(forUser: Int32(u), training: m), b = base.scores(forUser: Int32(u), training: m)
            let top = b.max()!
            let unseen = (0..<m.itemCount).filter { !m.contains(user: u, item: Int32($0)) }
            // The best 7 unseen by base score, ties to the lower index.
            let expected = Set(unseen.sorted { b[$0] != b[$1] ? b[$0] > b[$1] : $0 < $1 }.prefix(7))
            let lift = max(1, abs(top))
            #expect(Set(expected.map { s[$0] }).count == 7, "user \(u): lifted scores tie")
            for i in 0..<m.itemCount {
                if expected.contains(i) {
                    #expect(s[i] > top + lift && s[i] <= top + 2 * lift, "user \(u) item \(i): \(s[i])")
                } else {
                    #expect(s[i] == b[i], "user \(u) item \(i): \(s[i]) vs base \(b[i])")
                }
            }
            var folded = [Float](repeating: 0, count: m.itemCount)
            let history = UserHistory(items: Array(m.items(ofUser: u)).reversed())
            folded.withUnsafeMutableBufferPointer { model.scores(forHistory: history, into: $0) }
            #expect(folded == s, "user \(u): fold-in differs")
        }
        var sim = [Float](repeating: 0, count: m.itemCount), baseSim = sim
        sim.withUnsafeMutableBufferPointer { model.similarities(toItem: 3, into: $0) }
        baseSim.withUnsafeMutableBufferPointer { base.similarities(toItem: 3, into: $0) }
        #expect(sim == baseSim)
    }

    @Test func sameSeedSameScores() throws {
        let (split, features) = try rerankGenreWorld()
        let a = Self.allScores(try Self.reranker(features, epochs: 2, seed: 9).fit(split.train), split.train)
        let b = Self.allScores(try Self.reranker(features, epochs: 2, seed: 9).fit(split.train), split.train)
        let c = Self.allScores(try Self.reranker(features, epochs: 2, seed: 10).fit(split.train), split.train)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func savedModelScoresTheSame() throws {
        let (split, features) = try rerankGenreWorld()
        let m = split.train
        for base in [any RecommenderAlgorithm](arrayLiteral: Popularity(), EASE(lambda: 10)) {
            let algorithm = MLPReranker(base: base, features: features, candidates: 10, epochs: 1)
            let model = try algorithm.fit(m)
            let saved = try #require(model as? any PersistableModel)
            var w = ByteWriter()
            saved.encode(to: &w)
            var r = ByteReader(bytes: w.bytes) { _, _ in RecommenderError.invalidModelFile(path: "", reason: "truncated") }
            let loaded = try ModelCoding.decode(kind: type(of: saved).kind, from: &r, path: "")
            #expect(r.remaining == 0)
            #expect(loaded.name == "rerank" && loaded.itemCount == m.itemCount)
            #expect(Self.allScores(loaded, m) == Self.allScores(model, m), "\(base)")
            var a = [Float](repeating: 0, count: m.itemCount), b = a
            let history = UserHistory(items: [0, 4, 8])
            a.withUnsafeMutableBufferPointer { model.scores(forHistory: history, into: $0) }
            b.withUnsafeMutableBufferPointer { loaded.scores(forHistory: history, into: $0) }
            #expect(a == b)

            // Every truncation is a typed error, never a crash.
            for cut in stride(from: 0, to: w.bytes.count, by: max(1, w.bytes.count / 300)) {
                var t = ByteReader(bytes: Array(w.bytes.prefix(cut))) { _, _ in RecommenderError.invalidModelFile(path: "", reason: "truncated") }
                #expect(throws: RecommenderError.self) { try ModelCoding.decode(kind: "rerank", from: &t, path: "") }
            }
        }
    }

    /// Through the engine and the recommender file (a factor model as base: its user
    /// count is checked against the file's user map).
    @Test func engineSavesAndLoadsAReranker() throws {
        let (split, features) = try rerankGenreWorld()
        let m = split.train
        var triples: [(user: ViewerID, item: FilmID, weight: Float)] = []
        for u in 0..<m.userCount { for i in m.items(ofUser: u) { triples.append((ViewerID(Int64(u)), FilmID(Int64(i)), 1)) } }
        let base = ImplicitALS(factors: 4, regularization: 1, alpha: 5, iterations: 2)
        let engine = RecommenderEngine<ViewerID, FilmID>(algorithm: MLPReranker(base: base, features: features, candidates: 10, epochs: 1))
        try engine.fit(triples)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rerank-\(getpid()).recs").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try engine.save(to: path)
        let loaded = try RecommenderEngine<ViewerID, FilmID>.load(from: path).engine
        for u in [0, 7, 100] {
            #expect(try loaded.recommend(for: ViewerID(Int64(u)), count: 12) == engine.recommend(for: ViewerID(Int64(u)), count: 12))
        }
        let history: [FilmID: Float] = [FilmID(1): 1, FilmID(5): 1, FilmID(9): 1]
        #expect(try loaded.recommend(history: history, count: 12) == engine.recommend(history: history, count: 12))
        // A base model that cannot be saved: saving is a typed error.
        let unsaved = RecommenderEngine<ViewerID, FilmID>(algorithm: MLPReranker(base: FixedScores(), features: features, epochs: 0))
        try unsaved.fit(triples)
        #expect(throws: RecommenderError.self) { try unsaved.save(to: path + ".unsaved") }
    }

    @Test func damagedPayloadsAreTypedErrors() throws {
        let (split, features) = try rerankGenreWorld()
        let model = try MLPReranker(base: Popularity(), features: features, candidates: 10, epochs: 0).fitReranker(split.train)
        func reload(_ bytes: [UInt8]) throws {
            var r = ByteReader(bytes: bytes) { _, _ in RecommenderError.invalidModelFile(path: "", reason: "truncated") }
            _ = try ModelCoding.decode(kind: "rerank", from: &r, path: "")
        }
        // A reranker over a reranker is refused (unbounded nesting in crafted files).
        var nested = ByteWriter()
        nested.write("rerank"); model.encode(to: &nested)
        #expect(throws: RecommenderError.self) { try reload(nested.bytes) }
        // A last layer that does not fit the previous one.
        let broken = MLPRerankerModel(base: model.base, inputs: model.inputs, candidates: 10,
                                      kernels: Array(model.kernels.dropLast()), biases: Array(model.biases.dropLast()))
        var w = ByteWriter()
        broken.encode(to: &w)
        #expect(throws: RecommenderError.self) { try reload(w.bytes) }
        // Another number of base-evidence inputs (a file of another layout).
        var head = ByteWriter()
        head.write("popularity"); (model.base as! any PersistableModel).encode(to: &head)
        var whole = ByteWriter()
        model.encode(to: &whole)
        var layout = whole.bytes
        #expect(layout[head.bytes.count + 16] == UInt8(RerankInputs.evidenceWidth))
        layout[head.bytes.count + 16] = 0
        #expect(throws: RecommenderError.self) { try reload(layout) }
        // Features for another catalog.
        let other = RerankInputs(features: ItemFeatures(itemCount: 47) { _ in ["genre0", "tag0"] }, popularity: model.inputs.popularity)
        var v = ByteWriter()
        MLPRerankerModel(base: model.base, inputs: other, candidates: 10, kernels: model.kernels, biases: model.biases).encode(to: &v)
        #expect(throws: RecommenderError.self) { try reload(v.bytes) }
    }

    @Test func badArgumentsAreTypedErrors() throws {
        let (split, features) = try rerankGenreWorld()
        let m = split.train
        let bad: [MLPReranker] = [
            MLPReranker(base: Popularity(), features: features, candidates: 0),
            MLPReranker(base: Popularity(), features: features, negatives: 0),
            MLPReranker(base: Popularity(), features: features, folds: 0),
            MLPReranker(base: Popularity(), features: features, folds: 101),
            MLPReranker(base: Popularity(), features: features, epochs: -1),
            MLPReranker(base: Popularity(), features: features, batchSize: 0),
            MLPReranker(base: Popularity(), features: features, learningRate: 0),
            MLPReranker(base: Popularity(), features: features, learningRate: .nan),
            MLPReranker(base: Popularity(), features: ItemFeatures(itemCount: 47) { _ in ["x"] }),
            MLPReranker(base: MLPReranker(base: Popularity(), features: features, epochs: 0), features: features, epochs: 0),
        ]
        for algorithm in bad {
            #expect(throws: RecommenderError.self, "\(algorithm)") { try algorithm.fit(m) }
        }
        let empty = try InteractionMatrix(userCount: 2, itemCount: 48, users: [], items: [], weights: [])
        #expect(throws: RecommenderError.self) { try MLPReranker(base: Popularity(), features: features).fit(empty) }
        // A base that cannot be saved gives a reranker that scores but cannot be saved.
        let unsaved = try MLPReranker(base: FixedScores(), features: features, candidates: 5, epochs: 0).fit(m)
        #expect(!(unsaved is any PersistableModel))
        #expect(unsaved.scores(forUser: 0, training: m).count == m.itemCount)
        #expect(MLPReranker(base: Popularity(), features: features).description.hasPrefix("rerank(base: popularity"))
    }
}
