/// Layer-fused inference for models that are a plain chain of `Dense` layers (the seed
/// model, rerankers): `predict` runs every layer over a block of rows before the next block,
/// so the hidden activations stay in cache, instead of one whole-batch GEMM per layer.
extension Sequential {
    /// Inputs per layer up to which the fused path is used: its tile kernel keeps a whole
    /// k-panel of the weights (k × 16 floats) in L1, as the GEMM's kc = 384 blocking does.
    static let fusedInferenceMaxInputs = 384

    /// The layers as a dense chain, or nil when some layer is not a `Dense` (or too wide).
    func denseChain() -> [Kernels.DenseStep]? {
        var chain: [Kernels.DenseStep] = []
        chain.reserveCapacity(steps.count)
        var inputs = inputWidth
        for step in steps {
            guard let dense = step as? Dense, !dense.zeroDiagonal, inputs <= Self.fusedInferenceMaxInputs,
                  let weight = dense.kernel?.value else { return nil }
            chain.append(Kernels.DenseStep(weight: weight, bias: dense.bias?.value.map { UnsafePointer($0) },
                                           inputs: inputs, units: dense.units,
                                           activation: dense.appliedActivation))
            inputs = dense.units
        }
        return chain.isEmpty ? nil : chain
    }

    /// The outputs for `x` through the fused dense chain. Throws, as `prepare` would, at
    /// the first non-finite value of `x`, which the kernel checks block by block as it
    /// reads them (the caller checked everything else).
    func predictFused(_ x: Tensor, chain: [Kernels.DenseStep]) throws -> Tensor {
        let packed = Kernels.PackedDenseChain(chain)
        let (n, width) = (x.shape[0], x.shape[1])
        var result = Tensor(zeros: [n, outputWidth])
        let done = x.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { out in
                packed.forward(out.baseAddress!, src.baseAddress!, rows: n)
            }
        }
        if done < n {
            let i = x.withUnsafeBufferPointer { src in
                (done * width..<src.count).first { !src[$0].isFinite }!
            }
            throw DeepCoreError.nonFiniteValue(name: "prediction x", row: i / width, column: i % width,
                                               value: x.scalars[i])
        }
        return result
    }
}
