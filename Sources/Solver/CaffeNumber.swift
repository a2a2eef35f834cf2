import Foundation

/// Numbers as Caffe's logs print them: C++ `ostream <<` with its default precision, 6
/// significant digits in `%g` style (`0.1`, `1.64754`, `1e-05`). Caffe's `parse_log.py` reads
/// these.
public enum CaffeNumber {
    public static func format(_ value: Float) -> String { format(Double(value)) }

    public static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%g", value)
    }
}
