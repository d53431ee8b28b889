import Foundation
@_spi(ResilienceTools) import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's wall clock (`CLOCK_REALTIME`), whose instants mean the same in every process: the
/// time base of a circuit breaker shared through a file (`resilience run --breaker FILE`).
///
/// `ContinuousClock` and `SuspendingClock` count from an unspecified point (the boot), so their
/// instants cannot be written down by one process and read back by another, or after a reboot. A
/// wall-clock instant is a number of nanoseconds since the Unix epoch, the same for every process
/// on the machine. The price is that the wall clock can step (NTP, an administrator); the state file
/// copes with steps back (see ``BreakerState``).
package struct WallClock: Clock, Sendable {
    /// A moment on the wall clock: nanoseconds since 1970-01-01T00:00:00Z, as an `Int64` (which
    /// reaches the year 2262). Encodes as that number.
    package struct Instant: InstantProtocol, Codable, Hashable, Sendable, CustomStringConvertible {
        /// Nanoseconds since 1970-01-01T00:00:00Z; negative before.
        package var nanosecondsSinceEpoch: Int64

        /// Creates an instant.
        ///
        /// - Parameter nanosecondsSinceEpoch: Nanoseconds since 1970-01-01T00:00:00Z.
        package init(nanosecondsSinceEpoch: Int64) {
            self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
        }

        /// The instant `duration` later (earlier when negative), saturated to the representable range.
        ///
        /// - Parameter duration: The offset.
        /// - Returns: The moved instant.
        package func advanced(by duration: Duration) -> Instant {
            // Any two instants are at most this far apart; beyond it the result saturates. Within it
            // the sum is exact (a `Duration` spans far more than an `Int64` of nanoseconds).
            let span = Duration.nanoseconds(Int64.max) * 2
            if duration > span { return Instant(nanosecondsSinceEpoch: .max) }
            if duration < .zero - span { return Instant(nanosecondsSinceEpoch: .min) }
            return Instant(nanosecondsSinceEpoch: (.nanoseconds(nanosecondsSinceEpoch) + duration).saturatingNanoseconds)
        }

        /// The time from this instant to `other`; negative when `other` is earlier. Exact: the
        /// difference of any two instants fits a `Duration`.
        ///
        /// - Parameter other: Another instant.
        /// - Returns: `other - self`.
        package func duration(to other: Instant) -> Duration {
            .nanoseconds(other.nanosecondsSinceEpoch) - .nanoseconds(nanosecondsSinceEpoch)
        }

        /// Whether `lhs` comes before `rhs`.
        package static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
        }

        /// Decodes the instant from its number of nanoseconds since the epoch.
        ///
        /// - Throws: `DecodingError` when the value is not a whole number in the `Int64` range.
        package init(from decoder: any Decoder) throws {
            nanosecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
        }

        /// Encodes the instant as its number of nanoseconds since the epoch.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(nanosecondsSinceEpoch)
        }

        /// The instant in ISO 8601, in UTC, to the second, such as `2025-05-01T12:00:00Z`.
        package var description: String {
            let date = Date(timeIntervalSince1970: Double(nanosecondsSinceEpoch) / 1e9)
            return date.formatted(.iso8601)
        }
    }

    /// Creates the wall clock.
    package init() {}

    /// The current time, from `clock_gettime(CLOCK_REALTIME)`.
    package var now: Instant {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Instant(nanosecondsSinceEpoch: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec))
    }

    /// One nanosecond, the unit of ``Instant``.
    package var minimumResolution: Duration { .nanoseconds(1) }

    /// Waits until the wall clock reads `deadline` or later.
    ///
    /// The wait runs on the continuous clock in slices of at most one second, re-reading the wall
    /// clock after each, so a step of the wall clock shortens or lengthens it accordingly.
    ///
    /// - Parameters:
    ///   - deadline: The wall-clock time to wait for.
    ///   - tolerance: Passed on to the continuous clock.
    /// - Throws: `CancellationError` when the task is cancelled.
    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let continuous = ContinuousClock()
        while true {
            let remaining = now.duration(to: deadline)
            guard remaining > .zero else { return }
            try await continuous.sleep(for: min(remaining, .seconds(1)), tolerance: tolerance)
        }
    }
}
