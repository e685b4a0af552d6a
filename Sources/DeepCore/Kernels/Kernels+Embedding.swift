internal import CKernels

extension Kernels {
    /// Row r, block j of the `ids.rows × ids.columns·dim` output at `out + r·ld + j·dim` :=
    /// `table` row `ids[r, j]` (ids checked by the caller).
    static func embeddingForward(table: UnsafePointer<Float>, dim: Int, ids: MatrixView,
                                 into out: UnsafeMutablePointer<Float>, ld: Int) {
        precondition(ld >= ids.columns * dim, "embedding: output stride")
        ck_embedding_forward_ld(table, dim, ids.base, ids.rows, ids.columns, out, ld)
    }

    /// The row-sparse gradient of a table for one step (`ck_embedding_backward_rows`):
    /// zeroes rows `list[0..<previous]`, records this step's rows in `list` (first-touch
    /// order, `stamps`/`stamp`) and adds each `dy` vector (row r at `dy + r·ld`) into its
    /// row. Returns the number of rows recorded.
    static func embeddingBackwardRows(gradient: UnsafeMutablePointer<Float>, dim: Int, ids: MatrixView,
                                      dy: UnsafePointer<Float>, ld: Int, stamps: UnsafeMutablePointer<UInt32>,
                                      stamp: UInt32, list: UnsafeMutablePointer<Int32>, previous: Int) -> Int {
        precondition(ld >= ids.columns * dim, "embedding backward: gradient stride")
        return ck_embedding_backward_rows(gradient, dim, ids.base, ids.rows, ids.columns, dy, ld,
                                          stamps, stamp, list, previous)
    }

    /// A lazy table's gradient for one step in compact rows (`ck_embedding_backward_compact`):
    /// each row the ids touch gets the next slot of `compact` (first-touch order, recorded in
    /// `list`, `stamps`/`stamp`, `slots`) holding the sum of its dy vectors (row r of dy at
    /// `dy + r·ld`). Returns the number of rows recorded.
    static func embeddingBackwardCompact(_ compact: UnsafeMutablePointer<Float>, dim: Int, ids: MatrixView,
                                         dy: UnsafePointer<Float>, ld: Int, stamps: UnsafeMutablePointer<UInt32>,
                                         stamp: UInt32, slots: UnsafeMutablePointer<Int32>,
                                         list: UnsafeMutablePointer<Int32>) -> Int {
        precondition(ld >= ids.columns * dim, "embedding backward: gradient stride")
        return ck_embedding_backward_compact(compact, dim, ids.base, ids.rows, ids.columns, dy, ld,
                                             stamps, stamp, slots, list)
    }

    /// The index of the first of `count` values (`stride` apart) that is not an integer in
    /// `0..<limit`, or `nil`.
    static func firstInvalidID(_ x: UnsafePointer<Float>, count: Int, stride: Int, limit: Int) -> Int? {
        let i = ck_first_invalid_id(x, count, stride, limit)
        return i < count ? i : nil
    }

    /// `out = a ⊙ b`.
    static func multiply(_ a: MatrixView, _ b: MatrixView, into out: MatrixView) {
        precondition(a.count == b.count && a.count == out.count, "multiply: shapes")
        ck_mul_forward(a.base, b.base, out.base, a.count)
    }

    /// `da = dy ⊙ b`, `db = dy ⊙ a`.
    static func multiplyBackward(_ a: MatrixView, _ b: MatrixView, dy: MatrixView,
                                 da: MatrixView?, db: MatrixView?) {
        precondition(a.count == b.count && a.count == dy.count, "multiply backward: shapes")
        ck_mul_backward(a.base, b.base, dy.base, da?.base, db?.base, a.count)
    }
}
