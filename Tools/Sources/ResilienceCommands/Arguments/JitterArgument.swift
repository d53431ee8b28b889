import Resilience

/// Parses the jitter kinds the command line accepts: `none`, `full`, `equal`, `decorrelated`,
/// `proportional` (the guide's "add 0-50 %", fraction 0.5) or `proportional:F` with `F` in `0...1`.
package enum JitterArgument {
    /// The names accepted, for help and error messages.
    package static let names = "none, full, equal, decorrelated, proportional[:F]"

    /// Parses `text` as a jitter kind.
    ///
    /// - Parameter text: The argument, such as `full` or `proportional:0.25`.
    /// - Returns: The library's ``Jitter``.
    /// - Throws: ``ArgumentError`` for an unknown kind or a fraction outside `0...1`.
    package static func parse(_ text: String) throws(ArgumentError) -> Jitter {
        let trimmed = text.trimmingSpaces().lowercased()
        switch trimmed {
        case "none": return .none
        case "full": return .full
        case "equal": return .equal
        case "decorrelated": return .decorrelated
        case "proportional": return .proportional(0.5)
        default:
            let prefixes = ["proportional:", "proportional="]
            guard let prefix = prefixes.first(where: { trimmed.hasPrefix($0) }) else {
                throw ArgumentError("unknown jitter \"\(text)\"; expected one of \(names)")
            }
            let fractionText = trimmed.dropFirst(prefix.count)
            guard let fraction = Double(fractionText), fraction.isFinite, (0...1).contains(fraction) else {
                throw ArgumentError("the proportional jitter's fraction must be a number in 0...1, got \"\(fractionText)\"")
            }
            return .proportional(fraction)
        }
    }
}
