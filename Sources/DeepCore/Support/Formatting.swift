import Foundation

/// `value` with `digits` decimals, independent of the locale.
func formatFixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", locale: Locale(identifier: "en_US_POSIX"), value)
}

/// A metric value as Keras prints it (4 significant decimals).
func formatMetric(_ value: Double) -> String {
    if value != 0 && abs(value) < 1e-3 { return String(format: "%.4e", value) }
    return formatFixed(value, 4)
}
