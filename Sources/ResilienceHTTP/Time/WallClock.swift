#if HTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Android)
import Android
#endif

/// Where the library reads the current wall-clock time: nanoseconds since the Unix epoch
/// (1970-01-01 00:00:00 UTC), as an `Int64`.
///
/// A `Retry-After` given as an HTTP-date (`Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`) means "not
/// before then", so turning it into a delay needs the time now; nothing else in the library reads the
/// wall clock (waits are on the injected `Clock`). The time is injected like the `Clock`, so that tests
/// pin it: ``fixed(unixNanoseconds:)`` for one instant, ``init(_:unixNanosecondsAtStart:)`` for a wall
/// clock that moves with a test's `ManualClock`.
///
/// ```swift
/// let classifier = HTTPResponseClassifier(wallClock: .fixed(unixNanoseconds: 1_784_000_000_000_000_000))
/// ```
///
/// Reading it costs one call of the closure; the library reads it only to parse an HTTP-date.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A wall clock that reads `unixNanoseconds` each time it is asked.
    ///
    /// - Parameter unixNanoseconds: Returns the time now in nanoseconds since the Unix epoch.
    public init(unixNanoseconds: @escaping @Sendable () -> Int64) {
        self.read = unixNanoseconds
    }

    /// The system's real-time clock (`CLOCK_REALTIME`), which can jump when the system's time is set.
    public static let system = WallClock {
        var time = timespec()
        guard clock_gettime(CLOCK_REALTIME, &time) == 0 else { return 0 }
        let (whole, overflow) = Int64(time.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return time.tv_sec < 0 ? .min : .max }
        let (sum, sumOverflow) = whole.addingReportingOverflow(Int64(time.tv_nsec))
        return sumOverflow ? .max : sum
    }

    /// A wall clock stopped at `unixNanoseconds`: for tests, and for parsing relative to a known time.
    ///
    /// - Parameter unixNanoseconds: The time it always reads, in nanoseconds since the Unix epoch.
    /// - Returns: The clock.
    public static func fixed(unixNanoseconds: Int64) -> WallClock {
        WallClock { unixNanoseconds }
    }

    /// A wall clock that moves with `clock`: it reads `unixNanosecondsAtStart` now, and that plus the
    /// time `clock` has advanced since. With a test's `ManualClock`, a `Retry-After` date and the
    /// retry's waits run on the same virtual time.
    ///
    /// - Parameters:
    ///   - clock: The clock whose progress the wall clock follows.
    ///   - unixNanosecondsAtStart: The wall-clock time now, in nanoseconds since the Unix epoch.
    public init<ClockType: Clock>(_ clock: ClockType, unixNanosecondsAtStart: Int64) where ClockType.Duration == Duration {
        let origin = clock.now
        self.read = {
            let (sum, overflow) = unixNanosecondsAtStart.addingReportingOverflow(origin.duration(to: clock.now).clampedNanoseconds)
            return overflow ? (unixNanosecondsAtStart < 0 ? .min : .max) : sum
        }
    }

    /// The time now, in nanoseconds since the Unix epoch.
    public var unixNanoseconds: Int64 { read() }
}

#endif
