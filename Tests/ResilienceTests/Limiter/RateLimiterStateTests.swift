import Resilience
import Testing

@testable import Resilience

/// Nanoseconds in `seconds` seconds.
private func s(_ seconds: Double) -> Int64 {
    Int64((seconds * 1e9).rounded())
}

/// The reservation of a decision, or `nil`.
private func reservation(_ decision: RateDecision) -> RateReservation? {
    if case .reserved(let reservation) = decision { return reservation }
    return nil
}

/// The wake-up time (seconds) of a reserved decision, `0` for a grant, `-retryAfter` for a refusal.
private func summary(_ decision: RateDecision) -> Double {
    switch decision {
    case .granted: 0
    case .reserved(let reservation): Double(reservation.time) / 1e9
    case .rejected(let retryAfter): -Double(retryAfter) / 1e9
    }
}

@Suite("Token bucket state")
struct TokenBucketStateTests {
    @Test("a full bucket grants its capacity, then reserves the next boundaries' tokens in order")
    func burstThenReservations() {
        // 3 tokens, 2 more every second.
        var bucket = TokenBucketState(capacity: 3, tokensPerPeriod: 2, period: .seconds(1))
        let decisions = (0..<9).map { _ in summary(bucket.acquire(at: s(0.25), maxWait: s(3))) }
        #expect(decisions == [0, 0, 0, 1, 1, 2, 2, 3, 3])
        let atStart = bucket.permits(at: s(0.25))
        #expect(atStart == (available: 0, reserved: 6))
        // The next would wait until 4 s, past the 3 s allowed: refused, 3.75 s before that permit.
        #expect(summary(bucket.acquire(at: s(0.25), maxWait: s(3))) == -3.75)
        // At 1 s the boundary serves its two reservations; the bucket stays empty.
        let atOne = bucket.permits(at: s(1))
        #expect(atOne == (available: 0, reserved: 4))
    }

    @Test("the refill is lazy, at period boundaries, and never beyond the capacity")
    func lazyRefill() {
        var bucket = TokenBucketState(capacity: 5, tokensPerPeriod: 2, period: .milliseconds(100))
        for _ in 0..<5 {
            let r3 = bucket.acquire(at: 0, maxWait: 0)
            #expect(r3 == .granted)
        }
        let r4 = bucket.acquire(at: s(0.099_999_999), maxWait: 0)
        #expect(r4 == .rejected(retryAfter: 1))
        let r5 = bucket.permits(at: s(0.1))
        #expect(r5.available == 2)
        let r6 = bucket.permits(at: s(0.299))
        #expect(r6.available == 4)
        let r7 = bucket.permits(at: s(3_600))
        #expect(r7.available == 5)
        let r8 = bucket.isIdle(at: s(3_600))
        #expect(r8)
    }

    @Test("with more tokens per period than capacity, a boundary brings at most the capacity")
    func capacityBelowRefill() {
        var bucket = TokenBucketState(capacity: 2, tokensPerPeriod: 5, period: .seconds(1))
        let decisions = (0..<6).map { _ in summary(bucket.acquire(at: 0, maxWait: s(10))) }
        #expect(decisions == [0, 0, 1, 1, 2, 2])
    }

    @Test("a reservation given back frees its place for the next caller")
    func givenBackReservation() throws {
        var bucket = TokenBucketState(capacity: 1, tokensPerPeriod: 1, period: .seconds(1))
        let r9 = bucket.acquire(at: 0, maxWait: s(10))
        #expect(r9 == .granted)
        let first = try #require(reservation(bucket.acquire(at: 0, maxWait: s(10))))
        let second = try #require(reservation(bucket.acquire(at: 0, maxWait: s(10))))
        #expect([first.time, second.time] == [s(1), s(2)])
        bucket.giveBack(first, at: s(0.5))
        // The 1 s permit is free again: the next caller gets it; the one after, 3 s.
        #expect(summary(bucket.acquire(at: s(0.5), maxWait: s(10))) == 1)
        #expect(summary(bucket.acquire(at: s(0.5), maxWait: s(10))) == 3)
    }

    @Test("a reservation given back after its boundary puts its token back in the bucket")
    func givenBackAfterItsBoundary() throws {
        var bucket = TokenBucketState(capacity: 1, tokensPerPeriod: 1, period: .seconds(1))
        let r10 = bucket.acquire(at: 0, maxWait: s(10))
        #expect(r10 == .granted)
        let reserved = try #require(reservation(bucket.acquire(at: 0, maxWait: s(10))))
        let r11 = bucket.permits(at: s(1))
        #expect(r11 == (available: 0, reserved: 0))
        bucket.giveBack(reserved, at: s(1))
        let r12 = bucket.permits(at: s(1))
        #expect(r12.available == 1)
        let r13 = bucket.isIdle(at: s(1))
        #expect(r13)
    }

    @Test("no period ever hands out more than the bucket holds (2,000 seeded steps, with reservations given back)")
    func neverOverAdmits() {
        var random = SeededRandomNumberGenerator(seed: 7)
        let (capacity, perPeriod, period) = (4, 3, s(1))
        var bucket = TokenBucketState(capacity: capacity, tokensPerPeriod: perPeriod, period: .seconds(1))
        var now: Int64 = 0
        var permitsByPeriod: [Int64: Int] = [:]
        var outstanding: [RateReservation] = []
        for _ in 0..<2_000 {
            now += Int64.random(in: 0...s(0.4), using: &random)
            // Waiters whose time came have their permit.
            outstanding.removeAll { $0.time <= now }
            if !outstanding.isEmpty, Int.random(in: 0..<5, using: &random) == 0 {
                let given = outstanding.remove(at: Int.random(in: 0..<outstanding.count, using: &random))
                bucket.giveBack(given, at: now)
                permitsByPeriod[given.slot, default: 0] -= 1
                continue
            }
            switch bucket.acquire(at: now, maxWait: Int64.random(in: 0...s(3), using: &random)) {
            case .granted:
                permitsByPeriod[now / period, default: 0] += 1
            case .reserved(let reserved):
                #expect(reserved.time > now)
                #expect(reserved.time == reserved.slot * period)
                permitsByPeriod[reserved.slot, default: 0] += 1
                outstanding.append(reserved)
            case .rejected(let retryAfter):
                #expect(retryAfter > 0)
            }
        }
        // A real bucket refilled at each boundary never goes below zero.
        var tokens = capacity
        let last = permitsByPeriod.keys.max() ?? 0
        for period in 0...last {
            if period > 0 { tokens = min(capacity, tokens + perPeriod) }
            tokens -= permitsByPeriod[period, default: 0]
            #expect(tokens >= 0, "period \(period)")
        }
        #expect(permitsByPeriod.values.reduce(0, +) > 1_000)
    }
}

@Suite("Sliding window state")
struct SlidingWindowStateTests {
    @Test("a full window reserves the segments where old permits leave it, in order")
    func reservationsWhereSegmentsLeave() {
        // 4 per 4 s, in 1 s segments.
        var window = SlidingWindowState(limit: 4, window: .seconds(4), segments: 4)
        let r14 = window.acquire(at: s(0.5), maxWait: s(10))
        #expect(r14 == .granted)
        let r15 = window.acquire(at: s(0.5), maxWait: s(10))
        #expect(r15 == .granted)
        let r16 = window.acquire(at: s(1.5), maxWait: s(10))
        #expect(r16 == .granted)
        let r17 = window.acquire(at: s(2.5), maxWait: s(10))
        #expect(r17 == .granted)
        // Full: the two permits of segment 0 come back at 4 s, segment 1's at 5 s, segment 2's at 6 s.
        let decisions = (0..<5).map { _ in summary(window.acquire(at: s(2.5), maxWait: s(10))) }
        #expect(decisions == [4, 4, 5, 6, 8])
        let r18 = window.permits(at: s(2.5))
        #expect(r18 == (available: 0, reserved: 5))
        // A wait past the maximum is refused, with the time to the earliest permit.
        #expect(summary(window.acquire(at: s(2.5), maxWait: s(5))) == -5.5)
    }

    @Test("permits come back one window after their segment started")
    func permitsComeBack() {
        var window = SlidingWindowState(limit: 2, window: .seconds(1), segments: 10)
        let r19 = window.acquire(at: s(0.05), maxWait: 0)
        #expect(r19 == .granted)
        let r20 = window.acquire(at: s(0.55), maxWait: 0)
        #expect(r20 == .granted)
        let r21 = window.acquire(at: s(0.95), maxWait: 0)
        #expect(r21 == .rejected(retryAfter: s(0.05)))
        let r22 = window.permits(at: s(0.999_999_999))
        #expect(r22.available == 0)
        let r23 = window.permits(at: s(1))
        #expect(r23.available == 1)
        let r24 = window.acquire(at: s(1.2), maxWait: 0)
        #expect(r24 == .granted)
        let r25 = window.acquire(at: s(1.3), maxWait: 0)
        #expect(r25 == .rejected(retryAfter: s(0.2)))
        let r26 = window.isIdle(at: s(2.2))
        #expect(r26)
    }

    @Test("a reservation given back frees its place for the next caller")
    func givenBackReservation() throws {
        var window = SlidingWindowState(limit: 1, window: .seconds(1), segments: 1)
        let r27 = window.acquire(at: 0, maxWait: s(10))
        #expect(r27 == .granted)
        let first = try #require(reservation(window.acquire(at: 0, maxWait: s(10))))
        let second = try #require(reservation(window.acquire(at: 0, maxWait: s(10))))
        #expect([first.time, second.time] == [s(1), s(2)])
        window.giveBack(first, at: s(0.5))
        #expect(summary(window.acquire(at: s(0.5), maxWait: s(10))) == 1)
        #expect(summary(window.acquire(at: s(0.5), maxWait: s(10))) == 3)
    }

    @Test("no window ever holds more than the limit (2,000 seeded steps, with reservations given back)", arguments: [1, 3, 10])
    func neverOverAdmits(segments: Int) {
        var random = SeededRandomNumberGenerator(seed: UInt64(segments))
        let limit = 5
        var window = SlidingWindowState(limit: limit, window: .seconds(3), segments: segments)
        let length = s(3) / Int64(segments)
        var now: Int64 = 0
        var permitsBySegment: [Int64: Int] = [:]
        var outstanding: [RateReservation] = []
        for _ in 0..<2_000 {
            now += Int64.random(in: 0...s(0.3), using: &random)
            outstanding.removeAll { $0.time <= now }
            if !outstanding.isEmpty, Int.random(in: 0..<5, using: &random) == 0 {
                let given = outstanding.remove(at: Int.random(in: 0..<outstanding.count, using: &random))
                window.giveBack(given, at: now)
                permitsBySegment[given.slot, default: 0] -= 1
                continue
            }
            switch window.acquire(at: now, maxWait: Int64.random(in: 0...s(4), using: &random)) {
            case .granted:
                permitsBySegment[now / length, default: 0] += 1
            case .reserved(let reserved):
                #expect(reserved.time > now)
                #expect(reserved.time == reserved.slot * length)
                permitsBySegment[reserved.slot, default: 0] += 1
                outstanding.append(reserved)
            case .rejected(let retryAfter):
                #expect(retryAfter > 0)
            }
        }
        let last = permitsBySegment.keys.max() ?? 0
        for end in 0...last {
            let inWindow = (max(end - Int64(segments) + 1, 0)...end).reduce(0) { $0 + permitsBySegment[$1, default: 0] }
            #expect(inWindow <= limit, "window ending at segment \(end)")
        }
        // Near the most the limit allows over the 300 s or so: 5 per 3 s.
        #expect(permitsBySegment.values.reduce(0, +) > 400)
    }
}
