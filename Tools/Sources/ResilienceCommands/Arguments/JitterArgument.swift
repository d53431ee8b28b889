import ArgumentParser
import Resilience

/// Parses the jitter kinds the command line accepts: `none`, `full`, `equal`, `decorrelated`,
/// `proportional` (the guide's "add 0-50 %", fraction 0.5) or `proportional:F` with `F` in `0...1`.
///
/// Options take it with `transform: JitterArgument.init(parsing:)`, so that ArgumentParser's error
/// says what is wrong (see ``DurationArgument``).
package struct JitterArgument: Hashable, Sendable, ExpressibleByArgument {
    /// The names accepted, for help and error messages.
    package static let names = "none, full, equal, decorrelated, proportional[:F]"

    /// The jitter.
    package var jitter: Jitter

    /// Parses `text` as a jitter kind.
    ///
    /// - Parameter text: The argument, such as `full`.
    /// - Throws: ``ArgumentError`` for an unknown kind or a fraction outside `0...1`.
    package init(parsing text: String) throws(ArgumentError) {
        jitter = try Self.parse(text)
    }

    /// Parses `argument`, for ArgumentParser; `nil` when it is not a jitter kind.
    ///
    /// - Parameter argument: The argument, such as `full`.
    package init?(argument: String) {
        guard let jitter = try? Self.parse(argument) else { return nil }
        self.jitter = jitter
    }

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
