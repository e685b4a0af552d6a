/// What the two autoencoders (Mult-DAE, EDLAE) check before training, and the rows they
/// train on: every user with at least one interaction.
enum AutoencoderInput {
    /// Throws unless `epochs ≥ 0`, `batchSize ≥ 1` and the learning rate is positive.
    static func checkTraining(epochs: Int, batchSize: Int, learningRate: Float) throws {
        guard epochs >= 0, batchSize >= 1, learningRate > 0, learningRate.isFinite else {
            throw RecommenderError.invalidArgument("epochs ≥ 0, batch ≥ 1 and learning rate > 0 required")
        }
    }

    /// The users with at least one interaction, in index order; an error when there are none.
    static func activeUsers(_ matrix: InteractionMatrix) throws -> [Int] {
        let active = (0..<matrix.userCount).filter { matrix.rowStart[$0 + 1] > matrix.rowStart[$0] }
        guard !active.isEmpty else { throw RecommenderError.emptyData("no user has any interaction") }
        return active
    }
}
