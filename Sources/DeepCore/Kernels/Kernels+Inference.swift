internal import CKernels

extension Kernels {
    /// One layer of a `PackedDenseChain`: `act(input · weight + bias)`, weight (inputs, units).
    struct DenseStep {
        let weight: UnsafePointer<Float>
        let bias: UnsafePointer<Float>?
        let inputs: Int
        let units: Int
        let activation: Activation
    }

    /// A chain of dense layers packed for layer-fused inference (`ck_mlp_pack`,
    /// `ck_mlp_forward`). It points at the layers' weights: use it only while they are
    /// unchanged (within one `predict`).
    final class PackedDenseChain {
        private let layers: [ck_dense]
        private let workspace: UnsafeMutablePointer<Float>

        /// Packs `steps` (each layer's `units` the next one's `inputs`).
        init(_ steps: [DenseStep]) {
            precondition(!steps.isEmpty && zip(steps, steps.dropFirst()).allSatisfy { $0.units == $1.inputs },
                         "PackedDenseChain: layer widths do not chain")
            layers = steps.map {
                ck_dense(weight: $0.weight, bias: $0.bias, inputs: $0.inputs, units: $0.units, act: $0.activation.raw)
            }
            let floats = ck_mlp_workspace_size(layers, layers.count)
            workspace = .allocate(capacity: max(floats, 1))
            ck_mlp_pack(workspace, layers, layers.count)
        }

        deinit { workspace.deallocate() }

        /// `y` (rows, last units) := the chain applied to `x` (rows, first inputs). Returns
        /// `rows`, or, if `x` holds a NaN or ±Inf, a row at or before the first such value
        /// (`y` is then written only up to that row).
        func forward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int) -> Int {
            guard rows > 0 else { return 0 }
            return layers.withUnsafeBufferPointer { chain in
                ck_mlp_forward(y, x, rows, chain.baseAddress, chain.count, workspace)
            }
        }
    }
}
