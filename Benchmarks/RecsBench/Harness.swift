import Foundation

/// One measured case: what ran, on which kernels, how fast (median and spread of repeats).
struct BenchResult: Encodable {
    let name: String
    let variant: String
    let shape: String
    let unit: String
    let median: Double
    let min: Double
    let max: Double
    let repeats: Int
    var reference: Double?
    var ratio: Double? { reference.map { median / $0 } }

    enum CodingKeys: String, CodingKey { case name, variant, shape, unit, median, min, max, repeats, reference, ratio }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(variant, forKey: .variant)
        try c.encode(shape, forKey: .shape); try c.encode(unit, forKey: .unit)
        try c.encode(median, forKey: .median); try c.encode(min, forKey: .min); try c.encode(max, forKey: .max)
        try c.encode(repeats, forKey: .repeats)
        try c.encodeIfPresent(reference, forKey: .reference); try c.encodeIfPresent(ratio, forKey: .ratio)
    }
}

/// Keeps the optimizer from deleting work whose result is otherwise unused.
@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Runs `body` once to warm up, then `repeats` times; returns `work / seconds` per repeat.
func measure(repeats: Int, work: Double, _ body: () throws -> Void) rethrows -> [Double] {
    try body()
    var rates: [Double] = []
    for _ in 0..<repeats {
        let start = ContinuousClock.now
        try body()
        rates.append(work / seconds(ContinuousClock.now - start))
    }
    return rates.sorted()
}

func median(_ sorted: [Double]) -> Double {
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

func result(_ name: String, _ variant: String, _ shape: String, _ unit: String, _ rates: [Double]) -> BenchResult {
    BenchResult(name: name, variant: variant, shape: shape, unit: unit, median: median(rates),
                min: rates.first ?? 0, max: rates.last ?? 0, repeats: rates.count)
}

func printTable(_ results: [BenchResult]) {
    func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
    print(pad("case", 14) + pad("variant", 12) + pad("shape", 22) + pad("median", 24) + pad("min…max", 26) + "ratio")
    for r in results {
        let m = String(format: "%.1f", r.median)
        let spread = String(format: "%.1f…%.1f", r.min, r.max)
        let ratio = r.ratio.map { String(format: "%.2f×", $0) } ?? ""
        print(pad(r.name, 14) + pad(r.variant, 12) + pad(r.shape, 22) + pad(m + " " + r.unit, 24) + pad(spread, 26) + ratio)
    }
}
