extension Sequential {
    /// Saves every parameter to `path` in a versioned, checksummed binary format. The write
    /// is atomic: a crash leaves the previous file intact.
    public func saveWeights(to path: String) throws {
        guard isBuilt else { throw DeepCoreError.notReady("model '\(name)' has no weights yet: build or fit it first") }
        let entries = namedParameters.map { WeightsFile.Entry(name: $0.0, shape: $0.1.shape) }
        let bytes = WeightsFile.encode(entries: entries, values: parameters.map { $0.tensor.scalars })
        try AtomicFile.write(bytes, to: path)
    }

    /// Loads parameters saved by ``saveWeights(to:)``. The model must be built with the
    /// same architecture; nothing changes unless the whole file verifies.
    public func loadWeights(from path: String) throws {
        guard isBuilt else { throw DeepCoreError.notReady("model '\(name)' must be built (Input or fit) before loading weights") }
        let stored = try WeightsFile.decode(try WeightsFile.read(path), path: path)
        let params = namedParameters
        guard stored.count == params.count else {
            throw WeightsFileError.architectureMismatch(
                path: path, detail: "file has \(stored.count) parameters, model has \(params.count)")
        }
        for ((entry, _), (name, p)) in zip(stored, params) where entry.name != name || entry.shape != p.shape {
            throw WeightsFileError.architectureMismatch(
                path: path, detail: "file has '\(entry.name)' \(entry.shape) where the model has '\(name)' \(p.shape)")
        }
        for ((_, values), (_, p)) in zip(stored, params) { p.assign(Tensor(shape: p.shape, scalars: values)) }
    }
}

extension Sequential {
    /// Every parameter with its file name `layer/parameter` (a functional graph names its
    /// own layers), in arena order.
    var namedParameters: [(String, Parameter)] {
        steps.flatMap { layer in
            if let graph = layer as? GraphLayer { return graph.namedParameters }
            return layer.parameters.map { ("\(layer.name)/\($0.name)", $0) }
        }
    }
}
