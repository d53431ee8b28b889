import Foundation
import Resilience
import Testing

@testable import ResilienceCommands

/// The wall-clock instant `seconds` after a fixed moment (2025-05-01T12:00:00Z).
func wall(_ seconds: Double) -> WallClock.Instant {
    WallClock.Instant(nanosecondsSinceEpoch: 1_746_100_800_000_000_000 + Int64((seconds * 1e9).rounded()))
}

@Suite("The wall clock and the breaker state file's contents")
struct BreakerStateTests {
    let configuration: CircuitBreakerConfiguration

    init() throws {
        configuration = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 2, breakDuration: .constant(.seconds(60)))
    }

    /// A state opened by two failures at `wall(0)`: it may half-open at `wall(60)`.
    func openState() -> BreakerState {
        var state = BreakerState(configuration: configuration, now: wall(0))
        for _ in 0..<2 {
            state.modify(at: wall(0), configuration: configuration) { machine in
                guard let permit = (machine.acquire(at: wall(0), configuration: configuration)).permit else { return }
                _ = machine.record(.failure, for: permit, at: wall(0), configuration: configuration)
            }
        }
        return state
    }

    @Test("wall-clock instants encode as nanoseconds since the epoch, exactly")
    func instantCoding() throws {
        let instant = WallClock.Instant(nanosecondsSinceEpoch: 1_746_100_812_345_678_901)
        let json = try #require(String(data: JSONEncoder().encode(instant), encoding: .utf8))
        #expect(json == "1746100812345678901")
        #expect(try JSONDecoder().decode(WallClock.Instant.self, from: Data(json.utf8)) == instant)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WallClock.Instant.self, from: Data("1.5".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WallClock.Instant.self, from: Data("\"soon\"".utf8)) }
        #expect(wall(0).description == "2025-05-01T12:00:00Z")
    }

    @Test("instant arithmetic is exact, and saturates instead of overflowing")
    func instantArithmetic() {
        #expect(wall(0).duration(to: wall(1.5)) == .milliseconds(1_500))
        #expect(wall(1.5).duration(to: wall(0)) == .milliseconds(-1_500))
        #expect(wall(0).advanced(by: .seconds(-2)) == wall(-2))
        let earliest = WallClock.Instant(nanosecondsSinceEpoch: .min)
        let latest = WallClock.Instant(nanosecondsSinceEpoch: .max)
        #expect(earliest.duration(to: latest) == .nanoseconds(Int64.max) * 2 + .nanoseconds(1))
        #expect(latest.advanced(by: .seconds(1)) == latest)
        #expect(earliest.advanced(by: .seconds(-1)) == earliest)
        #expect(earliest < latest && !(latest < earliest))
    }

    @Test("the wall clock reads the system's real time, and sleeps until a wall-clock time")
    func wallClockReadsRealTime() async throws {
        let clock = WallClock()
        let before = Date().timeIntervalSince1970
        let reading = Double(clock.now.nanosecondsSinceEpoch) / 1e9
        let after = Date().timeIntervalSince1970
        #expect(reading >= before - 0.001 && reading <= after + 0.001)  // 1 ms for Date's rounding
        let deadline = clock.now.advanced(by: .milliseconds(5))
        try await clock.sleep(until: deadline, tolerance: nil)
        #expect(clock.now >= deadline)
        #expect(clock.minimumResolution == .nanoseconds(1))
    }

    @Test("the state round-trips through JSON: format version 2, the library's record under breaker")
    func roundTrip() throws {
        let state = openState()
        let data = try state.encoded()
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == 2)
        #expect(object["updatedAt"] as? Int64 == wall(0).nanosecondsSinceEpoch)
        let breaker = try #require(object["breaker"] as? [String: Any])
        #expect(breaker["openUntil"] as? Int64 == wall(60).nanosecondsSinceEpoch)
        #expect(breaker["state"] as? String == "open")
        let decoded = try BreakerState.decode(from: data, configuration: configuration)
        #expect(decoded.state == state && decoded.version == 2)
        #expect(String(decoding: data, as: UTF8.self).hasSuffix("\"version\":2}\n"))
    }

    @Test("a later format version is refused, saying so, whatever else the file holds")
    func laterVersion() throws {
        let json = String(decoding: try openState().encoded(), as: UTF8.self)
            .replacingOccurrences(of: #""version":2"#, with: #""version":3,"newField":{}"#)
        #expect {
            try BreakerState.decode(from: Data(json.utf8), configuration: configuration)
        } throws: { error in
            "\(error)" == "it has format version 3, written by a later resilience; this one reads versions 1 and 2"
        }
    }

    @Test("updatedAt moves only when the state changes")
    func updatedAtMovesOnChange() {
        var state = openState()
        #expect(state.updatedAt == wall(0))
        // A snapshot changes nothing.
        _ = state.machine.snapshot(at: wall(5), configuration: configuration)
        #expect(state.updatedAt == wall(0))
        // A rejection is counted in the state (the snapshot's rejected calls), so it moves too.
        let rejected = state.modify(at: wall(10), configuration: configuration) { $0.acquire(at: wall(10), configuration: configuration) }
        #expect(rejected == .rejected(state: .open, retryAfter: .seconds(50)))
        #expect(state.updatedAt == wall(10))
        #expect(state.machine.snapshot(at: wall(10), configuration: configuration).rejectedCalls == 1)
        // Half-opening does.
        _ = state.modify(at: wall(61), configuration: configuration) { $0.acquire(at: wall(61), configuration: configuration) }
        #expect(state.updatedAt == wall(61))
        #expect(state.machine.state == .halfOpen)
    }

    @Test("a wall clock stepping back counts as no time passing: the break lasts at most its duration after the step")
    func clockSteppingBack() {
        var state = openState()
        // Opened at wall(0); the clock steps an hour back. The break's 60 s start again at the step.
        let step = -3_600.0
        let afterStep = state.modify(at: wall(step), configuration: configuration) {
            $0.acquire(at: wall(step), configuration: configuration)
        }
        #expect(afterStep == .rejected(state: .open, retryAfter: .seconds(60)))
        #expect(state.updatedAt == wall(step))
        #expect(state.record.openUntil == wall(step + 60).nanosecondsSinceEpoch)
        let beforeEnd = state.modify(at: wall(step + 59), configuration: configuration) {
            $0.acquire(at: wall(step + 59), configuration: configuration)
        }
        #expect(beforeEnd == .rejected(state: .open, retryAfter: .seconds(1)))
        let probe = state.modify(at: wall(step + 60), configuration: configuration) {
            $0.acquire(at: wall(step + 60), configuration: configuration)
        }
        let acquired = probe

        let transition = acquired.transition

        guard let permit = acquired.permit else {
            Issue.record("expected a probe, got \(probe)")
            return
        }
        #expect(transition == CircuitBreakerTransition(from: .open, to: .halfOpen, reason: .breakElapsed))
        #expect(permit.state == .halfOpen)
    }

    @Test("a small step back in the middle of a break loses the time since the last change, no more")
    func smallStepBack() {
        var state = openState()
        // Some time into the break (nothing written since the opening) the clock reads 5 s before the
        // opening: a step back. The break's 60 s start again at the step.
        let rejected = state.modify(at: wall(-5), configuration: configuration) { $0.acquire(at: wall(-5), configuration: configuration) }
        #expect(rejected == .rejected(state: .open, retryAfter: .seconds(60)))
        // Forward steps are time passing, as they should be.
        let forward = state.modify(at: wall(55), configuration: configuration) { $0.acquire(at: wall(55), configuration: configuration) }
        if forward.isGranted {
            #expect(forward.transition?.to == .halfOpen)
        } else {
            Issue.record("expected a probe 60 s after the step back, got \(forward)")
        }
    }

    @Test("even an absurd wall-clock reading is no crash", arguments: [Int64.min, -1, 0, Int64.max])
    func absurdClock(nanoseconds: Int64) {
        var state = openState()
        let now = WallClock.Instant(nanosecondsSinceEpoch: nanoseconds)
        let acquisition = state.modify(at: now, configuration: configuration) { $0.acquire(at: now, configuration: configuration) }
        if let permit = acquisition.permit {
            _ = state.modify(at: now, configuration: configuration) {
                $0.record(.failure, for: permit, at: now, configuration: configuration)
            }
        } else {
            #expect((acquisition.retryAfter ?? .zero) <= .seconds(60))
        }
        _ = state.machine.snapshot(at: now, configuration: configuration)
    }
}
