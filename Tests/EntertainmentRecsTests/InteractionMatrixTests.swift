@testable import EntertainmentRecs
import Testing

@Suite("Interaction matrix") struct InteractionMatrixTests {
    @Test func buildsSortedRowsAndCombinesDuplicates() throws {
        let m = try InteractionMatrix(userCount: 3, itemCount: 4, users: [2, 0, 0, 2, 0], items: [1, 3, 0, 1, 3],
                                      weights: [1, 2, 5, 4, 7], duplicates: .sum)
        #expect(m.rowStart == [0, 2, 2, 3])
        #expect(Array(m.items(ofUser: 0)) == [0, 3] && Array(m.weights(ofUser: 0)) == [5, 9])
        #expect(Array(m.items(ofUser: 2)) == [1] && Array(m.weights(ofUser: 2)) == [5])
        let last = try InteractionMatrix(userCount: 3, itemCount: 4, users: [2, 0, 0, 2, 0], items: [1, 3, 0, 1, 3],
                                         weights: [1, 2, 5, 4, 7], duplicates: .last)
        #expect(Array(last.weights(ofUser: 0)) == [5, 7] && Array(last.weights(ofUser: 2)) == [4])
        #expect(m.contains(user: 0, item: 3) && !m.contains(user: 1, item: 3))
        let t = m.transposed()
        #expect(t.userCount == 4 && Array(t.items(ofUser: 3)) == [0] && Array(t.weights(ofUser: 1)) == [5])
    }

    @Test func rejectsBadWeightsAndIndices() {
        #expect(throws: RecommenderError.self) {
            try InteractionMatrix(userCount: 1, itemCount: 1, users: [0], items: [0], weights: [.nan])
        }
        #expect(throws: RecommenderError.self) {
            try InteractionMatrix(userCount: 1, itemCount: 1, users: [0], items: [0], weights: [-1])
        }
        #expect(throws: RecommenderError.self) {
            try InteractionMatrix(userCount: 1, itemCount: 1, users: [0], items: [1], weights: [1])
        }
    }
}
