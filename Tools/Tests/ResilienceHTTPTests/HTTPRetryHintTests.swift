import HTTPTypes
import Resilience
import ResilienceHTTP
import ResilienceTestKit
import Testing

/// A server's hints through a real `Retry` on virtual time: never earlier than a hint, never past the
/// policy's cap.
@Suite("Hints end to end: never earlier than a hint, never past the cap")
struct HTTPRetryHintTests {
    @Test(
        "A hint longer than the schedule's delay is the wait, exactly, in each form",
        arguments: [
            ([("Retry-After", "7")], Duration.seconds(7)),
            ([("retry-after-ms", "2500")], .milliseconds(2_500)),
            ([("x-ms-retry-after-ms", "1200")], .milliseconds(1_200)),
            ([("Retry-After", "Tue, 14 Jul 2026 12:00:09 GMT")], .seconds(9)),
            ([("Retry-After", "Tuesday, 14-Jul-26 12:00:09 GMT")], .seconds(9)),
            ([("Retry-After", "Tue Jul 14 12:00:09 2026")], .seconds(9)),
        ]
    )
    func hintIsTheWait(fields: [(String, String)], wait: Duration) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let http = HTTPRetry(
            try plainPolicy(), clock: clock,
            classifier: HTTPResponseClassifier(wallClock: WallClock(clock, unixNanosecondsAtStart: tuesdayNoon)),
            observer: recorder
        )
        let server = script(response(429, fields), response(200))
        let result = try await http.execute(request()) { _ in try await server() }
        #expect(result.status == .ok)
        #expect(clock.requestedSleeps == [wait])
        #expect(recorder.scheduledDelays == [wait])
        #expect(clock.now.offset == wait)
    }

    @Test("A hint shorter than the schedule's delay does not shorten it")
    func shortHintKeepsSchedule() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let http = HTTPRetry(try plainPolicy(), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow))
        let server = script(response(503), response(503), response(429, [("retry-after-ms", "500")]), response(200))
        _ = try await http.execute(request()) { _ in try await server() }
        #expect(clock.requestedSleeps == [.seconds(1), .seconds(2), .seconds(4)])
    }

    @Test("A date hint follows the wall clock as virtual time passes: the wait is to the date, not from the first attempt")
    func dateHintAsTimePasses() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let classifier = HTTPResponseClassifier(wallClock: WallClock(clock, unixNanosecondsAtStart: tuesdayNoon))
        let http = HTTPRetry(try plainPolicy(), clock: clock, classifier: classifier)
        // First a 503 (1 s), then a 503 until 12:00:10, which the second attempt sees at 12:00:01.
        let server = script(response(503), response(503, [("Retry-After", "Tue, 14 Jul 2026 12:00:10 GMT")]), response(200))
        _ = try await http.execute(request()) { _ in try await server() }
        #expect(clock.requestedSleeps == [.seconds(1), .seconds(9)])
        #expect(clock.now.offset == .seconds(10))
    }

    @Test("Never earlier than the hint, whatever the jitter draws", arguments: [1, 2, 3, 42, 1_000])
    func neverEarlierWithJitter(seed: UInt64) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        // ±25 % around 2, 4, 8 s; the server asks for 5 s each time.
        let http = HTTPRetry(.standardHTTP, clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), random: .seeded(seed))
        let server = script(
            response(429, [("Retry-After", "5")]), response(429, [("Retry-After", "5")]), response(429, [("Retry-After", "5")]),
            response(200))
        _ = try await http.execute(request()) { _ in try await server() }
        #expect(clock.requestedSleeps.count == 3)
        #expect(clock.requestedSleeps.allSatisfy { $0 >= .seconds(5) && $0 <= .seconds(30) }, "\(clock.requestedSleeps)")
    }

    @Test("A hint past the cap fails fast: no wait, the 429 returned, the reason reported")
    func hintPastTheCap() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let http = HTTPRetry(
            try plainPolicy(maxDelay: .seconds(30)), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow),
            observer: recorder
        )
        let server = script(response(429, [("Retry-After", "31")]), response(200))
        let result = try await http.execute(request()) { _ in try await server() }
        #expect(result.status == .tooManyRequests)
        #expect(server.callCount == 1)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.stopReasons == [.retryAfterExceedsMaxDelay])
    }

    @Test(
        "Huge, overflowing and far-future hints are past any cap: they fail fast",
        arguments: ["99999999999999999999999", "9223372036.854775808", "Fri, 31 Dec 9999 23:59:59 GMT", "Sat Jan  1 00:00:00 2030"]
    )
    func hugeHintsFailFast(value: String) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let http = HTTPRetry(try plainPolicy(), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), observer: recorder)
        let server = script(response(503, [("Retry-After", value)]), response(200))
        let result = try await http.execute(request()) { _ in try await server() }
        #expect(result.status == .serviceUnavailable)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.stopReasons == [.retryAfterExceedsMaxDelay])
    }

    @Test("Garbage and negative hints are ignored: the schedule's delay applies", arguments: ["-30", "soon", "1e9", ""])
    func garbageHintsIgnored(value: String) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let http = HTTPRetry(try plainPolicy(), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow))
        let server = script(response(429, [("Retry-After", value)]), response(200))
        _ = try await http.execute(request()) { _ in try await server() }
        #expect(clock.requestedSleeps == [.seconds(1)])
    }

    @Test("A hint longer than the time left of the budget fails fast too")
    func hintPastTheBudget() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let http = HTTPRetry(
            try plainPolicy(maxElapsedTime: .seconds(10)), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow),
            observer: recorder
        )
        let server = script(response(503), response(429, [("Retry-After", "20")]), response(200))
        let result = try await http.execute(request()) { _ in try await server() }
        #expect(result.status == .tooManyRequests)
        #expect(clock.requestedSleeps == [.seconds(1)])
        #expect(recorder.stopReasons == [.elapsedTimeExhausted])
    }

    @Test("A date hint in the past is zero: the schedule's delay applies")
    func pastDateHint() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let http = HTTPRetry(try plainPolicy(), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow))
        let server = script(response(503, [("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")]), response(200))
        _ = try await http.execute(request()) { _ in try await server() }
        #expect(clock.requestedSleeps == [.seconds(1)])
    }

    @Test("Permanent statuses are returned at once, not retried", arguments: [400, 401, 403, 404, 501])
    func permanentNotRetried(code: Int) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let http = HTTPRetry(try plainPolicy(), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), observer: recorder)
        let server = script(response(code), response(200))
        let result = try await http.execute(request()) { _ in try await server() }
        #expect(result.status.code == code)
        #expect(server.callCount == 1)
        #expect(recorder.stopReasons == [.notRetryable])
    }

    @Test("Retrying ends on the last failing response, which is returned")
    func lastResponseReturned() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let http = HTTPRetry(
            try plainPolicy(maxAttempts: 3), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), observer: recorder)
        let server = script(response(500), response(502), response(504), response(200))
        let result = try await http.execute(request()) { _ in try await server() }
        #expect(result.status == .gatewayTimeout)
        #expect(recorder.stopReasons == [.attemptsExhausted])
    }
}
