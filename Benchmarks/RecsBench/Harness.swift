import Foundation

/// One measured case: what ran, on which kernels, how fast (median and spread of repeats).
///
/// The JSON schema (also written by `Benchmarks/peers/*.py`): `name`, `variant`, `shape`,
/// `unit`, `median`, `min`, `max`, `repeats`, `threads`, and optionally `reference` (the
/// median of what this row is compared with), `against` (what that is) and
/// `ratio` (= median / reference).
struct BenchResult: Encodable {
    let name: String
    let variant: String
    let shape: String
    let unit: String
    let median: Double
    let min: Double
    let max: Double
    let repeats: Int
    var threads = 1
    var reference: Double?
    var against: String?
    var ratio: Double? { reference.map { median / $0 } }

    enum CodingKeys: String, CodingKey {
        case name, variant, shape, unit, median, min, max, repeats, threads, reference, against, ratio
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(variant, forKey: .variant)
        try c.encode(shape, forKey: .shape); try c.encode(unit, forKey: .unit)
        try c.encode(median, forKey: .median); try c.encode(min, forKey: .min); try c.encode(max, forKey: .max)
        try c.encode(repeats, forKey: .repeats); try c.encode(threads, forKey: .threads)
        try c.encodeIfPresent(reference, forKey: .reference); try c.encodeIfPresent(against, forKey: .against)
        try c.encodeIfPresent(ratio, forKey: .ratio)
    }

    /// The same measurement in another unit (e.g. samples/s → GFLOP/s), compared with `reference`.
    func scaled(by factor: Double, unit: String, reference: Double?, against: String?) -> BenchResult {
        var r = BenchResult(name: name, variant: variant, shape: shape, unit: unit, median: median * factor,
                            min: min * factor, max: max * factor, repeats: repeats, threads: threads)
        r.reference = reference
        r.against = against
        return r
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

/// Warms `body` up, then finds how many calls take at least `minSeconds`.
private func calibratedCalls(minSeconds: Double, _ body: () -> Void) -> Int {
    body()
    var calls = 1
    while true {
        let start = ContinuousClock.now
        for _ in 0..<calls { body() }
        let t = seconds(ContinuousClock.now - start)
        if t >= minSeconds { return calls }
        calls = t <= 0 ? calls * 10 : Swift.max(calls * 2, Int(Double(calls) * minSeconds * 1.2 / t))
    }
}

/// Several bodies timed in turns: each is warmed up and given as many calls per round as
/// take at least `minSeconds`, then round r times body 0, body 1, … in order, `repeats`
/// rounds. A drift of the host's clock or load during the measurement then shifts every
/// body alike, so their ratios hold better than when each is timed in a block of its own.
/// Returns, per body, the sorted `work · calls / seconds` of its rounds.
func measureInTurns(repeats: Int, work: Double, minSeconds: Double = 0.05,
                    _ bodies: [() -> Void]) -> [[Double]] {
    let calls = bodies.map { calibratedCalls(minSeconds: minSeconds, $0) }
    var rates = bodies.map { _ in [Double]() }
    for _ in 0..<repeats {
        for (i, body) in bodies.enumerated() {
            let start = ContinuousClock.now
            for _ in 0..<calls[i] { body() }
            rates[i].append(work * Double(calls[i]) / seconds(ContinuousClock.now - start))
        }
    }
    return rates.map { $0.sorted() }
}

func median(_ sorted: [Double]) -> Double {
    let n = sorted.count
    guard n > 0 else { return 0 }
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

func result(_ name: String, _ variant: String, _ shape: String, _ unit: String, _ rates: [Double],
            threads: Int = 1) -> BenchResult {
    BenchResult(name: name, variant: variant, shape: shape, unit: unit, median: median(rates),
                min: rates.first ?? 0, max: rates.last ?? 0, repeats: rates.count, threads: threads)
}

/// A number with a precision that suits its size (0.0123, 1.23, 12.3, 1234).
func fmt(_ x: Double) -> String {
    let a = abs(x)
    if a == 0 { return "0" }
    if a >= 100 { return String(format: "%.0f", x) }
    if a >= 10 { return String(format: "%.1f", x) }
    if a >= 1 { return String(format: "%.2f", x) }
    return String(format: "%.3g", x)
}

func printTable(_ results: [BenchResult]) {
    func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
    // Columns as wide as their longest entry (plus a space).
    let name = results.map(\.name.count).reduce(13, max) + 1
    let variant = results.map(\.variant.count).reduce(9, max) + 1
    let shape = results.map(\.shape.count).reduce(27, max) + 1
    print(pad("case", name) + pad("variant", variant) + pad("shape", shape) + pad("thr", 4) + pad("median", 22)
          + pad("min…max", 22) + "ratio")
    for r in results {
        let spread = fmt(r.min) + "…" + fmt(r.max)
        let ratio = r.ratio.map { String(format: "%.3f× ", $0) + (r.against.map { "vs " + $0 } ?? "") } ?? ""
        print(pad(r.name, name) + pad(r.variant, variant) + pad(r.shape, shape) + pad("\(r.threads)", 4)
              + pad(fmt(r.median) + " " + r.unit, 22) + pad(spread, 22) + ratio)
    }
}
