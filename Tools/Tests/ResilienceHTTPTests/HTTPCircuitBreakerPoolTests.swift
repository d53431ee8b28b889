import HTTPTypes
import Resilience
import ResilienceTestKit
import Testing

@testable import ResilienceHTTP

@Suite("One breaker per authority, from a bounded pool")
struct HTTPCircuitBreakerPoolTests {
    let a = HTTPAuthority(scheme: "https", host: "a.example.com")
    let b = HTTPAuthority(scheme: "https", host: "b.example.com")
    let c = HTTPAuthority(scheme: "https", host: "c.example.com")

    func pool(_ maximumCount: Int, clock: ManualClock = ManualClock()) -> HTTPCircuitBreakerPool<ManualClock> {
        HTTPCircuitBreakerPool(maximumCount: maximumCount, configuration: .consecutiveFailures(2, breakDuration: .seconds(5)), clock: clock)
    }

    @Test("Each authority has its own breaker; the same authority written differently shares one")
    func perAuthority() {
        let breakers = pool(10)
        #expect(breakers.breaker(for: a) !== breakers.breaker(for: b))
        #expect(breakers.breaker(for: a) === breakers.breaker(for: a))
        let one = breakers.breaker(for: request(authority: "API.example.com"))
        #expect(one === breakers.breaker(for: request(authority: "api.example.com:443")))
        #expect(one === breakers.breaker(for: request(authority: "user@api.example.com")))
        #expect(one !== breakers.breaker(for: request(authority: "api.example.com:8443")))
        #expect(breakers.breaker(for: a).name == "circuit-breaker[https://a.example.com]")
        #expect(breakers.snapshot().count == 4)
    }

    @Test("A failing authority opens its own breaker; the others keep calling")
    func separation() async throws {
        let breakers = pool(10)
        let classifier = HTTPResponseClassifier(wallClock: fixedNow)
        for _ in 0..<2 {
            _ = try await breakers.execute(for: request(authority: "a.example.com"), classifyingResult: { classifier.classify($0) }) {
                response(503)
            }
        }
        #expect(breakers.breaker(for: a).state == .open)
        await #expect(throws: CircuitOpenError.self) {
            try await breakers.execute(for: request(authority: "a.example.com")) { response(200) }
        }
        let fromB = try await breakers.execute(for: request(authority: "b.example.com")) { response(200) }
        #expect(fromB.status == .ok)
        #expect(breakers.breaker(for: b).state == .closed)
    }

    @Test("At the bound, a new authority evicts the least recently used closed breaker")
    func evictsLeastRecentlyUsed() {
        let breakers = pool(2)
        let first = breakers.breaker(for: a)
        _ = breakers.breaker(for: b)
        _ = breakers.breaker(for: a)  // b is now the least recently used
        _ = breakers.breaker(for: c)
        let snapshot = breakers.snapshot()
        #expect(snapshot.authorities == [c, a])
        #expect(snapshot.evictions == 1)
        #expect(snapshot.overflows == 0)
        #expect(breakers.breaker(for: a) === first)
    }

    @Test("Open, half-open, isolated and disabled breakers are never evicted", arguments: ["open", "isolated", "disabled"])
    func keepsBreakersThatAreNotClosed(state: String) async throws {
        let breakers = pool(2)
        let held = breakers.breaker(for: a)
        switch state {
        case "open":
            for _ in 0..<2 {
                _ = try? await breakers.execute(for: a) { throw ClassifiedError(name: "reset", category: .connectionFailure) }
            }
        case "isolated": held.isolate()
        default: held.disable()
        }
        #expect(held.state != .closed)
        _ = breakers.breaker(for: b)
        _ = breakers.breaker(for: c)  // evicts b, the only closed one, although a is older
        #expect(breakers.snapshot().authorities == [c, a])
        #expect(breakers.breaker(for: a) === held)
    }

    @Test("Full of breakers it may not evict, the pool hands out breakers it does not keep, and counts them")
    func overflow() async throws {
        let breakers = pool(2)
        breakers.breaker(for: a).isolate()
        breakers.breaker(for: b).isolate()
        let unkept = breakers.breaker(for: c)
        #expect(unkept !== breakers.breaker(for: c))
        let fromC = try await breakers.execute(for: c) { response(200) }  // runs, unprotected across calls
        #expect(fromC.status == .ok)
        let snapshot = breakers.snapshot()
        #expect(snapshot.authorities.count == 2)
        #expect(Set(snapshot.authorities) == [a, b])
        #expect(snapshot.overflows == 3)
        #expect(snapshot.evictions == 0)
    }

    @Test("A breaker with a call in flight is not evicted until the call ends")
    func inFlightNotEvicted() async throws {
        let clock = ManualClock()
        let breakers = pool(1)
        let held = breakers.breaker(for: a)
        let call = Task {
            try await breakers.execute(for: a) {
                try await clock.sleep(for: .seconds(1))
                return response(200)
            }
        }
        await clock.waitForSleepers()
        _ = breakers.breaker(for: b)
        #expect(breakers.snapshot().authorities == [a])
        #expect(breakers.snapshot().overflows == 1)
        clock.advance(by: .seconds(1))
        _ = try await call.value
        _ = breakers.breaker(for: b)
        #expect(breakers.snapshot().authorities == [b])
        #expect(breakers.breaker(for: a) !== held)
    }

    @Test("A failed or cancelled call ends its time in flight too")
    func failedCallsEnd() async throws {
        let breakers = pool(1)
        _ = try? await breakers.execute(for: a) { throw ClassifiedError(name: "invalid", category: .permanent) }
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await breakers.execute(for: a) { response(200) }
        }
        _ = try? await cancelled.value
        _ = breakers.breaker(for: b)
        #expect(breakers.snapshot().authorities == [b])
    }

    @Test("removeAll forgets every breaker; a maximum below 1 counts as 1")
    func removeAllAndClamp() {
        let breakers = pool(0)
        #expect(breakers.maximumCount == 1)
        _ = breakers.breaker(for: a)
        breakers.removeAll()
        #expect(breakers.snapshot().count == 0)
    }

    // MARK: - The state as a value

    final class Stub {}

    @Test("The state machine: recency, eviction by recency among evictable entries, release by identity")
    func stateMachine() {
        var state = CircuitBreakerPoolState<Stub>(capacity: 2)
        let (stubA, _) = state.breaker(for: a, counting: true, isEvictable: { _ in true }, make: Stub.init)
        let (stubB, _) = state.breaker(for: b, counting: false, isEvictable: { _ in true }, make: Stub.init)
        // a has a call in flight: b goes although a is older.
        let (_, pooled) = state.breaker(for: c, counting: false, isEvictable: { _ in true }, make: Stub.init)
        #expect(pooled)
        #expect(Set(state.entries.keys) == [a, c])
        // A release by another breaker of the same authority changes nothing.
        state.release(a, breaker: stubB)
        #expect(state.entries[a]?.inFlight == 1)
        state.release(a, breaker: stubA)
        #expect(state.entries[a]?.inFlight == 0)
        state.release(a, breaker: stubA)
        #expect(state.entries[a]?.inFlight == 0)
        // Nothing evictable: an unkept stub.
        let (_, kept) = state.breaker(for: b, counting: true, isEvictable: { _ in false }, make: Stub.init)
        #expect(!kept)
        #expect(state.overflows == 1)
        #expect(state.evictions == 1)
        #expect(state.authoritiesByRecency == [c, a])
    }
}

@Suite("Authorities: scheme, host, port, normalised")
struct HTTPAuthorityTests {
    @Test(
        "Parsing and normalising an authority",
        arguments: [
            ("https", "api.example.com", "https", "api.example.com", 443 as Int?),
            ("HTTPS", "API.Example.COM", "https", "api.example.com", 443),
            ("http", "example.com", "http", "example.com", 80),
            ("http", "example.com:8080", "http", "example.com", 8080),
            ("https", "example.com:", "https", "example.com", 443),
            ("https", "user:secret@example.com:8443", "https", "example.com", 8443),
            ("https", "[::1]:8443", "https", "[::1]", 8443),
            ("https", "[2001:DB8::1]", "https", "[2001:db8::1]", 443),
            ("wss", "socket.example.com", "wss", "socket.example.com", 443),
            ("ftp", "files.example.com", "ftp", "files.example.com", nil),
            ("https", "example.com:99999", "https", "example.com:99999", 443),
            ("https", "example.com:http", "https", "example.com:http", 443),
            ("https", "::1", "https", "::1", 443),
            ("", "", "", "", nil),
        ]
    )
    func parsing(scheme: String, authority: String, expectedScheme: String, host: String, port: Int?) {
        let parsed = HTTPAuthority(scheme: scheme, authority: authority)
        #expect(parsed.scheme == expectedScheme)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test("Descriptions leave out default ports")
    func descriptions() {
        #expect(HTTPAuthority(scheme: "https", host: "api.example.com").description == "https://api.example.com")
        #expect(HTTPAuthority(scheme: "https", host: "api.example.com", port: 8443).description == "https://api.example.com:8443")
        #expect(HTTPAuthority(scheme: "http", host: "localhost", port: 80).description == "http://localhost")
        #expect(HTTPAuthority(scheme: "https", host: "x", port: 70_000).port == 443)
    }

    @Test("A request without scheme or authority has an authority of its own: every such request shares it")
    func missingParts() {
        let request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/")
        #expect(HTTPAuthority(request) == HTTPAuthority(scheme: "", host: ""))
    }
}
