import ArgumentParser

/// A set of attempt outcomes named on the command line, for `--retry-on` and `--stop-on`.
///
/// The syntax is a comma-separated list of:
/// - an exit status, `0` to `255`: `75`;
/// - an inclusive range of them: `1-3`, `100-110`;
/// - `signal`: any attempt ended by a signal;
/// - `timeout`: any attempt killed for running past `--timeout`.
///
/// An outcome matches when its exit status as a shell reports it (``AttemptOutcome/exitStatus``) is
/// listed, or when it ended by a signal and `signal` is listed, or timed out and `timeout` is listed.
/// So `137` matches an attempt killed by `SIGKILL`, and `124` one that timed out.
///
/// Options take it with `transform: ExitStatusSet.init(parsing:)`, so that ArgumentParser's error
/// says what is wrong (see ``DurationArgument``).
package struct ExitStatusSet: Hashable, Sendable, CustomStringConvertible, ExpressibleByArgument {
    /// The listed exit statuses, as a 256-bit set.
    private var statuses: [UInt64] = [0, 0, 0, 0]
    /// Whether `signal` was listed.
    package private(set) var includesSignals = false
    /// Whether `timeout` was listed.
    package private(set) var includesTimeouts = false

    /// An empty set.
    package init() {}

    /// Parses a list such as `75,100-110,signal`.
    ///
    /// - Parameter text: The list.
    /// - Throws: ``ArgumentError`` naming the element that is not a status, a range or a keyword.
    package init(parsing text: String) throws(ArgumentError) {
        let elements = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        guard !text.trimmingSpaces().isEmpty else {
            throw ArgumentError("expected exit statuses such as 75, 1-3 or signal, got an empty list")
        }
        for element in elements {
            switch element.lowercased() {
            case "":
                throw ArgumentError("\"\(text)\" has an empty element; separate statuses with single commas")
            case "signal", "signals":
                includesSignals = true
            case "timeout", "timeouts":
                includesTimeouts = true
            default:
                let bounds = element.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let low = Self.status(bounds[0]), let high = Self.status(bounds.last ?? "") else {
                    throw ArgumentError(
                        "\"\(element)\" is not an exit status (0-255), a range such as 1-3, \"signal\" or \"timeout\""
                    )
                }
                guard low <= high else {
                    throw ArgumentError("the range \"\(element)\" is empty: its start must not exceed its end")
                }
                for status in low...high { insert(status) }
            }
        }
    }

    /// Parses `argument`, for ArgumentParser; `nil` when it is not a list of outcomes.
    ///
    /// - Parameter argument: The list, such as `75,100-110`.
    package init?(argument: String) {
        guard let set = try? ExitStatusSet(parsing: argument) else { return nil }
        self = set
    }

    private static func status(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text),
            (0...255).contains(value)
        else { return nil }
        return value
    }

    private mutating func insert(_ status: Int) {
        statuses[status / 64] |= 1 << UInt64(status % 64)
    }

    /// Whether the set lists exit status `status`.
    ///
    /// - Parameter status: An exit status.
    package func contains(status: Int32) -> Bool {
        guard (0...255).contains(status) else { return false }
        return statuses[Int(status) / 64] & (1 << UInt64(status % 64)) != 0
    }

    /// Whether `outcome` is one of the outcomes this set names.
    ///
    /// - Parameter outcome: An attempt's outcome.
    package func matches(_ outcome: AttemptOutcome) -> Bool {
        switch outcome.termination {
        case .signaled where includesSignals: return true
        case .timedOut where includesTimeouts: return true
        default: return contains(status: outcome.exitStatus)
        }
    }

    /// The union of two sets, for options given more than once.
    ///
    /// - Parameter other: Another set.
    /// - Returns: The outcomes either set names.
    package func union(_ other: ExitStatusSet) -> ExitStatusSet {
        var result = self
        for index in 0..<4 { result.statuses[index] |= other.statuses[index] }
        result.includesSignals = includesSignals || other.includesSignals
        result.includesTimeouts = includesTimeouts || other.includesTimeouts
        return result
    }

    /// The set in the command-line syntax, with ranges collapsed, such as `1-3,75,signal`.
    package var description: String {
        var parts: [String] = []
        var status = 0
        while status <= 255 {
            guard contains(status: Int32(status)) else {
                status += 1
                continue
            }
            var end = status
            while end < 255 && contains(status: Int32(end + 1)) { end += 1 }
            parts.append(end == status ? "\(status)" : "\(status)-\(end)")
            status = end + 1
        }
        if includesSignals { parts.append("signal") }
        if includesTimeouts { parts.append("timeout") }
        return parts.joined(separator: ",")
    }
}
