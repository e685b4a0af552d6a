import CKernels
import Foundation
import Testing

/// The kernels of a training step on small shapes (NeuMF's): the fused dense forward, the
/// fused activation + bias backward, the strided embedding lookup, the one-pass row-sparse
/// embedding gradient and the id check, each against a plain Double reference, and the
/// fused kernels bit for bit against the unfused ones they replace.
@Suite("Training kernels") struct TrainingKernelTests {
    static let linearShapes: [(rows: Int, inputs: Int, units: Int)] = [
        (256, 64, 32), (256, 32, 16), (256, 16, 8), (256, 16, 1), (7, 5, 3), (13, 9, 17), (1, 1, 1),
        (65, 33, 40), (300, 70, 520), (20, 500, 24), (700, 100, 24), (5, 0, 4)]
    static let acts: [ck_act] = [CK_ACT_LINEAR, CK_ACT_RELU, CK_ACT_SIGMOID, CK_ACT_TANH]

    static func reference(_ x: [Float], _ w: [Float], _ bias: [Float]?, rows: Int, inputs: Int, units: Int,
                          act: ck_act) -> [Double] {
        var out = [Double](repeating: 0, count: rows * units)
        for r in 0..<rows {
            for j in 0..<units {
                var s = bias.map { Double($0[j]) } ?? 0
                for p in 0..<inputs { s += Double(x[r * inputs + p]) * Double(w[p * units + j]) }
                switch act {
                case CK_ACT_RELU: s = max(s, 0)
                case CK_ACT_SIGMOID: s = 1 / (1 + Foundation.exp(-s))
                case CK_ACT_TANH: s = Foundation.tanh(s)
                default: break
                }
                out[r * units + j] = s
            }
        }
        return out
    }

    @Test(arguments: linearShapes)
    func linearForwardMatchesDoubleAndTheUnfusedKernels(shape: (rows: Int, inputs: Int, units: Int)) {
        let (rows, inputs, units) = shape
        var rng = TestRNG(UInt64(rows * 1000 + inputs * 10 + units))
        let x = rng.floats(rows * inputs), w = rng.floats(inputs * units), b = rng.floats(units)
        for act in Self.acts {
            for bias in [b, nil] as [[Float]?] {
                var y = [Float](repeating: .nan, count: rows * units)
                ck_linear_forward(&y, x, w, bias, rows, inputs, units, act)
                let ref = Self.reference(x, w, bias, rows: rows, inputs: inputs, units: units, act: act)
                expectClose(y, ref, relative: 1e-4, absolute: 1e-4, elementwise: true,
                            "\(rows)×\(inputs)→\(units) act \(act.rawValue) bias \(bias != nil)")
                // Bit for bit the product and bias + activation it replaces.
                var unfused = [Float](repeating: .nan, count: rows * units)
                ck_sgemm(CK_NO_TRANS, CK_NO_TRANS, rows, units, inputs, 1, x, max(inputs, 1),
                         w, max(units, 1), 0, &unfused, max(units, 1))
                ck_bias_act_forward(&unfused, unfused, bias, rows, units, act)
                #expect(y.map(\.bitPattern) == unfused.map(\.bitPattern),
                        "\(rows)×\(inputs)→\(units) act \(act.rawValue) bias \(bias != nil): differs from gemm + bias_act")
            }
        }
    }

    @Test(arguments: [(256, 32), (256, 16), (256, 8), (256, 1), (7, 45), (3, 70), (1, 1)])
    func activationBiasBackwardMatchesDoubleAndTheUnfusedKernels(rows: Int, cols: Int) {
        var rng = TestRNG(UInt64(rows * 100 + cols))
        let dy = rng.floats(rows * cols)
        var y = rng.floats(rows * cols, -1, 1)
        for act in Self.acts {
            if act == CK_ACT_RELU { y = y.map { $0 < -0.3 ? 0 : $0 } }        // exact zeros as ReLU outputs
            if act == CK_ACT_SIGMOID { y = y.map { ($0 + 1) / 2 } }
            var dz = [Float](repeating: .nan, count: rows * cols), db = [Float](repeating: .nan, count: cols)
            ck_act_bias_backward(&dz, dy, y, &db, rows, cols, act)
            var refZ = [Double](repeating: 0, count: rows * cols), refB = [Double](repeating: 0, count: cols)
            for i in 0..<(rows * cols) {
                let yi = Double(y[i]), g = Double(dy[i])
                switch act {
                case CK_ACT_RELU: refZ[i] = yi > 0 ? g : 0
                case CK_ACT_SIGMOID: refZ[i] = g * yi * (1 - yi)
                case CK_ACT_TANH: refZ[i] = g * (1 - yi * yi)
                default: refZ[i] = g
                }
                refB[i % cols] += refZ[i]
            }
            expectClose(dz, refZ, relative: 1e-6, absolute: 1e-7, elementwise: true, "dz act \(act.rawValue)")
            expectClose(db, refB, relative: 1e-5, absolute: 1e-5, elementwise: true, "dbias act \(act.rawValue)")
            // Bit for bit ck_act_backward then ck_bias_backward; and in place (dz = dy).
            var dz2 = [Float](repeating: .nan, count: rows * cols), db2 = [Float](repeating: .nan, count: cols)
            ck_act_backward(&dz2, dy, y, rows, cols, act)
            ck_bias_backward(&db2, dz2, rows, cols)
            #expect(dz.map(\.bitPattern) == dz2.map(\.bitPattern) && db.map(\.bitPattern) == db2.map(\.bitPattern))
            var inPlace = dy
            var db3 = [Float](repeating: .nan, count: cols)
            inPlace.withUnsafeMutableBufferPointer { p in
                ck_act_bias_backward(p.baseAddress, p.baseAddress, y, &db3, rows, cols, act)
            }
            #expect(inPlace.map(\.bitPattern) == dz.map(\.bitPattern) && db3.map(\.bitPattern) == db.map(\.bitPattern))
            // Without a bias: the activation only.
            var dz4 = [Float](repeating: .nan, count: rows * cols)
            ck_act_bias_backward(&dz4, dy, y, nil, rows, cols, act)
            #expect(dz4.map(\.bitPattern) == dz.map(\.bitPattern))
        }
    }

    @Test(arguments: [(dim: 8, perRow: 1), (dim: 32, perRow: 1), (dim: 3, perRow: 2), (dim: 5, perRow: 3)])
    func stridedLookupAndOnePassGradient(dim: Int, perRow: Int) {
        let tableRows = 11, rows = 40
        var rng = TestRNG(UInt64(dim * 10 + perRow))
        let table = rng.floats(tableRows * dim)
        let ids: [Float] = (0..<(rows * perRow)).map { _ in Float(rng.next() % UInt64(tableRows)) }
        // Forward into columns 2… of a wider matrix; the other columns stay untouched.
        let ld = perRow * dim + 5
        var out = [Float](repeating: -7, count: rows * ld)
        out.withUnsafeMutableBufferPointer { p in
            ck_embedding_forward_ld(table, dim, ids, rows, perRow, p.baseAddress! + 2, ld)
        }
        for r in 0..<rows {
            for j in 0..<perRow {
                let id = Int(ids[r * perRow + j])
                #expect(Array(out[(r * ld + 2 + j * dim)..<(r * ld + 2 + (j + 1) * dim)]) == Array(table[(id * dim)..<((id + 1) * dim)]))
            }
            #expect(out[r * ld] == -7 && out[r * ld + 1] == -7 && out[r * ld + 2 + perRow * dim] == -7)
        }
        // Backward: rows of a previous step are cleared, this step's rows summed in Double.
        let dy = rng.floats(rows * ld)
        var grad = rng.floats(tableRows * dim)            // garbage in the previous step's rows…
        var stamps = [UInt32](repeating: 0, count: tableRows)
        var list = [Int32](repeating: -1, count: tableRows)
        for r in 0..<tableRows where r % 3 != 0 { grad.replaceSubrange((r * dim)..<((r + 1) * dim), with: repeatElement(0, count: dim)) }
        let previous = [0, 3, 6, 9]                       // …listed as last step's rows
        for (k, r) in previous.enumerated() { list[k] = Int32(r) }
        let count = dy.withUnsafeBufferPointer { d in
            ck_embedding_backward_rows(&grad, dim, ids, rows, perRow, d.baseAddress! + 2, ld, &stamps, 5, &list, previous.count)
        }
        var ref = [Double](repeating: 0, count: tableRows * dim)
        var firstSeen: [Int32] = []
        for r in 0..<rows {
            for j in 0..<perRow {
                let id = Int(ids[r * perRow + j])
                if !firstSeen.contains(Int32(id)) { firstSeen.append(Int32(id)) }
                for e in 0..<dim { ref[id * dim + e] += Double(dy[r * ld + 2 + j * dim + e]) }
            }
        }
        #expect(count == firstSeen.count)
        #expect(Array(list[0..<count]) == firstSeen)
        for r in 0..<tableRows { #expect((stamps[r] == 5) == firstSeen.contains(Int32(r))) }
        expectClose(grad, ref, relative: 1e-6, absolute: 1e-6, elementwise: true, "embedding gradient dim \(dim)")
    }

    /// The compact gradient of a lazy table, every variant: slots in first-touch order,
    /// each the Double sum of its rows' dy vectors; bit for bit the rows the full-table
    /// kernel (`ck_embedding_backward_rows`) writes; stamps of untouched rows untouched.
    @Test(arguments: [(dim: 8, perRow: 1), (dim: 32, perRow: 1), (dim: 3, perRow: 2), (dim: 5, perRow: 3)])
    func compactGradientRowsMatchTheDoubleSums(dim: Int, perRow: Int) {
        let variants: [ck_isa] = [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_AUTO].filter { ck_isa_available($0) != 0 }
        let tableRows = 37, rows = 64
        var rng = TestRNG(UInt64(dim * 100 + perRow))
        let ids: [Float] = (0..<(rows * perRow)).map { _ in Float(rng.next() % UInt64(tableRows)) }
        let ld = perRow * dim + 3
        var dy = rng.floats(rows * ld)
        dy[2] = -0.0                                        // a −0 that starts a row: +0 as in the full table
        var firstSeen: [Int32] = []
        var ref = [Double](repeating: 0, count: tableRows * dim)
        for r in 0..<rows {
            for j in 0..<perRow {
                let id = Int(ids[r * perRow + j])
                if !firstSeen.contains(Int32(id)) { firstSeen.append(Int32(id)) }
                for e in 0..<dim { ref[id * dim + e] += Double(dy[r * ld + 2 + j * dim + e]) }
            }
        }
        // The full-table kernel on the same step, for the bit-for-bit comparison.
        var full = [Float](repeating: 0, count: tableRows * dim)
        var fullStamps = [UInt32](repeating: 0, count: tableRows), fullList = [Int32](repeating: -1, count: tableRows)
        _ = dy.withUnsafeBufferPointer { d in
            ck_embedding_backward_rows(&full, dim, ids, rows, perRow, d.baseAddress! + 2, ld, &fullStamps, 5, &fullList, 0)
        }
        for isa in variants {
            let name = String(cString: ck_isa_name(isa))
            var compact = [Float](repeating: .nan, count: min(tableRows, rows * perRow) * dim + 1)
            var stamps = [UInt32](repeating: 4, count: tableRows)     // last step's stamp everywhere
            var slots = [Int32](repeating: 99, count: tableRows)
            var list = [Int32](repeating: -1, count: tableRows)
            let count = dy.withUnsafeBufferPointer { d in
                ck_embedding_backward_compact_isa(isa, &compact, dim, ids, rows, perRow, d.baseAddress! + 2, ld,
                                                  &stamps, 5, &slots, &list)
            }
            #expect(count == firstSeen.count, "\(name)")
            guard count == firstSeen.count else { continue }
            #expect(Array(list[0..<count]) == firstSeen, "\(name)")
            var got = [Float](), expected = [Double](), fullRows = [Float]()
            for (s, row) in firstSeen.enumerated() {
                #expect(slots[Int(row)] == Int32(s), "\(name) slot of row \(row)")
                got += compact[(s * dim)..<((s + 1) * dim)]
                expected += ref[(Int(row) * dim)..<((Int(row) + 1) * dim)]
                fullRows += full[(Int(row) * dim)..<((Int(row) + 1) * dim)]
            }
            expectClose(got, expected, relative: 1e-6, absolute: 1e-6, elementwise: true, "compact gradient \(name) dim \(dim)")
            #expect(got.map(\.bitPattern) == fullRows.map(\.bitPattern), "\(name): compact rows differ from the full table's")
            let untouchedSlots = compact[(count * dim)...].allSatisfy { $0.isNaN }
            #expect(untouchedSlots, "\(name) wrote past the touched slots")
            for r in 0..<tableRows {
                #expect(stamps[r] == (firstSeen.contains(Int32(r)) ? 5 : 4), "\(name) stamp \(r)")
                if !firstSeen.contains(Int32(r)) { #expect(slots[r] == 99, "\(name) slot \(r) written") }
            }
        }
    }

    /// Long id columns (the block path): every variant finds the first bad id wherever it
    /// sits in a block, for strides 1, 2 (a packed pair) and 3, as a one-at-a-time reference.
    @Test(arguments: [1, 2, 3])
    func firstInvalidIdFindsTheFirstBadValueInLongColumns(stride: Int) {
        let variants: [ck_isa] = [CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_AUTO].filter { ck_isa_available($0) != 0 }
        let count = 300, limit = 50
        var rng = TestRNG(UInt64(stride) * 7)
        let good: [Float] = (0..<(count * stride)).map { _ in Float(rng.next() % UInt64(limit)) }
        func reference(_ x: [Float]) -> Int {
            (0..<count).first { i in
                let v = Double(x[i * stride])
                return !(v >= 0 && v < Double(limit) && v == v.rounded(.towardZero))
            } ?? count
        }
        for isa in variants {
            let name = String(cString: ck_isa_name(isa))
            #expect(ck_first_invalid_id_isa(isa, good, count, stride, limit) == count, "\(name)")
            for at in [0, 1, 63, 64, 65, 127, 128, 200, 255, 256, 299] {
                for bad: Float in [-1, 2.5, .nan, .infinity, Float(limit), -0.5] {
                    var x = good
                    x[at * stride] = bad
                    if at + 7 < count { x[(at + 7) * stride] = .nan }       // a later bad id too
                    if stride > 1 { x[at * stride + 1] = .nan }             // another column: not read
                    let got = ck_first_invalid_id_isa(isa, x, count, stride, limit)
                    #expect(got == reference(x) && got == at, "\(name) stride \(stride): \(bad) at \(at) → \(got)")
                }
            }
            #expect(ck_first_invalid_id_isa(isa, good, 0, stride, limit) == 0, "\(name) empty")
        }
    }

    @Test func firstInvalidIdFindsEveryKindOfBadValue() {
        let good: [Float] = [0, 1, 2, 9, 5, 0]
        #expect(ck_first_invalid_id(good, 6, 1, 10) == 6)
        #expect(ck_first_invalid_id(good, 3, 2, 10) == 3)       // 0, 2, 5
        #expect(ck_first_invalid_id(good, 6, 1, 9) == 3)        // 9 ≥ limit
        for bad: Float in [-1, 2.5, .nan, .infinity, -.infinity, 1e30, -0.5] {
            #expect(ck_first_invalid_id([0, 1, bad, 3], 4, 1, 10) == 2, "\(bad)")
            #expect(ck_first_invalid_id([0, 7, bad, 1], 2, 2, 10) == 1, "\(bad) strided")
            #expect(ck_first_invalid_id([0, bad, 1, 2], 2, 2, 10) == 2, "\(bad) skipped by the stride")
        }
        #expect(ck_first_invalid_id([], 0, 1, 10) == 0)
    }
}
