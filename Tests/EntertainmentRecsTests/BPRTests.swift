@testable import EntertainmentRecs
import Testing

/// BPR's sampler and start, against what `implicit` does.
@Suite("BPR") struct BPRTests {
    /// Runs one epoch of `samples` draws from all-zero factors (k = 1), so that only the item
    /// biases move: every step adds lr·z to the positive's bias and takes it from the
    /// negative's, z = σ(b_j − b_i) ≈ ½ while the biases stay small.
    func biasesAfterEpoch(users: [[Int32]], itemCount: Int, samples: Int, learningRate: Float,
                          skipLiked: Bool, popular: Bool = true, candidates: Int = 1) -> (biases: [Float], factors: [Float]) {
        let rowStart = users.reduce(into: [Int64(0)]) { $0.append($0.last! + Int64($1.count)) }
        let cols = users.flatMap { $0 }
        var u = [Float](repeating: 0, count: users.count), v = [Float](repeating: 0, count: itemCount)
        var b = [Float](repeating: 0, count: itemCount)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        _ = RecKernels.bprEpoch(users: &u, items: &v, bias: &b, factors: 1, rowStart: rowStart, columns: cols,
                                userCount: users.count, itemCount: itemCount, samples: samples,
                                learningRate: learningRate, regularization: 0, popularNegatives: popular,
                                skipLiked: skipLiked, candidates: candidates, rng: &state)
        return (b, u + v)
    }

    /// User 0 has items 0 and 1, user 1 item 2; popularity is uniform over the three. With
    /// redrawing, each of user 0's steps (2/3 of the draws) takes item 2 as negative and
    /// user 1's steps give it as positive (1/3): b_2 ≈ lr/2·n·(1/3 − 2/3) < 0. Skipping
    /// (implicit's rule) costs every draw whose negative the user has: user 0 keeps 1/3 of
    /// its draws (2/9 of all, item 2 as negative), user 1 keeps 2/3 (2/9 of all, item 2 as
    /// positive), so b_2 ≈ lr/2·n·(2/9 − 2/9) = 0.
    @Test func skippingLikedNegativesCostsTheSample() {
        let n = 90_000, lr: Float = 1e-6
        let redraw = biasesAfterEpoch(users: [[0, 1], [2]], itemCount: 3, samples: n, learningRate: lr, skipLiked: false)
        let skip = biasesAfterEpoch(users: [[0, 1], [2]], itemCount: 3, samples: n, learningRate: lr, skipLiked: true)
        let unit = lr / 2 * Float(n)
        #expect(abs(redraw.biases[2] - unit * (1.0 / 3 - 2.0 / 3)) < 0.1 * unit / 3, "\(redraw.biases)")
        #expect(abs(skip.biases[2]) < 0.1 * unit / 3, "\(skip.biases)")
    }

    /// Both users have items 0 and 1, item 2 has no interactions: a popular draw is always
    /// liked. Skipping leaves every parameter where it was; redrawing must still end (it
    /// falls back to uniform draws) and pushes item 2 down.
    @Test func everyPopularItemLikedSkipsOrFallsBackToUniform() {
        let skip = biasesAfterEpoch(users: [[0, 1], [0, 1]], itemCount: 3, samples: 10_000, learningRate: 0.01, skipLiked: true)
        #expect(skip.biases == [0, 0, 0])
        #expect(skip.factors.allSatisfy { $0 == 0 })
        let redraw = biasesAfterEpoch(users: [[0, 1], [0, 1]], itemCount: 3, samples: 10_000, learningRate: 0.01, skipLiked: false)
        #expect(redraw.biases[2] < -1, "\(redraw.biases)")
        #expect(redraw.biases[0] > 0 && redraw.biases[1] > 0, "\(redraw.biases)")
    }

    /// Dynamic negative sampling: of 64 uniform candidates (almost surely all four items
    /// 1…4), the step takes the one with the highest score (here its bias), so the four
    /// negatives' biases stay within one step (lr·z < lr/2) of each other. One candidate
    /// is a random walk: counts spread by tens of steps.
    @Test func bestOfSeveralCandidatesTakesTheHardestNegative() {
        let lr: Float = 0.001
        for (candidates, skip) in [(64, false), (64, true), (1, false)] {
            let b = biasesAfterEpoch(users: [[0]], itemCount: 5, samples: 1_000, learningRate: lr, skipLiked: skip,
                                     popular: false, candidates: candidates).biases
            let spread = b[1...4].max()! - b[1...4].min()!
            if candidates > 1 {
                #expect(spread <= lr / 2 * 1.001, "\(candidates) candidates: \(b)")
            } else {
                #expect(spread > 6 * lr / 2 * 0.7, "\(b)")
            }
            #expect(b[0] > 0.2, "\(b)")
        }
        let model = BPR(factors: 2, iterations: 1, negativeCandidates: 0)
        #expect(throws: RecommenderError.self) { try model.fit(checkerboard().0) }
    }

    /// As implicit: users and items without interactions start (and, with popular
    /// negatives, stay) at zero, so such an item scores exactly 0 for everybody.
    @Test(arguments: [false, true])
    func itemsWithoutInteractionsScoreZero(skipLiked: Bool) throws {
        let (m, _) = checkerboard(users: 10, items: 10)
        // The same interactions with one more item (10) and one more user (10), both without any.
        let owners = (0..<m.userCount).flatMap { u in Array(repeating: Int32(u), count: m.rowStart[u + 1] - m.rowStart[u]) }
        let wide = try InteractionMatrix(userCount: 11, itemCount: 11, users: owners, items: m.items, weights: m.weights)
        let model = try #require(try BPR(factors: 4, iterations: 5, skipsLikedNegatives: skipLiked).fit(wide) as? BPRModel)
        #expect(model.itemFactors[(10 * 4)..<(11 * 4)].allSatisfy { $0 == 0 })
        #expect(model.userFactors[(10 * 4)..<(11 * 4)].allSatisfy { $0 == 0 })
        #expect(model.itemBias[10] == 0)
        for u in 0..<10 { #expect(model.scores(forUser: Int32(u), training: wide)[10] == 0) }
    }

    /// A seeded fit is reproducible, bit for bit, in both sampling modes.
    @Test(arguments: [false, true])
    func seededFitIsDeterministic(skipLiked: Bool) throws {
        let (m, _) = checkerboard()
        let a = try #require(try BPR(factors: 8, iterations: 10, skipsLikedNegatives: skipLiked, seed: 7).fit(m) as? BPRModel)
        let b = try #require(try BPR(factors: 8, iterations: 10, skipsLikedNegatives: skipLiked, seed: 7).fit(m) as? BPRModel)
        #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors && a.itemBias == b.itemBias)
        let c = try #require(try BPR(factors: 8, iterations: 10, skipsLikedNegatives: !skipLiked, seed: 7).fit(m) as? BPRModel)
        #expect(a.itemFactors != c.itemFactors)
    }
}
