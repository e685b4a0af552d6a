@testable import EntertainmentRecs
import Foundation
import Testing

/// Two taste groups on a checkerboard: users 0..<g like items 0..<h, the others like
/// h..<2h. Each user misses one item of their group (the held-out item).
func checkerboard(users: Int = 40, items: Int = 20) -> (InteractionMatrix, [Int32]) {
    var u: [Int32] = [], i: [Int32] = [], held: [Int32] = []
    let half = items / 2
    for user in 0..<users {
        let group = user < users / 2 ? 0 : 1
        let missing = Int32(group * half + user % half)
        held.append(missing)
        for item in (group * half)..<((group + 1) * half) where Int32(item) != missing {
            u.append(Int32(user)); i.append(Int32(item))
        }
    }
    let m = try! InteractionMatrix(userCount: users, itemCount: items, users: u, items: i,
                                   weights: Array(repeating: 1, count: u.count))
    return (m, held)
}

let plantedAlgorithms: [any RecommenderAlgorithm] = [
    ItemKNN(neighbors: 20),
    ImplicitALS(factors: 2, regularization: 1, alpha: 5, iterations: 10),
    ImplicitALS(factors: 2, regularization: 1, alpha: 5, iterations: 10, solver: .cholesky),
    EASE(lambda: 1),
    BPR(factors: 4, learningRate: 0.05, regularization: 0.01, iterations: 300),
    BPR(factors: 4, learningRate: 0.05, regularization: 0.01, iterations: 300, skipsLikedNegatives: true),
    BPR(factors: 4, learningRate: 0.05, regularization: 0.01, iterations: 300, skipsLikedNegatives: true, negativeCandidates: 2),
    NeuMF(gmfFactors: 4, mlpLayers: [8, 8], epochs: 60, batchSize: 64, learningRate: 0.01, embeddingUpdate: .lazy),
    NeuMF(gmfFactors: 4, mlpLayers: [8, 8], epochs: 40, batchSize: 64, learningRate: 0.01, embeddingUpdate: .dense, pretrain: true),
    TwoTower(features: ItemFeatures(itemCount: 20) { ["group\($0 / 10)"] }, factors: 4, featureUnits: 4, epochs: 40,
             batchSize: 64, learningRate: 0.01),
    MultDAE(hidden: 16, dropout: 0.2, epochs: 200, batchSize: 8, learningRate: 0.01),
    EDLAE(lambda: 1, dropout: 0.2, epochs: 60, batchSize: 8, learningRate: 0.01),
    NeuMF(gmfFactors: 4, mlpLayers: [8, 8], epochs: 40, batchSize: 64, learningRate: 0.01, objective: .bpr),
    TwoTower(features: ItemFeatures(itemCount: 20) { ["group\($0 / 10)"] }, factors: 4, featureUnits: 4, epochs: 40,
             batchSize: 64, learningRate: 0.01, objective: .bpr),
    TwoTower(features: ItemFeatures(itemCount: 20) { ["group\($0 / 10)"] }, factors: 8, featureUnits: 4, epochs: 100,
             batchSize: 32, learningRate: 0.01, objective: .inBatchSoftmax(temperature: 0.2)),
]

@Suite("Models") struct ModelTests {
    @Test(arguments: plantedAlgorithms.indices)
    func ranksTheHeldOutItemFirstOnACheckerboard(index: Int) throws {
        let algorithm = plantedAlgorithms[index]
        let (m, held) = checkerboard()
        let model = try algorithm.fit(m)
        for u in 0..<m.userCount {
            let s = model.scores(forUser: Int32(u), training: m)
            let candidates = (0..<m.itemCount).filter { !m.contains(user: u, item: Int32($0)) }
            let best = candidates.max { s[$0] != s[$1] ? s[$0] < s[$1] : $0 > $1 }!
            #expect(Int32(best) == held[u], "\(algorithm) user \(u): best \(best) (\(s[best])), held \(held[u]) (\(s[Int(held[u])])); \(s)")
        }
    }

    @Test func popularityRanksByCount() throws {
        let m = try InteractionMatrix(userCount: 3, itemCount: 3, users: [0, 1, 2, 0, 1], items: [2, 2, 2, 0, 0], weights: [1, 1, 1, 1, 1])
        let s = try Popularity().fit(m).scores(forUser: 0, training: m)
        #expect(s == [2, 0, 3])
    }

    /// iALS after one user half-step equals the dense Double normal equations.
    @Test func alsHalfStepMatchesDenseReference() throws {
        let (m, _) = checkerboard(users: 6, items: 8)
        let weighted = m.mapWeights { $0 * 2 }
        for solver in [ImplicitALS.Solver.cholesky, .conjugateGradient(steps: 30)] {
            let als = ImplicitALS(factors: 3, regularization: 0.5, alpha: 2, iterations: 0, solver: solver)
            var model = IALSModel(users: 6, items: 8, factors: 3, regularization: 0.5, alpha: 2, seed: 1)
            let y = (0..<24).map { Float(sin(Double($0) * 1.3)) }
            model.itemFactors = y
            als.halfStep(solve: &model.userFactors, fixed: y, rows: ConfidenceRows(weighted, alpha: 2))
            for u in 0..<6 {
                // A = YᵀCY + λI, b = YᵀCp with c = 1 + α·w on observed items, 1 elsewhere.
                var a = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 3), b = [Double](repeating: 0, count: 3)
                for i in 0..<8 {
                    let observed = weighted.contains(user: u, item: Int32(i))
                    let c = observed ? 1 + 2 * 2.0 : 1
                    for p in 0..<3 {
                        for q in 0..<3 { a[p][q] += c * Double(y[i * 3 + p]) * Double(y[i * 3 + q]) }
                        if observed { b[p] += c * Double(y[i * 3 + p]) }
                    }
                }
                for p in 0..<3 { a[p][p] += 0.5 }
                let x = solve3(a, b)
                for p in 0..<3 {
                    #expect(abs(Double(model.userFactors[u * 3 + p]) - x[p]) < 1e-4 * max(1, abs(x[p])), "\(solver) user \(u)")
                }
            }
        }
    }

    /// EASE equals the closed form computed densely in Double, by either solver: on the
    /// checkerboard (more users than items), and with weights on a catalog wider than its
    /// users, with an item nobody has and a user with nothing.
    @Test(arguments: EASE.Solver.allCases)
    func easeMatchesDenseReference(solver: EASE.Solver) throws {
        let (board, _) = checkerboard(users: 10, items: 6)
        var rng = TestRNG(7)
        var users: [Int32] = [], items: [Int32] = [], weights: [Float] = []
        for u in 0..<5 { for i in 0..<13 where i != 11 && rng.next() % 3 == 0 {
            users.append(Int32(u)); items.append(Int32(i)); weights.append(1 + Float(rng.next() % 50) / 10)
        } }
        let wide = try InteractionMatrix(userCount: 6, itemCount: 13, users: users, items: items, weights: weights)
        for (m, lambda, binary) in [(board, Float(2), true), (wide, Float(0.5), false), (wide, Float(3), true)] {
            let model = try EASE(lambda: lambda, binary: binary, solver: solver).fit(m) as! EASEModel
            let n = m.itemCount
            var g = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for u in 0..<m.userCount {
                for (i, wi) in zip(m.items(ofUser: u), m.weights(ofUser: u)) {
                    for (j, wj) in zip(m.items(ofUser: u), m.weights(ofUser: u)) {
                        g[Int(i)][Int(j)] += binary ? 1 : Double(wi) * Double(wj)
                    }
                }
            }
            for i in 0..<n { g[i][i] += Double(lambda) }
            let p = invert(g)
            for i in 0..<n {
                for j in 0..<n {
                    let ref = i == j ? 0 : -p[i][j] / p[j][j]
                    #expect(abs(Double(model.weights[i * n + j]) - ref) < 1e-4 * max(1, abs(ref)), "\(solver) λ \(lambda) B[\(i),\(j)]")
                }
            }
        }
    }

    /// `automatic` takes the user Gram only when it is cheaper and fits in memory.
    @Test func easeChoosesTheCheaperSolver() {
        #expect(EASE().resolvedSolver(users: 1_892, items: 17_617) == .userGram)
        #expect(EASE().resolvedSolver(users: 6_040, items: 3_706) == .itemGram)
        let tight = EASE(memoryLimit: EASE.memoryNeeded(items: 17_617))
        #expect(tight.resolvedSolver(users: 1_892, items: 17_617) == .itemGram)
        #expect(EASE.memoryNeeded(items: 10, users: 4) == (100 + 40 + 16) * 4)
        #expect(EASE.memoryNeeded(items: 1 << 40, users: 2) == .max)
    }

    @Test func easeRefusesACatalogTooLargeForItsMemoryLimit() throws {
        let m = try InteractionMatrix(userCount: 1, itemCount: 50_000, users: [0], items: [0], weights: [1])
        #expect(throws: RecommenderError.tooLarge("EASE on 50000 items needs 10000000000 bytes for its dense 50000×50000 matrix; the limit is 1000000 bytes")) {
            try EASE(lambda: 1, memoryLimit: 1_000_000).fit(m)
        }
    }

    @Test func badHyperparametersAndEmptyDataAreErrors() throws {
        let empty = try InteractionMatrix(userCount: 2, itemCount: 2, users: [], items: [], weights: [])
        for a in [ItemKNN() as any RecommenderAlgorithm, ImplicitALS(), EASE(), Popularity()] {
            #expect(throws: RecommenderError.self) { try a.fit(empty) }
        }
        let (m, _) = checkerboard()
        #expect(throws: RecommenderError.self) { try ImplicitALS(factors: 0).fit(m) }
        #expect(throws: RecommenderError.self) { try ItemKNN(neighbors: 0).fit(m) }
        #expect(throws: RecommenderError.self) { try EASE(lambda: -1).fit(m) }
    }
}

func solve3(_ a: [[Double]], _ b: [Double]) -> [Double] {
    let inv = invert(a)
    return (0..<b.count).map { i in (0..<b.count).reduce(0) { $0 + inv[i][$1] * b[$1] } }
}

/// Gauss–Jordan inverse in Double (small test matrices).
func invert(_ m: [[Double]]) -> [[Double]] {
    let n = m.count
    var a = m, inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0 } }
    for c in 0..<n {
        let p = (c..<n).max { abs(a[$0][c]) < abs(a[$1][c]) }!
        a.swapAt(c, p); inv.swapAt(c, p)
        let d = a[c][c]
        for j in 0..<n { a[c][j] /= d; inv[c][j] /= d }
        for r in 0..<n where r != c {
            let f = a[r][c]
            for j in 0..<n { a[r][j] -= f * a[c][j]; inv[r][j] -= f * inv[c][j] }
        }
    }
    return inv
}
