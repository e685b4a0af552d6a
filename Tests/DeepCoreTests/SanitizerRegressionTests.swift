@testable import DeepCore
import Testing

/// Problems AddressSanitizer found in the test suite (`scripts/sanitizers address`).
@Suite("Sanitizer regressions") struct SanitizerRegressionTests {
    static func model() -> Sequential {
        Sequential([Input(shape: [3]), Dense(units: 4, activation: .relu), Dense(units: 2)], seed: 7)
    }

    /// `Sequential(...).parameters` outlives the model: the parameters used to point into
    /// the freed arena (heap-use-after-free in `Parameter.tensor`); they now keep it alive.
    @Test func parametersOutliveTheirModel() {
        let orphans = Self.model().parameters
        let live = Self.model()
        #expect(orphans.map(\.tensor) == live.parameters.map(\.tensor))
        #expect(orphans.contains { $0.tensor.scalars.contains { $0 != 0 } })
    }
}
