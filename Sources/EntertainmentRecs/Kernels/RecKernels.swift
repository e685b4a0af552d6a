import DeepCore
import Dispatch
import Foundation
internal import CKernels

/// A pointer that may cross into `concurrentPerform` closures: each task writes a
/// disjoint part, which the caller guarantees.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// A read-only pointer that may cross into `concurrentPerform` closures.
struct SharedConstPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
}

/// Every crossing from EntertainmentRecs into CKernels.
enum RecKernels {
    /// `c(m×n) = alpha·op(a)·op(b) + beta·c`, row-major with tight leading dimensions.
    static func gemm(_ a: UnsafePointer<Float>, transposeA: Bool = false, _ b: UnsafePointer<Float>,
                     transposeB: Bool = false, _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                     alpha: Float = 1, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        ck_sgemm(transposeA ? CK_TRANS : CK_NO_TRANS, transposeB ? CK_TRANS : CK_NO_TRANS,
                 m, n, k, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(n, 1))
    }

    /// Top-`k` per row with optional exclusion lists (CSR offsets into `excludeItems`).
    static func topK(ids: UnsafeMutablePointer<Int32>, scores outScores: UnsafeMutablePointer<Float>?,
                     from scores: UnsafePointer<Float>, rows: Int, columns: Int, k: Int,
                     excludeOffsets: UnsafePointer<Int64>?, excludeItems: UnsafePointer<Int32>?) {
        ck_topk(ids, outScores, scores, rows, columns, columns, k, excludeOffsets, excludeItems)
    }

    /// `vectors` (`count` rows of `width` floats) packed as `topKDot` reads them.
    static func itemPanels(_ vectors: [Float], count: Int, width: Int) -> [Float] {
        var panels = [Float](repeating: 0, count: ck_item_panels_count(count, width))
        panels.withUnsafeMutableBufferPointer { p in
            vectors.withUnsafeBufferPointer { v in ck_pack_item_panels(p.baseAddress!, v.baseAddress!, count, width) }
        }
        return panels
    }

    /// Users `topKDot` scores together: batches of a multiple of this leave no partial group.
    static let topKDotGroup = Int(CK_TOPK_DOT_GROUP)

    /// Top-`k` of the dot products of `rows` user vectors with `index`'s items, selection
    /// fused into the scoring (`ck_topk_dot`): ids and scores best first, `excludeOffsets`
    /// / `excludeItems` the users' excluded item ids (CSR). With `pruning`, scoring stops
    /// where the items' norm bound cannot reach the users' k-th best (same result).
    /// Returns the number of 6 × 16 score tiles computed.
    @discardableResult
    static func topKDot(ids: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>,
                        users: UnsafePointer<Float>, rows: Int, index: NormOrderedItems, pruning: Bool, k: Int,
                        excludeOffsets: UnsafePointer<Int64>, excludeItems: UnsafePointer<Int32>,
                        isa: KernelISA = .automatic) -> Int {
        let n = index.order.count
        var tiles = 0
        let ok = index.panels.withUnsafeBufferPointer { p in index.norms.withUnsafeBufferPointer { norms in
            index.order.withUnsafeBufferPointer { order in
                ck_topk_dot(ck_isa(rawValue: isa.kernelCode), ids, scores, users, rows, index.width, p.baseAddress!, n, pruning ? norms.baseAddress : nil,
                            order.baseAddress!, n, k, excludeOffsets, excludeItems, &tiles)
            }
        } }
        precondition(ok != 0, "top-K with \(isa) for \(rows) users × k \(k): kernel not available here or out of memory")
        return tiles
    }

    static func ialsCG(x: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, ytyReg: UnsafePointer<Float>,
                       rowStart: UnsafePointer<Int64>, columns: UnsafePointer<Int32>, confidence: UnsafePointer<Float>,
                       rows: Range<Int>, factors: Int, steps: Int) {
        ck_ials_solve_cg(x, y, ytyReg, rowStart, columns, confidence, rows.lowerBound, rows.upperBound,
                         factors, Int32(steps))
    }

    static func ialsCholesky(x: UnsafeMutablePointer<Float>, y: UnsafePointer<Float>, ytyReg: UnsafePointer<Float>,
                             rowStart: UnsafePointer<Int64>, columns: UnsafePointer<Int32>,
                             confidence: UnsafePointer<Float>, rows: Range<Int>, factors: Int,
                             scratch: UnsafeMutablePointer<Float>) -> Int {
        Int(ck_ials_solve_cholesky(x, y, ytyReg, rowStart, columns, confidence, rows.lowerBound,
                                   rows.upperBound, factors, scratch))
    }

    /// Inverts a symmetric positive definite matrix in place; returns the LAPACK info.
    static func spdInverse(_ a: UnsafeMutablePointer<Float>, n: Int) -> Int {
        Int(ck_spd_inverse(a, n))
    }

    /// Solves A·X = B in place (A symmetric positive definite n×n, overwritten by its
    /// Cholesky factor; B n×columns row-major, overwritten by X); returns the LAPACK info.
    static func spdSolve(_ a: UnsafeMutablePointer<Float>, n: Int, _ b: UnsafeMutablePointer<Float>, columns: Int) -> Int {
        Int(ck_spd_solve(a, n, b, columns))
    }

    static func setBLASThreads(_ n: Int) { ck_dispatch_init(); ck_blas_set_threads(Int32(n)) }
}

extension InteractionMatrix {
    /// Rows `rows` of this sparse matrix times the dense `rowCount × columns` matrix
    /// `dense` (row-major, one dense row per column of this matrix): out row r
    /// (`columns` floats, stride `columns`) := Σ_p weight_p · dense row item_p.
    func sparseRowsTimes(_ dense: UnsafePointer<Float>, columns: Int, rows: Range<Int>,
                         into out: UnsafeMutablePointer<Float>) {
        // Int and Int64 share a layout on every 64-bit platform Swift supports.
        rowStart.withUnsafeBufferPointer { rs in
            rs.baseAddress!.withMemoryRebound(to: Int64.self, capacity: rs.count) { starts in
                items.withUnsafeBufferPointer { it in weights.withUnsafeBufferPointer { w in
                    ck_csr_dense_rows(out, columns, starts, it.baseAddress, w.baseAddress, rows.lowerBound,
                                      rows.upperBound, dense, columns, columns)
                } }
            }
        }
    }
}

/// Splits `0..<count` into blocks and runs them on up to `threads` threads.
enum Parallel {
    static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    static func forEachBlock(_ count: Int, blockSize: Int, threads: Int = defaultThreads,
                             _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let blocks = (count + blockSize - 1) / blockSize
        if threads <= 1 || blocks == 1 {
            for b in 0..<blocks { body((b * blockSize)..<min(count, (b + 1) * blockSize)) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: blocks) { b in
            body((b * blockSize)..<min(count, (b + 1) * blockSize))
        }
    }
}

extension RecKernels {
    /// One BPR epoch; returns the fraction of the steps taken whose pair was already ordered right.
    static func bprEpoch(users: UnsafeMutablePointer<Float>, items: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>,
                         factors: Int, rowStart: UnsafePointer<Int64>, columns: UnsafePointer<Int32>, userCount: Int,
                         itemCount: Int, samples: Int, learningRate: Float, regularization: Float,
                         popularNegatives: Bool, skipLiked: Bool, candidates: Int = 1,
                         rng: inout UInt64) -> Double {
        precondition(candidates >= 1)
        return ck_bpr_epoch(users, items, bias, factors, rowStart, columns, userCount, itemCount, samples,
                            learningRate, regularization, popularNegatives ? 1 : 0, skipLiked ? 1 : 0, candidates, &rng)
    }
}
