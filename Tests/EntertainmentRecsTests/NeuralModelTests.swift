import DeepCore
@testable import EntertainmentRecs
import Foundation
import Testing

@Suite("Neural recommenders") struct NeuralModelTests {
    /// Items 0..<10 are group 0, 10..<20 group 1 (a feature each); item 19 has no
    /// interactions at all. Group-1 users must get the cold item above every group-0 item.
    @Test func twoTowerRecommendsAnItemNobodyHasInteractedWith() throws {
        let (full, _) = checkerboard()
        var u: [Int32] = [], i: [Int32] = []
        for user in 0..<full.userCount { for item in full.items(ofUser: user) where item != 19 { u.append(Int32(user)); i.append(item) } }
        let m = try InteractionMatrix(userCount: full.userCount, itemCount: 20, users: u, items: i, weights: Array(repeating: 1, count: u.count))
        #expect(m.transposed().items(ofUser: 19).isEmpty)
        let features = ItemFeatures(itemCount: 20) { ["group\($0 / 10)"] }
        let model = try TwoTower(features: features, factors: 4, featureUnits: 4, epochs: 40, batchSize: 64, learningRate: 0.01).fit(m)
        for user in 20..<40 {
            let s = model.scores(forUser: Int32(user), training: m)
            #expect((0..<10).allSatisfy { s[19] > s[$0] }, "user \(user): cold item \(s[19]) vs group 0 \(s[0..<10].max()!)")
        }
    }

    @Test func foldInRanksTheGroupFirst() throws {
        let (m, _) = checkerboard()
        for algorithm in [NeuMF(gmfFactors: 4, mlpLayers: [8, 8], epochs: 60, batchSize: 64, learningRate: 0.01, embeddingUpdate: .lazy) as any RecommenderAlgorithm,
                          MultDAE(hidden: 16, dropout: 0.2, epochs: 200, batchSize: 8, learningRate: 0.01),
                          TwoTower(features: ItemFeatures(itemCount: 20) { ["group\($0 / 10)"] }, factors: 4, featureUnits: 4,
                                   epochs: 40, batchSize: 64, learningRate: 0.01)] {
            let model = try algorithm.fit(m)
            var s = [Float](repeating: 0, count: 20)
            s.withUnsafeMutableBufferPointer { model.scores(forHistory: UserHistory(items: [10, 11, 12, 13, 14]), into: $0) }
            let best = (15..<20).map { s[$0] }.min()!, worst = (0..<10).map { s[$0] }.max()!
            #expect(best > worst, "\(algorithm): unseen group-1 items \(best) vs group-0 \(worst)")
            let similar = [Float](unsafeUninitializedCapacity: 20) { b, n in model.similarities(toItem: 3, into: b); n = 20 }
            #expect((0..<10).map { similar[$0] }.min()! > (10..<20).map { similar[$0] }.max()!, "\(algorithm) similar items")
        }
    }

    @Test func sameSeedSameScoresAndModelFilesRoundTrip() throws {
        let (m, _) = checkerboard()
        let features = ItemFeatures(itemCount: 20) { ["group\($0 / 10)", "item\($0 % 3)"] }
        for algorithm in [NeuMF(gmfFactors: 4, mlpLayers: [8, 4], epochs: 3, pretrain: true) as any RecommenderAlgorithm,
                          NeuMF(gmfFactors: 0, mlpLayers: [8, 4], epochs: 2), NeuMF(gmfFactors: 4, mlpLayers: [], epochs: 2),
                          TwoTower(features: features, factors: 4, featureUnits: 3, epochs: 2),
                          MultDAE(hidden: 8, epochs: 2, batchSize: 8),
                          EDLAE(lambda: 2, dropout: 0.25, epochs: 3, batchSize: 8, learningRate: 0.01)] {
            let a = try algorithm.fit(m), b = try algorithm.fit(m)
            #expect(a.scores(forUser: 3, training: m) == b.scores(forUser: 3, training: m), "\(algorithm) is not reproducible")
            guard let p = a as? any PersistableModel else { Issue.record("\(algorithm) cannot be saved"); continue }
            var w = ByteWriter()
            p.encode(to: &w)
            var r = ByteReader(bytes: w.bytes) { _, _ in RecommenderError.invalidModelFile(path: "", reason: "truncated") }
            let loaded = try ModelCoding.decode(kind: type(of: p).kind, from: &r, path: "")
            #expect(loaded.scores(forUser: 3, training: m) == a.scores(forUser: 3, training: m))
            // Truncated payloads are errors, never traps.
            for cut in stride(from: 0, to: w.bytes.count, by: max(1, w.bytes.count / 17)) {
                var short = ByteReader(bytes: Array(w.bytes.prefix(cut))) { _, _ in RecommenderError.invalidModelFile(path: "", reason: "truncated") }
                #expect(throws: (any Error).self) { try ModelCoding.decode(kind: type(of: p).kind, from: &short, path: "") }
            }
        }
    }

    @Test func badSettingsAreTypedErrors() throws {
        let (m, _) = checkerboard()
        let bad: [any RecommenderAlgorithm] = [
            NeuMF(gmfFactors: 0, mlpLayers: []), NeuMF(mlpLayers: [7, 4]), NeuMF(negatives: 0), NeuMF(learningRate: .nan),
            TwoTower(features: ItemFeatures(itemCount: 5) { _ in ["x"] }),
            TwoTower(features: ItemFeatures(itemCount: 20) { _ in [] }, factors: 0),
            MultDAE(hidden: 0), MultDAE(dropout: 1), MultDAE(learningRate: -1),
            EDLAE(lambda: -1), EDLAE(lambda: .nan), EDLAE(dropout: 1), EDLAE(epochs: -1), EDLAE(batchSize: 0),
            EDLAE(learningRate: 0), EDLAE(memoryLimit: 1000),
        ]
        for algorithm in bad { #expect(throws: RecommenderError.self, "\(algorithm)") { try algorithm.fit(m) } }
        // A user holding every item leaves no negative to sample.
        let full = try InteractionMatrix(userCount: 1, itemCount: 3, users: [0, 0, 0], items: [0, 1, 2], weights: [1, 1, 1])
        #expect(throws: RecommenderError.self) { try NegativeSampler(full) }
    }

    /// Mult-DAE's fitted scorer (sparse encoder sum + GEMM) equals a Double forward pass of
    /// its weights: logits before the softmax, which is monotone.
    @Test func multDAEScorerMatchesTheNetwork() throws {
        let (m, _) = checkerboard(users: 12, items: 10)
        let model = try MultDAE(hidden: 6, dropout: 0, epochs: 3, batchSize: 4).fit(m) as! MultDAEModel
        let s = model.scores(forUser: 2, training: m)
        // Reference in Double from the stored weights.
        let items = m.items(ofUser: 2)
        var h = model.encoderBias.map(Double.init)
        for i in items { for j in 0..<6 { h[j] += Double(model.encoderKernel[Int(i) * 6 + j]) / Double(items.count).squareRoot() } }
        h = h.map { Foundation.tanh($0) }
        for i in 0..<10 {
            var z = Double(model.decoderBias[i])
            for j in 0..<6 { z += h[j] * Double(model.decoderKernel[j * 10 + i]) }
            #expect(abs(z - Double(s[i])) < 1e-4)
        }
    }

    /// Twenty items in ten pairs (2p, 2p + 1); every user holds two whole pairs. Only an
    /// item-to-item map knows each item's partner: given one item, EDLAE must rank its
    /// partner above every other item, and the item itself must not be predicted from
    /// itself (zero diagonal).
    @Test func edlaeLearnsItemPairs() throws {
        var u: [Int32] = [], i: [Int32] = []
        for user in 0..<90 {
            let p = user % 10, q = (p + 1 + user / 10) % 10
            for item in [2 * p, 2 * p + 1, 2 * q, 2 * q + 1].sorted() { u.append(Int32(user)); i.append(Int32(item)) }
        }
        let m = try InteractionMatrix(userCount: 90, itemCount: 20, users: u, items: i, weights: Array(repeating: 1, count: u.count))
        for dropout: Float in [0, 0.5] {
            let model = try EDLAE(lambda: 1, dropout: dropout, epochs: 100, batchSize: 16, learningRate: 0.02).fit(m)
            let weights = (model as! EDLAEModel).weights
            #expect((0..<20).allSatisfy { weights[$0 * 21] == 0 })
            for item in 0..<20 {
                var s = [Float](repeating: 0, count: 20)
                s.withUnsafeMutableBufferPointer { model.scores(forHistory: UserHistory(items: [Int32(item)]), into: $0) }
                let partner = item ^ 1
                #expect(s[item] == 0)
                #expect((0..<20).allSatisfy { $0 == partner || s[$0] < s[partner] }, "dropout \(dropout): item \(item) → \(s)")
            }
            let similar = [Float](unsafeUninitializedCapacity: 20) { b, n in model.similarities(toItem: 4, into: b); n = 20 }
            #expect((0..<20).allSatisfy { $0 == 4 || $0 == 5 || similar[$0] < similar[5] })
        }
    }

    /// Without dropout, EDLAE's objective is EASE's (λ in the same units): trained long
    /// enough by Adam through `fit`, its weights come to EASE's closed form.
    @Test func edlaeWithoutDropoutConvergesToEASE() throws {
        let (m, _) = checkerboard(users: 24, items: 12)
        let lambda: Float = 4
        let ease = (try EASE(lambda: lambda).fit(m) as! EASEModel).weights
        let edlae = (try EDLAE(lambda: lambda, dropout: 0, epochs: 400, batchSize: 24, learningRate: 0.02).fit(m) as! EDLAEModel).weights
        let scale = ease.map(abs).max()!
        let worst = zip(ease, edlae).map { abs($0 - $1) }.max()!
        #expect(worst < 0.02 * scale, "largest difference \(worst) against EASE's largest weight \(scale)")
    }

    @Test func negativeSamplerSkipsPositivesAndIsSeeded() throws {
        let (m, _) = checkerboard()
        for distribution in NegativeSampler.Distribution.allCases {
            let sampler = try NegativeSampler(m, distribution: distribution)
            var a = SeededGenerator(seed: 4), b = SeededGenerator(seed: 4)
            var drawn = Set<Int32>()
            for _ in 0..<2000 {
                let j = sampler.negative(for: 0, rng: &a)
                #expect(!m.contains(user: 0, item: j))
                #expect(j == sampler.negative(for: 0, rng: &b))
                drawn.insert(j)
            }
            #expect(drawn.count == 11, "\(distribution): \(drawn.count) distinct negatives")   // 10 other-group + the held-out one
            let epoch = sampler.pointwiseEpoch(negatives: 3, rng: &a)
            #expect(epoch.labels.count == m.count * 4 && epoch.labels.filter { $0 == 1 }.count == m.count)
        }
    }
}

@Suite("Neural recommenders in the domain API") struct NeuralDomainTests {
    /// Players 1–15 play RPGs (games 1–10), 16–30 racing games (11–20); game 99 is an RPG
    /// in the catalog that nobody has played. TwoTower gets the catalog's tags, so RPG
    /// players get game 99 above every racing game, and it appears in their recommendations.
    @Test func gameRecommenderRecommendsANewCatalogGameFromItsTags() throws {
        var items = (1...20).map { CatalogItem(id: GameID(Int64($0)), title: "Game \($0)", tags: [$0 <= 10 ? "RPG" : "Racing"]) }
        items.append(CatalogItem(id: GameID(99), title: "Brand New Quest", tags: ["RPG"]))
        var plays: [GamePlay] = []
        for p in 1...30 {
            let games = p <= 15 ? Array(1...10) : Array(11...20)
            for g in games where (g + p) % 4 != 0 {
                plays.append(GamePlay(player: PlayerID(Int64(p)), game: GameID(Int64(g)), hours: 5, purchased: true))
            }
        }
        let recommender = GameRecommender(algorithm: TwoTower.fromCatalog(factors: 8, featureUnits: 4, epochs: 40, learningRate: 0.01),
                                          catalog: Catalog(items))
        try recommender.fit(plays)
        for p in 1...15 {
            let scores = try recommender.scores(for: PlayerID(Int64(p)), items: [GameID(99)] + (11...20).map { GameID(Int64($0)) })
            #expect(scores[1...].allSatisfy { scores[0] > $0 }, "player \(p): new RPG \(scores[0]) vs racing \(scores[1...].max()!)")
        }
        let top = try recommender.recommend(for: PlayerID(2), count: 5)
        #expect(top.contains { $0.item == GameID(99) && $0.title == "Brand New Quest" }, "\(top.map(\.item))")
        // A classical model never sees the unplayed game.
        let als = GameRecommender(algorithm: ImplicitALS(factors: 4, iterations: 3), catalog: Catalog(items))
        try als.fit(plays)
        #expect(throws: RecommenderError.self) { try als.scores(for: PlayerID(2), items: [GameID(99)]) }
    }
}
