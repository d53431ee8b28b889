import ArgumentParser
import Foundation
import Resilience

/// The retry settings of `resilience run`: a preset as the base, with any flag overriding its field.
///
/// `--attempts`, `--backoff`, `--base`, `--multiplier`, `--increment`, `--max-delay`, `--jitter` and
/// `--deadline` each replace one field of the preset named by `--policy` (`default` when absent).
/// The result is checked by ``RetryPolicy``'s own validation, and a problem is reported with the
/// flag's name, such as `--multiplier must be at least 1, got 0.5`.
///
/// Which exits are retried is decided by exit status (``RunConfiguration/retryOn``), so the policy
/// built here retries every failure it is shown (``ErrorCategory/transient``); a preset's per-category
/// schedules (the adaptive preset's rate-limit schedule) do not apply to commands.
package struct PolicyArguments: Hashable, Sendable {
    /// The backoff shapes the command line offers.
    package enum BackoffKind: String, CaseIterable, Sendable {
        /// The same delay before every retry: `--base`.
        case constant
        /// `--base`, then `--increment` more each retry, up to `--max-delay`.
        case linear
        /// `--base`, multiplied by `--multiplier` each retry, up to `--max-delay`.
        case exponential
    }

    /// The name of the preset used as the base, a key of ``RetryPolicy/presets``.
    package var preset = "default"
    /// The most attempts, counting the first; `Int.max` for `forever`.
    package var attempts: Int?
    /// The backoff shape.
    package var backoff: BackoffKind?
    /// The first delay (the only one for a constant backoff).
    package var base: Duration?
    /// The exponential backoff's growth factor.
    package var multiplier: Double?
    /// The linear backoff's step.
    package var increment: Duration?
    /// The cap on every delay.
    package var maxDelay: Duration?
    /// The randomisation of every delay.
    package var jitter: Jitter?
    /// The budget for the whole run.
    package var deadline: Duration?

    /// Settings that keep every field of the `default` preset.
    package init() {}

    /// Parses `--attempts`: a whole number of at least 1, or `forever` (also `unlimited`, `inf`).
    ///
    /// - Parameter text: The argument.
    /// - Returns: The number of attempts; `Int.max` for `forever`.
    /// - Throws: ``ArgumentError`` for anything else.
    package static func parseAttempts(_ text: String) throws(ArgumentError) -> Int {
        let trimmed = text.trimmingSpaces().lowercased()
        if ["forever", "unlimited", "inf", "infinite"].contains(trimmed) { return .max }
        if trimmed.hasPrefix("-"), Int(trimmed) != nil {
            throw ArgumentError("\(trimmed) is negative; the number of attempts must be at least 1 (or \"forever\")")
        }
        guard let value = Int(trimmed) else {
            throw ArgumentError("expected a whole number of attempts (at least 1) or \"forever\", got \"\(text)\"")
        }
        guard value >= 1 else {
            throw ArgumentError("the number of attempts must be at least 1 (or \"forever\"), got \(value)")
        }
        return value
    }

    /// Builds and validates the policy.
    ///
    /// - Returns: The preset with every given field replaced; it retries ``ErrorCategory/transient``.
    /// - Throws: ``ArgumentError`` naming the flag at fault: an unknown preset, a flag that does not
    ///   apply to the chosen backoff, or a value the policy refuses.
    package func makePolicy() throws(ArgumentError) -> RetryPolicy {
        guard let base = RetryPolicy.presets[preset] else {
            throw ArgumentError(
                "unknown --policy \"\(preset)\"; expected one of \(RetryPolicy.presets.keys.sorted().joined(separator: ", "))"
            )
        }
        let schedule = try makeBackoff(from: base.backoff)
        do {
            return try RetryPolicy(
                maxAttempts: attempts ?? base.maxAttempts,
                backoff: schedule,
                jitter: jitter ?? base.jitter,
                maxElapsedTime: deadline,
                retryableCategories: [.transient]
            )
        } catch {
            let reason = error.reason.replacingOccurrences(of: "initialDelay", with: "--base")
            throw ArgumentError("\(Self.flag(for: error.field)) \(reason)")
        }
    }

    /// The preset's schedule with the backoff flags applied.
    private func makeBackoff(from presetSchedule: Backoff) throws(ArgumentError) -> Backoff {
        guard backoff != nil || base != nil || multiplier != nil || increment != nil || maxDelay != nil else {
            return presetSchedule
        }
        let preset = ScheduleFields(presetSchedule)
        guard let kind = backoff ?? preset.kind else {
            throw ArgumentError("the preset's backoff is a custom list; choose --backoff constant, linear or exponential")
        }
        let initial = base ?? preset.initial
        switch kind {
        case .constant:
            if maxDelay != nil { throw ArgumentError("--max-delay applies to linear and exponential backoff only") }
            if multiplier != nil { throw ArgumentError("--multiplier applies to exponential backoff only") }
            if increment != nil { throw ArgumentError("--increment applies to linear backoff only") }
            return .constant(initial)
        case .linear:
            if multiplier != nil { throw ArgumentError("--multiplier applies to exponential backoff only") }
            return .linear(
                initial: initial,
                increment: increment ?? (preset.kind == .linear ? preset.step : nil) ?? initial,
                maxDelay: cap(preset: preset, initial: initial)
            )
        case .exponential:
            if increment != nil { throw ArgumentError("--increment applies to linear backoff only") }
            return .exponential(
                initial: initial,
                multiplier: multiplier ?? preset.multiplier ?? 2,
                maxDelay: cap(preset: preset, initial: initial)
            )
        }
    }

    /// `--max-delay`, else the preset's cap raised to at least the initial delay (a preset's cap
    /// never undercuts an explicit `--base`), else 60 s.
    private func cap(preset: ScheduleFields, initial: Duration) -> Duration {
        if let maxDelay { return maxDelay }
        return max(preset.cap ?? .seconds(60), initial)
    }

    /// The command-line flag for a policy field reported by ``ConfigurationError``.
    static func flag(for field: String) -> String {
        switch field {
        case "maxAttempts": "--attempts"
        case "backoff.initialDelay", "backoff.delay": "--base"
        case "backoff.multiplier": "--multiplier"
        case "backoff.increment": "--increment"
        case "backoff.maxDelay": "--max-delay"
        case "jitter", "jitter.fraction": "--jitter"
        case "maxElapsedTime": "--deadline"
        default: field
        }
    }
}

/// A schedule's parameters, read through the library's `Codable` form of ``Backoff`` (its only public
/// view of them), so that flags can replace some and keep the others.
private struct ScheduleFields: Decodable {
    var type: String
    var delay: Double?
    var initialDelay: Double?
    var increment: Double?
    var multiplier: Double?
    var maxDelay: Double?

    init(_ backoff: Backoff) {
        let decoded = (try? JSONEncoder().encode(backoff)).flatMap { try? JSONDecoder().decode(ScheduleFields.self, from: $0) }
        self = decoded ?? ScheduleFields(type: "custom")
    }

    init(type: String) {
        self.type = type
    }

    var kind: PolicyArguments.BackoffKind? { PolicyArguments.BackoffKind(rawValue: type) }

    /// The first delay (the delay of a constant schedule).
    var initial: Duration { Self.duration(initialDelay ?? delay) ?? .zero }

    /// A linear schedule's step.
    var step: Duration? { Self.duration(increment) }

    /// The cap of a linear or exponential schedule.
    var cap: Duration? { Self.duration(maxDelay) }

    private static func duration(_ seconds: Double?) -> Duration? {
        guard let seconds, seconds.isFinite, seconds >= 0, seconds < 9e9 else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

extension PolicyArguments.BackoffKind: ExpressibleByArgument {
    /// Parses a backoff kind, in any case; ArgumentParser lists the kinds when it is none of them.
    ///
    /// - Parameter argument: The argument, such as `exponential`.
    package init?(argument: String) {
        self.init(rawValue: argument.trimmingSpaces().lowercased())
    }
}
