/// A functional graph run as one layer: the packed input (every ``Input``'s columns side
/// by side) is split per input, each node runs in topological order over buffers planned
/// for the batch, and backward runs in reverse, summing gradients where a node feeds
/// several layers. ``Model`` wraps it in a `Sequential`, so `fit`, `evaluate`, `predict`,
/// callbacks and weights files are the same code for both APIs.
///
/// The graph keeps per-batch buffers between forward and backward, so it trains on one
/// thread (the model marks itself single-threaded).
final class GraphLayer: Layer, ActivationFusing, InputValidating {
    var name = "functional"
    var typeName: String { "Functional" }
    let inputs: [Input]
    let inputNodes: [Node]
    /// Computing nodes in topological order; the last is the output.
    let nodes: [Node]
    /// Column offset of each input in the packed matrix, and the total width.
    let inputOffsets: [Int]
    let packedWidth: Int
    /// For node slot `s` (inputs first, then computing nodes), the slots of its sources.
    private let sourceSlots: [[Int]]
    /// How many layers read each slot.
    private let fanout: [Int]
    /// Per computing node, its layer as a merge layer (or `nil`), cast once here rather
    /// than per batch.
    private let mergeLayers: [(any MergeLayer)?]
    /// Per computing node whose output is written straight into the columns of the
    /// `Concatenate` that is its only reader: the layer, the concatenation's slot and the
    /// first column (`nil` otherwise). The concatenation then neither copies that input
    /// forward nor its gradient backward; the node reads its gradient from there.
    private let aliases: [(layer: any StridedOutputLayer, target: Int, column: Int)?]
    /// Per computing node that is such a `Concatenate`: which of its inputs are written in
    /// place (kept here, not on the layer: a node may be shared by several models).
    private let aliasedInputs: [(concat: Concatenate, skip: [Bool])?]

    private var capacity = 0
    private var workspace = Workspace()
    private var values: [MatrixView] = []
    private var gradients: [MatrixView] = []
    /// A separate gradient buffer per (node, source) edge whose source fans out.
    private var edgeGradients: [[MatrixView?]] = []
    private var sourceViews: [[MatrixView]]
    private var sourceGradients: [[MatrixView?]]

    init(inputs: [Input], output: Node) throws {
        if let error = output.error { throw error }
        self.inputs = inputs
        let inputNodes = inputs.map(\.node)
        self.inputNodes = inputNodes
        var slot: [ObjectIdentifier: Int] = [:]
        for (i, n) in inputNodes.enumerated() {
            guard slot[ObjectIdentifier(n)] == nil else {
                throw DeepCoreError.invalidArgument("Model: input '\(inputs[i].name)' is listed twice")
            }
            slot[ObjectIdentifier(n)] = i
        }
        // Depth-first post-order from the output gives a topological order.
        var order: [Node] = []
        var visiting: Set<ObjectIdentifier> = []
        func visit(_ n: Node) throws {
            let id = ObjectIdentifier(n)
            if slot[id] != nil || visiting.contains(id) { return }
            guard n.layer != nil else {
                throw DeepCoreError.invalidArgument(
                    "Model: the output depends on input '\(n.input!.name)', which is not in `inputs`")
            }
            visiting.insert(id)
            for s in n.sources { try visit(s) }
            slot[id] = inputNodes.count + order.count
            order.append(n)
        }
        try visit(output)
        guard !order.isEmpty else { throw DeepCoreError.notReady("Model: the output is an input; add layers") }
        var seenLayers: Set<ObjectIdentifier> = []
        for n in order where !seenLayers.insert(ObjectIdentifier(n.layer!)).inserted {
            throw DeepCoreError.invalidArgument(
                "Model: layer '\(n.layer!.name)' (\(n.layer!.typeName)) is called more than once; shared weights are not supported")
        }
        nodes = order
        let sources = order.map { $0.sources.map { slot[ObjectIdentifier($0)]! } }
        sourceSlots = Array(repeating: [], count: inputNodes.count) + sources
        var fan = Array(repeating: 0, count: inputNodes.count + order.count)
        for list in sources { for s in list { fan[s] += 1 } }
        fanout = fan
        mergeLayers = order.map { $0.layer as? any MergeLayer }
        var alias: [(layer: any StridedOutputLayer, target: Int, column: Int)?] = order.map { _ in nil }
        var aliasedInputs: [(concat: Concatenate, skip: [Bool])?] = order.map { _ in nil }
        for (j, n) in order.enumerated() where j < order.count - 1 {   // not into the model's output
            guard let concat = n.layer as? Concatenate else { continue }
            var column = 0
            var aliased: [Bool] = []
            for (k, s) in sources[j].enumerated() {
                let source = s - inputNodes.count
                if source >= 0, fan[s] == 1, let strided = order[source].layer as? any StridedOutputLayer {
                    alias[source] = (strided, inputNodes.count + j, column)
                    aliased.append(true)
                } else {
                    aliased.append(false)
                }
                column += n.sources[k].width
            }
            if aliased.contains(true) { aliasedInputs[j] = (concat, aliased) }
        }
        aliases = alias
        self.aliasedInputs = aliasedInputs
        for (i, n) in inputNodes.enumerated() where fan[i] == 0 {
            throw DeepCoreError.invalidArgument("Model: input '\(inputs[i].name)' (shape \(n.shape!)) is not used by the output")
        }
        var offsets: [Int] = []
        var total = 0
        for n in inputNodes { offsets.append(total); total += n.width }
        inputOffsets = offsets
        packedWidth = total
        sourceViews = []
        sourceGradients = order.map { n in n.sources.map { _ in nil } }
        var names: [String: Int] = [:]
        func unique(_ base: String) -> String {
            let used = names[base, default: 0]
            names[base] = used + 1
            return used == 0 ? base : "\(base)_\(used)"
        }
        for input in inputs where input.name == "input" { input.name = unique("input_layer") }
        for n in order { n.layer!.name = unique(Sequential.baseName(n.layer!)) }
    }

    var output: Node { nodes[nodes.count - 1] }

    // MARK: Layer

    func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape == [packedWidth] else {
            throw DeepCoreError.shapeMismatch("model inputs pack to \(packedWidth) columns, got \(inputShape)")
        }
        return output.shape!
    }

    var parameters: [Parameter] { nodes.flatMap { $0.layer!.parameters } }

    var namedParameters: [(String, Parameter)] {
        nodes.flatMap { n in n.layer!.parameters.map { ("\(n.layer!.name)/\($0.name)", $0) } }
    }

    var activation: Activation { (output.layer as? any ActivationFusing)?.activation ?? .linear }
    var defersActivation: Bool {
        get { (output.layer as? any ActivationFusing)?.defersActivation ?? false }
        set { if let f = output.layer as? any ActivationFusing { f.defersActivation = newValue } }
    }

    func validateInput(_ packed: UnsafeBufferPointer<Float>, columns: Int, role: String) throws {
        let rows = packed.count / max(columns, 1)
        for (i, input) in inputNodes.enumerated() {
            let width = input.width, offset = inputOffsets[i]
            var column: [Float] = []
            for (n, slotSources) in zip(nodes, sourceSlots.dropFirst(inputNodes.count)) where slotSources.contains(i) {
                guard let validating = n.layer as? any InputValidating else { continue }
                if width == 1, let embedding = validating as? Embedding {   // read the column in place
                    try embedding.validateInput(packed.baseAddress.map { $0 + offset }, count: rows, stride: columns,
                                                columns: 1, role: "\(role) input '\(inputs[i].name)'")
                    continue
                }
                if column.isEmpty {
                    column.reserveCapacity(rows * width)
                    for r in 0..<rows { column.append(contentsOf: packed[(r * columns + offset)..<(r * columns + offset + width)]) }
                }
                try column.withUnsafeBufferPointer {
                    try validating.validateInput($0, columns: width, role: "\(role) input '\(inputs[i].name)'")
                }
            }
        }
    }

    private func ensureCapacity(_ rows: Int) {
        guard rows > capacity else { return }
        capacity = max(rows, capacity * 2)
        workspace = Workspace()
        let all = inputNodes + nodes
        values = all.map { workspace.matrix(rows: capacity, columns: $0.width) }
        gradients = all.enumerated().map { s, n in
            s < inputNodes.count ? MatrixView(base: values[s].base, rows: 0, columns: n.width)
                                 : workspace.matrix(rows: capacity, columns: n.width)
        }
        edgeGradients = nodes.indices.map { j in
            sourceSlots[inputNodes.count + j].map { s in
                s >= inputNodes.count && fanout[s] > 1 ? workspace.matrix(rows: capacity, columns: all[s].width) : nil
            }
        }
        sourceViews = nodes.indices.map { j in sourceSlots[inputNodes.count + j].map { values[$0] } }
    }

    func forward(_ input: MatrixView, into output: MatrixView, context: LayerContext) {
        let rows = input.rows
        ensureCapacity(rows)
        let first = inputNodes.count
        for i in 0..<inputOffsets.count {
            let offset = inputOffsets[i]
            let dst = values[i], w = dst.columns
            Kernels.copyBlock(dst.base, ldd: w, from: input.base + offset, lds: input.columns, rows: rows, cols: w)
        }
        for j in 0..<nodes.count {
            let sources = sourceSlots[first + j]
            for k in 0..<sources.count { sourceViews[j][k] = values[sources[k]].prefix(rows: rows) }
            let out = j == nodes.count - 1 ? output : values[first + j].prefix(rows: rows)
            if let aliased = aliasedInputs[j] {
                aliased.concat.forward(sourceViews[j], into: out, skipping: aliased.skip)
            } else if let merge = mergeLayers[j] {
                merge.forward(sourceViews[j], into: out, context: context)
            } else if let alias = aliases[j] {
                let target = values[alias.target]
                alias.layer.forward(sourceViews[j][0], into: target.base + alias.column, ld: target.columns,
                                    context: context)
            } else {
                nodes[j].layer!.forward(sourceViews[j][0], into: out, context: context)
            }
        }
    }

    func backward(input: MatrixView, output: MatrixView, outputGradient: MatrixView,
                  inputGradient: MatrixView?, context: LayerContext) {
        let rows = input.rows
        let first = inputNodes.count
        for s in first..<fanout.count where fanout[s] > 1 {
            gradients[s].base.update(repeating: 0, count: rows * gradients[s].columns)
        }
        for j in stride(from: nodes.count - 1, through: 0, by: -1) {
            let isOutput = j == nodes.count - 1
            let dy = isOutput ? outputGradient : gradients[first + j].prefix(rows: rows)
            let y = isOutput ? output : values[first + j].prefix(rows: rows)
            let sources = sourceSlots[first + j]
            for k in 0..<sources.count {
                let s = sources[k]
                sourceViews[j][k] = values[s].prefix(rows: rows)
                if s < first { sourceGradients[j][k] = nil }
                else if let edge = edgeGradients[j][k] { sourceGradients[j][k] = edge.prefix(rows: rows) }
                else { sourceGradients[j][k] = gradients[s].prefix(rows: rows) }
            }
            if let aliased = aliasedInputs[j] {
                aliased.concat.backward(outputGradient: dy, inputGradients: sourceGradients[j], skipping: aliased.skip)
            } else if let merge = mergeLayers[j] {
                merge.backward(inputs: sourceViews[j], output: y, outputGradient: dy,
                               inputGradients: sourceGradients[j], context: context)
            } else if let alias = aliases[j] {
                let g = gradients[alias.target]
                alias.layer.backward(input: sourceViews[j][0], outputGradient: g.base + alias.column, ld: g.columns,
                                     inputGradient: sourceGradients[j][0], context: context)
            } else {
                nodes[j].layer!.backward(input: sourceViews[j][0], output: y, outputGradient: dy,
                                         inputGradient: sourceGradients[j][0], context: context)
            }
            for k in 0..<sources.count {
                guard let edge = edgeGradients[j][k] else { continue }
                let total = gradients[sources[k]].base, part = edge.base
                for e in 0..<(rows * edge.columns) { total[e] += part[e] }
            }
        }
        if let inputGradient { inputGradient.base.update(repeating: 0, count: inputGradient.count) }
    }
}
