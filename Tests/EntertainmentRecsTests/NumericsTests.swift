@testable import EntertainmentRecs
import Testing

let everyAlgorithm: [any RecommenderAlgorithm] = [
    Popularity(), ItemKNN(neighbors: 5), ImplicitALS(factors: 4, iterations: 3),
    ImplicitALS(factors: 4, iterations: 3, solver: .cholesky), EASE(lambda: 1), BPR(factors: 4, iterations: 5),
]

/// Degenerate data: defined results or clear errors, never NaN in recommendations.
@Suite("Numerics on degenerate data") struct NumericsTests {
    func engine(_ a: any RecommenderAlgorithm, _ triples: [(Int64, Int64, Float)]) throws -> RecommenderEngine<PlayerID, GameID> {
        let e = RecommenderEngine<PlayerID, GameID>(algorithm: a)
        try e.fit(triples.map { (user: PlayerID($0.0), item: GameID($0.1), weight: $0.2) })
        return e
    }

    @Test(arguments: everyAlgorithm.indices)
    func singleItemAndSingleUser(index: Int) throws {
        let a = everyAlgorithm[index]
        // One item: everybody has it, so nothing is left to recommend.
        let oneItem = try engine(a, [(1, 7, 1), (2, 7, 3)])
        #expect(try oneItem.recommend(for: PlayerID(1), count: 5).isEmpty)
        #expect(try oneItem.similarItems(to: GameID(7), count: 3).isEmpty)
        // One user: recommends nothing they have; scores finite.
        let oneUser = try engine(a, [(1, 1, 1), (1, 2, 2)])
        #expect(try oneUser.recommend(for: PlayerID(1), count: 5).isEmpty)
        #expect(try oneUser.scores(for: PlayerID(1), items: [GameID(1), GameID(2)]).allSatisfy { $0.isFinite })
    }

    @Test(arguments: everyAlgorithm.indices)
    func zeroAndDenormalWeightsGiveFiniteScores(index: Int) throws {
        let a = everyAlgorithm[index]
        let tiny = Float.leastNonzeroMagnitude
        let e = try engine(a, [(1, 1, 0), (1, 2, tiny), (2, 2, 0), (2, 3, 1), (3, 1, tiny), (3, 3, 0), (4, 4, 0)])
        for u in 1...4 {
            let recs = try e.recommend(for: PlayerID(Int64(u)), count: 4)
            #expect(recs.allSatisfy { $0.score.isFinite }, "\(a) user \(u): \(recs)")
        }
        let folded = try e.recommend(history: [GameID(1): 0, GameID(3): tiny], count: 4)
        #expect(folded.allSatisfy { $0.score.isFinite })
        #expect(try e.recommend(history: [:], count: 2).count == 2)   // no history: popular items
    }

    /// Neural models on the same degenerate data: a one-item catalog leaves no negative to
    /// sample (a clear error for the sampled models, nothing to recommend for Mult-DAE);
    /// zero and denormal weights give finite scores, fold-in included.
    @Test(arguments: [0, 1, 2])
    func neuralModelsOnDegenerateData(index: Int) throws {
        let a: any RecommenderAlgorithm = [NeuMF(gmfFactors: 2, mlpLayers: [4, 2], epochs: 2) as any RecommenderAlgorithm,
                                           TwoTower.fromCatalog(factors: 2, featureUnits: 2, epochs: 2),
                                           MultDAE(hidden: 4, epochs: 2, batchSize: 2)][index]
        do {
            let oneItem = try engine(a, [(1, 7, 1), (2, 7, 3)])
            #expect(try oneItem.recommend(for: PlayerID(1), count: 5).isEmpty)
        } catch is RecommenderError {}
        let tiny = Float.leastNonzeroMagnitude
        let e = try engine(a, [(1, 1, 0), (1, 2, tiny), (2, 2, 0), (2, 3, 1), (3, 1, tiny), (3, 3, 0), (4, 4, 0)])
        for u in 1...4 {
            let recs = try e.recommend(for: PlayerID(Int64(u)), count: 4)
            #expect(recs.allSatisfy { $0.score.isFinite }, "\(a) user \(u): \(recs)")
        }
        #expect(try e.recommend(history: [GameID(1): 0, GameID(3): tiny], count: 4).allSatisfy { $0.score.isFinite })
        #expect(try e.similarItems(to: GameID(1), count: 3).allSatisfy { $0.score.isFinite })
    }

    @Test func hugeWeightsStayFinite() throws {
        for a in [ImplicitALS(factors: 4, iterations: 3) as any RecommenderAlgorithm, EASE(lambda: 1), ItemKNN(neighbors: 5)] {
            let e = try engine(a, [(1, 1, 1e30), (1, 2, 1e30), (2, 2, 1e30), (2, 3, 1), (3, 1, 1)])
            let recs = try e.recommend(for: PlayerID(3), count: 2)
            #expect(recs.allSatisfy { !$0.score.isNaN }, "\(a): \(recs)")
        }
    }
}
