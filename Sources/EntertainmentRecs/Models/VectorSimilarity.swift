/// Cosine similarity of row `item` of a row-major `rows × width` table to every row,
/// written to `scores` (0 where a norm is 0): similar items for embedding models.
func cosineSimilarities(toRow item: Int, of table: [Float], width: Int, rows: Int,
                        into scores: UnsafeMutableBufferPointer<Float>) {
    table.withUnsafeBufferPointer { t in
        let a = t.baseAddress! + item * width
        var na: Float = 0
        for f in 0..<width { na += a[f] * a[f] }
        na = na.squareRoot()
        for j in 0..<rows {
            let b = t.baseAddress! + j * width
            var d: Float = 0, nb: Float = 0
            for f in 0..<width { d += a[f] * b[f]; nb += b[f] * b[f] }
            scores[j] = na * nb > 0 ? d / (na * nb.squareRoot()) : 0
        }
    }
}
