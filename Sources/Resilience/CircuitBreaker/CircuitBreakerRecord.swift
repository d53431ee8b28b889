/// A circuit breaker's state as data: a versioned, documented format for keeping a breaker's state
/// outside the process, in a file or a database row shared by several processes.
///
/// ``CircuitBreakerStateMachine/exported(originUnixNanoseconds:)`` turns a state machine into a
/// record and ``CircuitBreakerStateMachine/init(restoring:configuration:origin:originUnixNanoseconds:)``
/// turns a record back into one. The format does not follow the library's internals: refactoring
/// them leaves it unchanged, and a change of the format changes ``version``. It is independent of
/// any one clock: every time in it is a whole number of nanoseconds since the Unix epoch
/// (1970-01-01T00:00:00Z), so processes with different clocks (each `ContinuousClock` counts from
/// its own boot) read the same record the same way.
///
/// In JSON (here the guide's breaker, opened by 5 failures in a row at 12:00:00.282; keys sorted):
///
/// ```json
/// {
///   "consecutiveFailures": 5, "consecutiveOpenings": 1, "generation": 1, "nextProbeID": 1,
///   "openUntil": 1746100860282000000, "probeFailures": 0, "probeSuccesses": 0, "probes": [],
///   "rejectedCalls": 0, "state": "open", "version": 1,
///   "window": { "outcomes": "fffff", "size": 100, "type": "count" }
/// }
/// ```
///
/// A half-open breaker with a time window (1 s in 10 buckets) holds its probe and the window's
/// newest buckets, each as `[calls, failures, slowCalls]`:
///
/// ```json
/// {
///   "consecutiveFailures": 3, "consecutiveOpenings": 1, "generation": 2, "nextProbeID": 2,
///   "probeFailures": 0, "probeSuccesses": 0, "probes": [{ "grantedAt": 1746100803600000000, "id": 1 }],
///   "rejectedCalls": 4, "state": "halfOpen", "version": 1,
///   "window": { "bucketCount": 10, "bucketNanoseconds": 100000000, "buckets": [[1, 0, 0], [0, 0, 0], [3, 3, 1]],
///               "newestBucketStart": 1746100803400000000, "type": "time" }
/// }
/// ```
///
/// The format is compact (a count window costs one byte per call, a time window three numbers per
/// bucket that has calls), so a record fits one row of a database table (one row per breaker, the
/// record in a `jsonb` or `text` column) as well as a file.
///
/// **Bounds.** Every count has a documented range (``maximumCount``, ``maximumProbes``,
/// ``maximumBucketCalls``, ``SlidingWindow/maximumSize``, ``SlidingWindow/maximumBuckets``), and the
/// state machine never grows a count past it (it saturates instead), so whatever a state machine
/// exports, restoring accepts. ``validate()`` checks every bound and the consistency of the fields
/// with each other; decoding and restoring call it. Decoding any bytes yields a valid record or a
/// ``CircuitBreakerRecordError`` naming the field, never a crash.
///
/// **Growth.** A struct, so fields can be added; a later format version, which an older library
/// refuses (``CircuitBreakerRecordError/Code/unsupportedVersion``) rather than misreads, adds them.
public struct CircuitBreakerRecord: Hashable, Sendable {
    /// The format version this library writes and reads.
    public static let currentVersion = 1

    /// The largest value of ``consecutiveFailures``, ``consecutiveOpenings``, ``probeSuccesses`` and
    /// ``probeFailures``: 2,147,483,647 (`Int32.max`). A state machine's counts stop there.
    public static let maximumCount = Int(Int32.max)

    /// The most probes a record holds (``probes``): 10,000, as ``HalfOpenRule/maximumProbes``. A
    /// state machine admits no more at once, whatever ``CircuitBreakerConfiguration/maxConcurrentProbes`` says.
    public static let maximumProbes = HalfOpenRule.maximumProbes

    /// The most calls one bucket of a time window counts: 2⁴⁸ (about 2.8 × 10¹⁴). Further calls in
    /// the bucket's stretch of time are not counted. With at most ``SlidingWindow/maximumBuckets``
    /// buckets, no total can overflow.
    public static let maximumBucketCalls = 1 << 48

    /// The format version, ``currentVersion`` for a record this library made.
    public var version: Int

    /// The state, encoded as its ``CircuitState/name``: `closed`, `open`, `halfOpen`, `isolated` or
    /// `disabled`. An open circuit whose break has passed is still `open` until the next call.
    public var state: CircuitState

    /// The generation of the state: a number that changes on every change of state (wrapping from
    /// `Int64.max` to 0). Permits carry the generation that granted them, so an outcome recorded for
    /// an older state, by this process or another, is ignored. From 0 to `Int64.max` (a signed 64-bit
    /// integer, as a database's `bigint`).
    public var generation: Int64

    /// When an open circuit may half-open, in nanoseconds since the Unix epoch; present in the
    /// ``CircuitState/open`` state only. A break that would end after the largest time (in 2262) ends
    /// then.
    public var openUntil: Int64?

    /// Failures in a row (closed or disabled state; kept as they were while open, to show what
    /// tripped it). From 0 to ``maximumCount``.
    public var consecutiveFailures: Int

    /// Openings in a row without the circuit closing in between; indexes the break duration. From 0
    /// to ``maximumCount``.
    public var consecutiveOpenings: Int

    /// Successful probes in the current half-open state; 0 in the other states. From 0 to
    /// ``maximumCount``.
    public var probeSuccesses: Int

    /// Failed (or slow) probes in the current half-open state; 0 in the other states. From 0 to
    /// ``maximumCount``.
    public var probeFailures: Int

    /// The calls rejected so far (saturating at `Int64.max`); never negative.
    public var rejectedCalls: Int64

    /// The probe permits outstanding (half-open state only; empty in the others): at most
    /// ``maximumProbes``, with distinct ``Probe/id``s.
    public var probes: [Probe]

    /// The number the next probe gets: from 1 to `Int64.max` (after which numbering starts again at
    /// 1, skipping numbers still in use).
    public var nextProbeID: Int64

    /// The recent calls of the closed (or disabled) state, which the rate rules look at; kept as they
    /// were while the circuit is open or half-open.
    public var window: Window

    /// A probe permit outstanding in the half-open state.
    public struct Probe: Hashable, Sendable {
        /// The probe's number, from 1 to `Int64.max`, distinct among the outstanding probes.
        public var id: Int64
        /// When it was granted, in nanoseconds since the Unix epoch: the probe is presumed lost a
        /// ``CircuitBreakerConfiguration/probeTimeout`` later.
        public var grantedAt: Int64

        /// Creates a probe.
        ///
        /// - Parameters:
        ///   - id: The probe's number.
        ///   - grantedAt: When it was granted, in nanoseconds since the Unix epoch.
        public init(id: Int64, grantedAt: Int64) {
            self.id = id
            self.grantedAt = grantedAt
        }
    }

    /// Creates a record from its fields; ``validate()`` checks them.
    ///
    /// - Parameters:
    ///   - version: The format version.
    ///   - state: The state.
    ///   - generation: The generation of the state.
    ///   - openUntil: When an open circuit may half-open, in nanoseconds since the Unix epoch.
    ///   - consecutiveFailures: Failures in a row.
    ///   - consecutiveOpenings: Openings in a row.
    ///   - probeSuccesses: Successful probes in the half-open state.
    ///   - probeFailures: Failed probes in the half-open state.
    ///   - rejectedCalls: The calls rejected so far.
    ///   - probes: The probes outstanding.
    ///   - nextProbeID: The number the next probe gets.
    ///   - window: The recent calls.
    public init(
        version: Int = CircuitBreakerRecord.currentVersion,
        state: CircuitState,
        generation: Int64,
        openUntil: Int64?,
        consecutiveFailures: Int,
        consecutiveOpenings: Int,
        probeSuccesses: Int,
        probeFailures: Int,
        rejectedCalls: Int64,
        probes: [Probe],
        nextProbeID: Int64,
        window: Window
    ) {
        self.version = version
        self.state = state
        self.generation = generation
        self.openUntil = openUntil
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveOpenings = consecutiveOpenings
        self.probeSuccesses = probeSuccesses
        self.probeFailures = probeFailures
        self.rejectedCalls = rejectedCalls
        self.probes = probes
        self.nextProbeID = nextProbeID
        self.window = window
    }

    /// The error for a record of format version `version`.
    static func versionError(_ version: Int) -> CircuitBreakerRecordError {
        CircuitBreakerRecordError(
            .unsupportedVersion, field: "version",
            reason: version > currentVersion
                ? "is \(version), a later format than this library reads (\(currentVersion))"
                : "must be \(currentVersion), got \(version)")
    }

    /// Checks every field's bounds and the fields' consistency with each other.
    ///
    /// - Throws: ``CircuitBreakerRecordError`` naming the first field at fault:
    ///   ``CircuitBreakerRecordError/Code/unsupportedVersion`` for another ``version``,
    ///   ``CircuitBreakerRecordError/Code/invalidValue`` for a value out of range (a negative count,
    ///   a count past its maximum, a probe number of 0) or inconsistent with the others (an
    ///   ``openUntil`` outside the open state, probes outside the half-open state, two probes with one
    ///   number, a window holding more calls than its size, a bucket with more failures than calls).
    public func validate() throws(CircuitBreakerRecordError) {
        guard version == Self.currentVersion else { throw Self.versionError(version) }
        guard generation >= 0 else { throw .invalid("generation", "must not be negative, got \(generation)") }
        if state == .open {
            guard openUntil != nil else { throw .invalid("openUntil", "is required in the open state") }
        } else if openUntil != nil {
            throw .invalid("openUntil", "must be absent outside the open state (state \(state))")
        }
        for (field, value) in [
            ("consecutiveFailures", consecutiveFailures), ("consecutiveOpenings", consecutiveOpenings),
            ("probeSuccesses", probeSuccesses), ("probeFailures", probeFailures),
        ] {
            guard (0...Self.maximumCount).contains(value) else {
                throw .invalid(field, "must be from 0 to \(Self.maximumCount), got \(value)")
            }
        }
        guard rejectedCalls >= 0 else { throw .invalid("rejectedCalls", "must not be negative, got \(rejectedCalls)") }
        guard nextProbeID >= 1 else { throw .invalid("nextProbeID", "must be at least 1, got \(nextProbeID)") }
        if state != .halfOpen {
            guard probes.isEmpty else { throw .invalid("probes", "must be empty outside the half-open state (state \(state))") }
            guard probeSuccesses == 0, probeFailures == 0 else {
                throw .invalid(
                    probeSuccesses == 0 ? "probeFailures" : "probeSuccesses", "must be 0 outside the half-open state (state \(state))")
            }
        }
        guard probes.count <= Self.maximumProbes else {
            throw .invalid("probes", "must hold at most \(Self.maximumProbes) probes, got \(probes.count)")
        }
        var ids = Set<Int64>(minimumCapacity: probes.count)
        for (index, probe) in probes.enumerated() {
            guard probe.id >= 1 else { throw .invalid("probes[\(index)].id", "must be at least 1, got \(probe.id)") }
            guard ids.insert(probe.id).inserted else {
                throw .invalid("probes[\(index)].id", "must differ from the other probes' ids, got \(probe.id) twice")
            }
        }
        do { try window.validate() } catch { throw error.nested(under: "window") }
    }
}

extension CircuitBreakerRecord {
    /// The recent calls of a circuit breaker's sliding window (``SlidingWindow``), as data.
    ///
    /// - A **count window** (``SlidingWindow/count(_:)``): its ``size`` and the ``outcomes`` of the
    ///   calls it holds, oldest first, one character per call: `s` a success, `f` a failure, `S` a
    ///   slow success (slower than the ``SlowCallRule``'s threshold, counted as slow but not as a
    ///   failure, since the rule has a rate), `F` a slow failure (a failure that was slow, or a slow
    ///   call counted as a failure). At most ``size`` characters; fewer while the window fills.
    /// - A **time window** (``SlidingWindow/time(_:buckets:)``): the length of one bucket
    ///   (``bucketNanoseconds``: the window's duration divided by its bucket count, in whole
    ///   nanoseconds, at least 1), the ``bucketCount``, the start of the newest bucket
    ///   (``newestBucketStart``, nanoseconds since the Unix epoch) and the counts of the newest
    ///   buckets (``buckets``), oldest first and the newest last: the one that starts at
    ///   ``newestBucketStart``, the one before it a bucket length earlier, and so on. At most
    ///   ``bucketCount`` of them; buckets before the first listed are empty (an empty window lists
    ///   none).
    ///
    /// When the layout a record's window describes differs from the configuration's sliding window
    /// it is restored with (the window's size, bucket count or bucket length changed), the window
    /// starts empty with the configuration's layout, as a breaker whose configuration changes does.
    ///
    /// In JSON: `{"type": "count", "size": 100, "outcomes": "ssfsf"}` or `{"type": "time",
    /// "bucketNanoseconds": 6000000000, "bucketCount": 10, "newestBucketStart": 1746100800000000000,
    /// "buckets": [[12, 3, 0], [40, 1, 2]]}`, each bucket as `[calls, failures, slowCalls]`.
    ///
    /// A struct over a private enum, so that window kinds can be added without breaking code.
    public struct Window: Hashable, Sendable {
        enum Storage: Hashable, Sendable {
            case count(size: Int, outcomes: String)
            case time(bucketNanoseconds: Int64, bucketCount: Int, newestBucketStart: Int64, buckets: [Bucket])
        }

        let storage: Storage

        /// The counts of one bucket of a time window.
        public struct Bucket: Hashable, Sendable {
            /// The calls recorded in the bucket's stretch of time: from 0 to
            /// ``CircuitBreakerRecord/maximumBucketCalls``.
            public var calls: Int
            /// The calls among them that counted as failures: from 0 to ``calls``.
            public var failures: Int
            /// The calls among them that were slow: from 0 to ``calls``.
            public var slowCalls: Int

            /// Creates a bucket.
            ///
            /// - Parameters:
            ///   - calls: The calls recorded.
            ///   - failures: The calls that counted as failures.
            ///   - slowCalls: The calls that were slow.
            public init(calls: Int, failures: Int, slowCalls: Int) {
                self.calls = calls
                self.failures = failures
                self.slowCalls = slowCalls
            }
        }

        /// A count window of `size` calls holding the calls `outcomes` describes, oldest first.
        ///
        /// - Parameters:
        ///   - size: The window's size, from 1 to ``SlidingWindow/maximumSize``.
        ///   - outcomes: One character per call held: `s`, `f`, `S` or `F`; at most `size` of them.
        /// - Returns: The window.
        public static func count(size: Int, outcomes: String) -> Window {
            Window(storage: .count(size: size, outcomes: outcomes))
        }

        /// A time window of `bucketCount` buckets of `bucketNanoseconds` each, whose newest bucket
        /// starts at `newestBucketStart`.
        ///
        /// - Parameters:
        ///   - bucketNanoseconds: The length of one bucket in nanoseconds, at least 1.
        ///   - bucketCount: The number of buckets, from 1 to ``SlidingWindow/maximumBuckets``.
        ///   - newestBucketStart: When the newest bucket starts, in nanoseconds since the Unix epoch.
        ///   - buckets: The counts of the newest buckets, oldest first; at most `bucketCount`.
        /// - Returns: The window.
        public static func time(bucketNanoseconds: Int64, bucketCount: Int, newestBucketStart: Int64, buckets: [Bucket]) -> Window {
            Window(
                storage: .time(
                    bucketNanoseconds: bucketNanoseconds, bucketCount: bucketCount, newestBucketStart: newestBucketStart, buckets: buckets))
        }

        /// The size of a count window; `nil` for a time window.
        public var size: Int? {
            guard case .count(let size, _) = storage else { return nil }
            return size
        }

        /// The outcomes of a count window's calls, oldest first; `nil` for a time window.
        public var outcomes: String? {
            guard case .count(_, let outcomes) = storage else { return nil }
            return outcomes
        }

        /// The length of one bucket of a time window, in nanoseconds; `nil` for a count window.
        public var bucketNanoseconds: Int64? {
            guard case .time(let length, _, _, _) = storage else { return nil }
            return length
        }

        /// The number of buckets of a time window; `nil` for a count window.
        public var bucketCount: Int? {
            guard case .time(_, let count, _, _) = storage else { return nil }
            return count
        }

        /// When a time window's newest bucket starts, in nanoseconds since the Unix epoch; `nil` for
        /// a count window.
        public var newestBucketStart: Int64? {
            guard case .time(_, _, let start, _) = storage else { return nil }
            return start
        }

        /// The counts of a time window's newest buckets, oldest first; `nil` for a count window.
        public var buckets: [Bucket]? {
            guard case .time(_, _, _, let buckets) = storage else { return nil }
            return buckets
        }

        /// The bits of one call of a count window (failure 1, slow 2) for an outcome character.
        static func bits(of character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "s"): 0
            case UInt8(ascii: "f"): 1
            case UInt8(ascii: "S"): 2
            case UInt8(ascii: "F"): 3
            default: nil
            }
        }

        /// The outcome character for the bits of one call of a count window.
        static let characters: [UInt8] = [UInt8(ascii: "s"), UInt8(ascii: "f"), UInt8(ascii: "S"), UInt8(ascii: "F")]

        /// Checks the window's bounds and consistency.
        ///
        /// - Throws: ``CircuitBreakerRecordError`` naming the field at fault (without the `window.`
        ///   prefix ``CircuitBreakerRecord/validate()`` adds).
        public func validate() throws(CircuitBreakerRecordError) {
            switch storage {
            case .count(let size, let outcomes):
                guard (1...SlidingWindow.maximumSize).contains(size) else {
                    throw .invalid("size", "must be from 1 to \(SlidingWindow.maximumSize), got \(size)")
                }
                var count = 0
                for scalar in outcomes.unicodeScalars {
                    guard scalar.isASCII, Self.bits(of: UInt8(scalar.value)) != nil else {
                        throw .invalid("outcomes", "must hold only s, f, S and F (one per call), got \"\(scalar.escaped(asASCII: true))\"")
                    }
                    count += 1
                    guard count <= size else { throw .invalid("outcomes", "must hold at most size (\(size)) calls") }
                }
            case .time(let length, let bucketCount, _, let buckets):
                guard length >= 1 else { throw .invalid("bucketNanoseconds", "must be at least 1, got \(length)") }
                guard (1...SlidingWindow.maximumBuckets).contains(bucketCount) else {
                    throw .invalid("bucketCount", "must be from 1 to \(SlidingWindow.maximumBuckets), got \(bucketCount)")
                }
                guard !length.multipliedReportingOverflow(by: Int64(bucketCount)).overflow else {
                    throw .invalid("bucketNanoseconds", "times bucketCount must not exceed \(Int64.max) nanoseconds")
                }
                guard buckets.count <= bucketCount else {
                    throw .invalid("buckets", "must hold at most bucketCount (\(bucketCount)) buckets, got \(buckets.count)")
                }
                for (index, bucket) in buckets.enumerated() {
                    guard (0...CircuitBreakerRecord.maximumBucketCalls).contains(bucket.calls) else {
                        throw .invalid(
                            "buckets[\(index)]",
                            "must count from 0 to \(CircuitBreakerRecord.maximumBucketCalls) calls, got \(bucket.calls)")
                    }
                    guard (0...bucket.calls).contains(bucket.failures), (0...bucket.calls).contains(bucket.slowCalls) else {
                        throw .invalid(
                            "buckets[\(index)]",
                            "must count from 0 to its calls (\(bucket.calls)) failures and slow calls, got \(bucket.failures) and \(bucket.slowCalls)"
                        )
                    }
                }
            }
        }
    }
}
