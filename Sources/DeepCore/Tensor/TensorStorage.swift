/// Heap storage for a tensor: `count` floats, 64-byte aligned so SIMD kernels load whole
/// cache lines. Shared between tensor copies until one of them writes (copy-on-write).
final class TensorStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        // From 1 MiB on huge pages (training data is gathered at shuffled rows).
        let (raw, _) = Kernels.allocateLarge(max(count, 1) * 4)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: value, count: count)
    }

    func copy() -> TensorStorage {
        let s = TensorStorage(count: count)
        s.pointer.initialize(from: pointer, count: count)
        return s
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
