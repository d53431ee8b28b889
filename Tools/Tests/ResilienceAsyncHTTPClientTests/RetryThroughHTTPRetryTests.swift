import AsyncHTTPClient
import FaultServer
import Glibc
import NIOCore
import NIOHTTP1
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceHTTP
import ResilienceTestKit
import Synchronization
import Testing

/// Requests through an `HTTPRetry` on a manual clock that advances by itself: the server is real, the
/// waits virtual and exact.
@Suite("AsyncHTTPClient requests through HTTPRetry, against a real server")
struct RetryThroughHTTPRetryTests {
    @Test("503, 503, 200: three attempts, waits of 2 and 4 s, the success returned with its body")
    func statusSequence() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        try await withServer(["/ocr": FaultScript([.respond(503), .respond(503)], then: .respond(200, body: "text"))]) { server, client in
            let response = try await client.execute(request(server.url("/ocr")), through: plainRetry(clock: clock, observer: observer))
            #expect(response.status == .ok)
            #expect(try await text(response) == "text")
            #expect(server.requests(to: "/ocr").count == 3)
            #expect(clock.requestedSleeps == [.seconds(2), .seconds(4)])
            #expect(observer.scheduledDelays == [.seconds(2), .seconds(4)])
        }
    }

    @Test("a failing response after the last attempt is returned, with its body")
    func lastFailureReturned() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        try await withServer(["/": FaultScript([], then: .respond(503, body: "down"))]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock, observer: observer))
            #expect(response.status == .serviceUnavailable)
            #expect(try await text(response) == "down")
            #expect(server.requests.count == 4)
            #expect(observer.stopReasons == [.attemptsExhausted])
        }
    }

    @Test("a 404 is not retried")
    func notFound() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await withServer(["/": FaultScript([.respond(404, body: "no such page")])]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock))
            #expect(response.status == .notFound)
            #expect(try await text(response) == "no such page")
            #expect(server.requests.count == 1)
            #expect(clock.requestedSleeps == [])
        }
    }

    @Test(
        "the server's hint sets the wait, in every form",
        arguments: [
            (FaultStep.retryAfter(seconds: 7), Duration.seconds(7)),
            (FaultStep.retryAfter(429, seconds: 3), Duration.seconds(3)),
            // 12:00:20 GMT on the classifier's Tuesday noon: 20 s.
            (FaultStep.retryAfter(date: "Tue, 14 Jul 2026 12:00:20 GMT"), Duration.seconds(20)),
            (FaultStep.retryAfterMilliseconds(2_500), Duration.milliseconds(2_500)),
        ]
    )
    func hints(step: FaultStep, wait: Duration) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await withServer(["/": FaultScript([step])]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock))
            #expect(response.status == .ok)
            #expect(server.requests.count == 2)
            #expect(clock.requestedSleeps == [wait])
        }
    }

    @Test("a hint past the policy's cap ends the retries at once, returning that response")
    func hintPastCap() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        try await withServer(["/": FaultScript([.retryAfter(429, seconds: 3_600)])]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock, observer: observer))
            #expect(response.status == .tooManyRequests)
            #expect(response.headers.first(name: "retry-after") == "3600")
            #expect(server.requests.count == 1)
            #expect(observer.stopReasons == [.retryAfterExceedsMaxDelay])
        }
    }

    @Test("a POST without an Idempotency-Key is sent once; with one it is retried, with its body each time")
    func idempotency() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        let scripts = ["/plain": FaultScript([.respond(503)]), "/keyed": FaultScript([.respond(503), .respond(503)], then: .echo())]
        try await withServer(scripts) { server, client in
            let plain = request(server.url("/plain"), .POST, body: .bytes(ByteBuffer(string: "order 1")))
            let refused = try await client.execute(plain, through: plainRetry(clock: clock, observer: observer))
            #expect(refused.status == .serviceUnavailable)
            #expect(server.requests(to: "/plain").count == 1)
            #expect(observer.stopReasons == [.notIdempotent])

            let keyed = request(
                server.url("/keyed"), .POST, headers: [("Idempotency-Key", "k-1")], body: .bytes(ByteBuffer(string: "order 2")))
            let accepted = try await client.execute(keyed, through: plainRetry(clock: clock))
            #expect(accepted.status == .ok)
            #expect(try await text(accepted) == "order 2")
            let received = server.requests(to: "/keyed")
            #expect(received.map(\.bodyText) == ["order 2", "order 2", "order 2"])
            #expect(received.map { $0.header("idempotency-key") } == ["k-1", "k-1", "k-1"])
        }
    }

    @Test("the caller's word makes a POST retryable")
    func callerSaysIdempotent() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await withServer(["/": FaultScript([.respond(502)])]) { server, client in
            let post = request(server.url("/"), .POST, body: .bytes(Array("once".utf8)))
            let response = try await client.execute(post, through: plainRetry(clock: clock), options: HTTPCallOptions(idempotent: true))
            #expect(response.status == .ok)
            #expect(server.requests.map(\.bodyText) == ["once", "once"])
        }
    }

    @Test("a stream body is not retried, and says why")
    func streamNotRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        try await withServer(["/": FaultScript([.respond(503)])]) { server, client in
            let chunks = AsyncStream<ByteBuffer> { continuation in
                continuation.yield(ByteBuffer(string: "part 1, "))
                continuation.yield(ByteBuffer(string: "part 2"))
                continuation.finish()
            }
            let put = request(server.url("/"), .PUT, body: .stream(chunks, length: .unknown))
            let response = try await client.execute(put, through: plainRetry(clock: clock, observer: observer))
            #expect(response.status == .serviceUnavailable)
            #expect(server.requests.map(\.bodyText) == ["part 1, part 2"])
            #expect(observer.stopReasons == [.bodyNotReplayable])
        }
    }

    @Test("a stream body made anew for each attempt is retried, and re-sent whole each time")
    func streamRemade() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let made = Counter()
        try await withServer(["/upload": FaultScript([.respond(500), .respond(503)], then: .echo(201))]) { server, client in
            let put = request(server.url("/upload"), .PUT)
            let response = try await client.execute(put, through: plainRetry(clock: clock)) {
                let attempt = made.increment()
                let chunks = AsyncStream<ByteBuffer> { continuation in
                    continuation.yield(ByteBuffer(string: "attempt \(attempt): "))
                    continuation.yield(ByteBuffer(string: "pages"))
                    continuation.finish()
                }
                return .stream(chunks, length: .known(Int64("attempt \(attempt): pages".utf8.count)))
            }
            #expect(response.status == .created)
            #expect(try await text(response) == "attempt 3: pages")
            #expect(server.requests(to: "/upload").map(\.bodyText) == ["attempt 1: pages", "attempt 2: pages", "attempt 3: pages"])
        }
    }

    @Test("a reset connection, then a closed one, are retried; the success follows")
    func connectionFaultsRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        try await withServer(["/": FaultScript([.resetConnection, .closeConnection], then: .respond(200, body: "ok"))]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock, observer: observer))
            #expect(response.status == .ok)
            #expect(server.requests.count == 3)
            #expect(observer.events(.attemptFailed).map { $0.classification?.category } == [.connectionFailure, .connectionFailure])
        }
    }

    @Test("a failing response cut off mid-body is an attempt's error, and retried")
    func truncatedFailureRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await withServer(["/": FaultScript([.truncated(503, declaredLength: 1_000, sending: 10)])]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock))
            #expect(response.status == .ok)
            #expect(server.requests.count == 2)
        }
    }

    @Test("a port with nothing listening: retried, then the original error rethrown")
    func connectionRefused() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        let error: (any Error)? = try await withServer { _, client in
            try await withClosedPort { port in
                await #expect(throws: (any Error).self) {
                    try await client.execute(request("http://127.0.0.1:\(port)/"), through: plainRetry(clock: clock, observer: observer))
                }
            }
        }
        do {
            // NIO's own error, unchanged.
            #expect((error as? IOError)?.errnoCode == ECONNREFUSED)
            #expect(ErrorClassifier.default.classify(try #require(error)).category == .connectionFailure)
            #expect(observer.events(.attemptFailed).count == 4)
            #expect(observer.stopReasons == [.attemptsExhausted])
            #expect(clock.requestedSleeps == [.seconds(2), .seconds(4), .seconds(8)])
        }
    }

    @Test("streaming: once the caller reads the body, a failure while reading is the caller's, never retried")
    func streamingNotRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await withServer(["/": FaultScript([.truncated(200, declaredLength: 1_000, sending: 100)])]) { server, client in
            let response = try await client.execute(request(server.url("/")), through: plainRetry(clock: clock))
            #expect(response.status == .ok)
            await #expect(throws: (any Error).self) { try await text(response) }
            #expect(server.requests.count == 1)
            #expect(clock.requestedSleeps == [])
        }
    }

    @Test("a caller already cancelled gets CancellationError and sends nothing")
    func alreadyCancelled() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await withServer { server, client in
            let call = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(request(server.url("/")), through: plainRetry(clock: clock))
            }
            await #expect(throws: CancellationError.self) { try await call.value }
            #expect(server.requests.isEmpty)
        }
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Atomic(0)

    /// Adds one and returns the new value.
    @discardableResult
    func increment() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }
}
