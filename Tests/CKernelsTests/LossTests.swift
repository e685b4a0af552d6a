import CKernels
import Foundation
import Testing

/// Double references of each loss: value as a function of the prediction.
enum LossRef {
    static func bceLogits(_ z: [Double], _ t: [Double]) -> Double {
        zip(z, t).map { z, t in max(z, 0) - z * t + log1p(exp(-abs(z))) }.reduce(0, +) / Double(z.count)
    }
    static func bceProb(_ p: [Double], _ t: [Double]) -> Double {
        zip(p, t).map { p, t in -(t * log(p) + (1 - t) * log(1 - p)) }.reduce(0, +) / Double(p.count)
    }
    static func mse(_ y: [Double], _ t: [Double]) -> Double {
        zip(y, t).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(y.count)
    }
    static func softmaxXent(_ z: [Double], _ t: [Double], rows: Int, cols: Int) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let row = Array(z[(r * cols)..<((r + 1) * cols)])
            let mx = row.max()!
            let lse = mx + log(row.map { exp($0 - mx) }.reduce(0, +))
            for c in 0..<cols { total += t[r * cols + c] * (lse - row[c]) }
        }
        return total / Double(rows)
    }
    static func xentProb(_ p: [Double], _ t: [Double], rows: Int) -> Double {
        zip(p, t).map { -$1 * log($0) }.reduce(0, +) / Double(rows)
    }

    /// Central differences (h = 1e-5) of `f` at `x`.
    static func numericGradient(_ x: [Double], _ f: ([Double]) -> Double) -> [Double] {
        let h = 1e-5
        return x.indices.map { i in
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            return (f(xp) - f(xm)) / (2 * h)
        }
    }
}

func oneHot(_ idx: [Int32], cols: Int) -> [Float] {
    var t = [Float](repeating: 0, count: idx.count * cols)
    for (r, c) in idx.enumerated() { t[r * cols + Int(c)] = 1 }
    return t
}

@Suite("Losses") struct LossTests {
    @Test(arguments: [1, 7, 17, 65])
    func binaryCrossEntropyFromLogits(n: Int) {
        var rng = TestRNG(UInt64(n))
        let z = rng.floats(n, -6, 6), t = rng.floats(n, 0, 1).map { $0 > 0.5 ? Float(1) : 0 }
        var dz = [Float](repeating: .nan, count: n), p = [Float](repeating: .nan, count: n)
        let l = ck_bce_logits(&dz, &p, z, t, n)
        let zd = z.map(Double.init), td = t.map(Double.init)
        let ref = LossRef.bceLogits(zd, td)
        #expect(abs(l - ref) <= 1e-5 * abs(ref))
        // The closed-form gradient (σ(z) − t)/n is checked against central differences.
        let closed = zip(zd, td).map { (1 / (1 + exp(-$0)) - $1) / Double(n) }
        let numeric = LossRef.numericGradient(zd) { LossRef.bceLogits($0, td) }
        for i in 0..<n { #expect(abs(closed[i] - numeric[i]) <= 1e-6 * max(1, abs(closed[i]))) }
        expectClose(dz, closed, relative: 1e-5, absolute: 1e-9, elementwise: true)
        expectClose(p, zd.map { 1 / (1 + exp(-$0)) }, relative: 1e-5, absolute: 1e-9, elementwise: true)
    }

    @Test func binaryCrossEntropyFromLogitsIsFiniteAtExtremes() {
        let z: [Float] = [1e4, -1e4, 1e4, -1e4, 0]
        let t: [Float] = [1, 0, 0, 1, 1]
        var dz = [Float](repeating: 0, count: 5)
        let l = ck_bce_logits(&dz, nil, z, t, 5)
        #expect(l.isFinite)
        #expect(abs(l - 2e4 / 5 - log(2.0) / 5) < 1e-6 * l)
        #expect(dz.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [1, 7, 17])
    func binaryCrossEntropyOnProbabilities(n: Int) {
        var rng = TestRNG(11 + UInt64(n))
        let p = rng.floats(n, 0.05, 0.95), t = rng.floats(n, 0, 1)
        var dp = [Float](repeating: .nan, count: n)
        let l = ck_bce_prob(&dp, p, t, n)
        let pd = p.map(Double.init), td = t.map(Double.init)
        #expect(abs(l - LossRef.bceProb(pd, td)) <= 1e-5 * LossRef.bceProb(pd, td))
        let numeric = LossRef.numericGradient(pd) { LossRef.bceProb($0, td) }
        expectClose(dp, numeric, relative: 1e-4, absolute: 1e-7, elementwise: true)
        // Clipped at 0 and 1: finite loss, zero gradient outside the clip range.
        var d2 = [Float](repeating: .nan, count: 2)
        let l2 = ck_bce_prob(&d2, [0, 1], [1, 0], 2)
        #expect(l2.isFinite && d2 == [0, 0])
    }

    @Test(arguments: [1, 7, 17, 65])
    func meanSquaredError(n: Int) {
        var rng = TestRNG(13 + UInt64(n))
        let y = rng.floats(n, -3, 3), t = rng.floats(n, -3, 3)
        var dy = [Float](repeating: .nan, count: n)
        let l = ck_mse(&dy, y, t, n)
        let yd = y.map(Double.init), td = t.map(Double.init)
        #expect(abs(l - LossRef.mse(yd, td)) <= 1e-5 * LossRef.mse(yd, td))
        let numeric = LossRef.numericGradient(yd) { LossRef.mse($0, td) }
        expectClose(dy, numeric, relative: 1e-5)
    }

    @Test(arguments: [(1, 2), (7, 3), (17, 10), (4, 65)])
    func softmaxCrossEntropyDenseAndIndexTargets(shape: (Int, Int)) {
        let (rows, cols) = shape
        var rng = TestRNG(UInt64(rows * 100 + cols))
        let z = rng.floats(rows * cols, -5, 5)
        let idx = (0..<rows).map { _ in Int32(rng.next() % UInt64(cols)) }
        let dense = oneHot(idx, cols: cols)
        let zd = z.map(Double.init), td = dense.map(Double.init)
        let ref = LossRef.softmaxXent(zd, td, rows: rows, cols: cols)
        let numeric = LossRef.numericGradient(zd) { LossRef.softmaxXent($0, td, rows: rows, cols: cols) }
        var dz1 = [Float](repeating: .nan, count: rows * cols), dz2 = dz1
        var p = [Float](repeating: .nan, count: rows * cols)
        let l1 = ck_softmax_xent(&dz1, &p, z, dense, nil, rows, cols)
        let l2 = ck_softmax_xent(&dz2, nil, z, nil, idx, rows, cols)
        #expect(abs(l1 - ref) <= 1e-5 * ref && abs(l2 - ref) <= 1e-5 * ref)
        expectClose(dz1, numeric, relative: 1e-5)
        expectClose(dz2, numeric, relative: 1e-5)
        for r in 0..<rows {
            let s = (0..<cols).reduce(0.0) { $0 + Double(p[r * cols + $1]) }
            #expect(abs(s - 1) < 1e-5)
        }
    }

    @Test func softmaxCrossEntropyWithSoftTargets() {
        let rows = 3, cols = 4
        var rng = TestRNG(21)
        let z = rng.floats(rows * cols, -2, 2), t = rng.floats(rows * cols, 0, 1)
        let zd = z.map(Double.init), td = t.map(Double.init)
        var dz = [Float](repeating: .nan, count: rows * cols)
        let l = ck_softmax_xent(&dz, nil, z, t, nil, rows, cols)
        #expect(abs(l - LossRef.softmaxXent(zd, td, rows: rows, cols: cols)) < 1e-5 * abs(l))
        let numeric = LossRef.numericGradient(zd) { LossRef.softmaxXent($0, td, rows: rows, cols: cols) }
        expectClose(dz, numeric, relative: 1e-5)
    }

    @Test func crossEntropyOnProbabilities() {
        let rows = 5, cols = 3
        var rng = TestRNG(23)
        let p = rng.floats(rows * cols, 0.05, 0.95)
        let idx: [Int32] = [0, 2, 1, 1, 0]
        let t = oneHot(idx, cols: cols)
        let pd = p.map(Double.init), td = t.map(Double.init)
        var dp = [Float](repeating: .nan, count: rows * cols)
        let l = ck_xent_prob(&dp, p, nil, idx, rows, cols)
        #expect(abs(l - LossRef.xentProb(pd, td, rows: rows)) < 1e-5 * l)
        expectClose(dp, LossRef.numericGradient(pd) { LossRef.xentProb($0, td, rows: rows) }, relative: 1e-5)
    }

    @Test func badClassIndexGivesNaN() {
        let z: [Float] = [0, 1, 2, 3]
        #expect(ck_softmax_xent(nil, nil, z, nil, [Int32(2)], 1, 4).isFinite)
        #expect(ck_softmax_xent(nil, nil, z, nil, [Int32(4)], 1, 4).isNaN)
        #expect(ck_softmax_xent(nil, nil, z, nil, [Int32(-1)], 1, 4).isNaN)
    }

    @Test func emptyInputsGiveZero() {
        #expect(ck_bce_logits(nil, nil, nil, nil, 0) == 0)
        #expect(ck_mse(nil, nil, nil, 0) == 0)
        #expect(ck_softmax_xent(nil, nil, nil, nil, nil, 0, 3) == 0)
    }
}
