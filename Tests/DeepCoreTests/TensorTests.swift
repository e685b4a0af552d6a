@testable import DeepCore
import Testing

@Suite("Tensor") struct TensorTests {
    @Test func shapeAndRowMajorIndexing() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.shape == [2, 3] && t.count == 6 && t.rank == 2)
        #expect(t[0, 0] == 1 && t[0, 2] == 3 && t[1, 0] == 4 && t[1, 2] == 6)
        #expect(Tensor([[1, 2], [3, 4]]).scalars == [1, 2, 3, 4])
        #expect(t.reshaped([3, 2])[2, 1] == 6)
        #expect(t.rows(1..<2).scalars == [4, 5, 6])
    }

    @Test func copiesShareStorageUntilWritten() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        var b = a
        #expect(a.storage === b.storage)
        b[0, 1] = 9
        #expect(a.storage !== b.storage)
        #expect(a[0, 1] == 2 && b[0, 1] == 9)
    }

    @Test func storageIsAlignedForSIMD() {
        for n in [1, 3, 17, 1000] {
            let t = Tensor(zeros: [n])
            t.withUnsafeBufferPointer { #expect(UInt(bitPattern: $0.baseAddress!) % 64 == 0) }
        }
    }

    @Test func findsTheFirstNonFiniteValue() {
        var t = Tensor(zeros: [3, 4])
        #expect(t.firstNonFinite() == nil)
        t[2, 1] = .infinity
        #expect(t.firstNonFinite()?.index == 9)
    }

    @Test func seededRandomTensorsRepeat() {
        #expect(Tensor.normal([5], seed: 3) == Tensor.normal([5], seed: 3))
        #expect(Tensor.normal([5], seed: 3) != Tensor.normal([5], seed: 4))
        let u = Tensor.uniform([1000], in: -2...3, seed: 1).scalars
        #expect(u.allSatisfy { $0 >= -2 && $0 <= 3 })
    }
}
