/// A clock that runs `scale` times faster than the continuous clock: the demo's durations are the
/// guide's (a breaker open for 60 s, a 2 s `Retry-After`), and a run at scale 40 waits a fortieth of
/// each on the wall clock.
///
/// Its instants count the scaled time since the clock was made, so every strategy reading it sees
/// the guide's durations, and its sleeps end when the continuous clock has passed the scaled
/// deadline.
public struct ScaledClock: Clock, Sendable {
    /// A point in the scaled time since the clock was made.
    public struct Instant: InstantProtocol, Hashable, Sendable {
        /// The scaled time since the clock was made.
        public var offset: Duration

        /// The instant `offset` after the clock's start.
        ///
        /// - Parameter offset: The scaled time since the clock was made.
        public init(offset: Duration) {
            self.offset = offset
        }

        /// The instant `duration` later.
        ///
        /// - Parameter duration: The scaled time to add.
        /// - Returns: The later instant.
        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        /// The scaled time from this instant to `other`.
        ///
        /// - Parameter other: The other instant.
        /// - Returns: The duration, negative when `other` is earlier.
        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        /// Whether `lhs` is earlier than `rhs`.
        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }
    }

    /// How many times faster than the wall clock the scaled time runs; at least 1/1000 and at most
    /// 1,000,000.
    public let scale: Double
    private let origin: ContinuousClock.Instant

    /// A clock starting now, running `scale` times faster than the continuous clock.
    ///
    /// - Parameter scale: The speed-up, clamped to `0.001...1_000_000` (1 when it is not a number).
    public init(scale: Double) {
        self.scale = scale.isNaN ? 1 : min(max(scale, 0.001), 1_000_000)
        self.origin = ContinuousClock.now
    }

    /// The scaled time since the clock was made.
    public var now: Instant {
        Instant(offset: origin.duration(to: ContinuousClock.now) * scale)
    }

    /// The continuous clock's resolution, scaled.
    public var minimumResolution: Duration {
        ContinuousClock().minimumResolution * scale
    }

    /// Sleeps until the scaled time reaches `deadline`.
    ///
    /// - Parameters:
    ///   - deadline: The scaled instant to wake at.
    ///   - tolerance: The scaled tolerance, if any.
    /// - Throws: `CancellationError` when the task is cancelled while it sleeps.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await ContinuousClock().sleep(until: realInstant(of: deadline), tolerance: tolerance.map { $0 / scale })
    }

    /// The wall-clock duration a scaled `duration` takes.
    ///
    /// - Parameter duration: A scaled duration.
    /// - Returns: Its length on the continuous clock.
    public func realDuration(of duration: Duration) -> Duration {
        duration / scale
    }

    private func realInstant(of instant: Instant) -> ContinuousClock.Instant {
        origin.advanced(by: instant.offset / scale)
    }
}
