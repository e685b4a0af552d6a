internal import CKernels

extension Kernels {
    /// `out` row i, block j = `table` row `ids[i, j]` (ids checked by the caller).
    static func embeddingForward(table: UnsafePointer<Float>, dim: Int, ids: MatrixView, into out: MatrixView) {
        precondition(out.rows == ids.rows && out.columns == ids.columns * dim, "embedding: shapes")
        ck_embedding_forward(table, dim, ids.base, ids.count, out.base)
    }

    /// `grad` row `ids[i, j]` += `dy` row i, block j.
    static func embeddingBackward(gradient: UnsafeMutablePointer<Float>, dim: Int, ids: MatrixView, dy: MatrixView) {
        precondition(dy.rows == ids.rows && dy.columns == ids.columns * dim, "embedding backward: shapes")
        ck_embedding_backward(gradient, dim, ids.base, dy.base, ids.count)
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
