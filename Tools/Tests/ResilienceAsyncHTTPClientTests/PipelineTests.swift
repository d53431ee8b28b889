import AsyncHTTPClient
import FaultServer
import NIOCore
import NIOHTTP1
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceHTTP
import ResilienceTestKit
import Testing

/// Requests through a `StandardHTTPPipeline` and within deadlines, on a manual clock the tests move:
/// attempt time-outs and deadlines fire on virtual time while the server holds a real request.
@Suite("AsyncHTTPClient requests through the standard pipeline and within deadlines")
struct PipelineTests {
    func pipeline(
        clock: ManualClock, observer: RecordingObserver? = nil, _ change: (inout StandardHTTPPipelineOptions) -> Void = { _ in }
    )
        throws -> StandardHTTPPipeline<ManualClock>
    {
        let options = try StandardHTTPPipelineOptions.standard.with {
            $0.retry = plainStandardPolicy
            change(&$0)
        }
        return try StandardHTTPPipeline(name: "ocr", options: options, clock: clock, classifier: fixedClassifier, observer: observer)
    }

    @Test("a response slower than the attempt time-out is cut off and retried; the next attempt succeeds")
    func attemptTimeout() async throws {
        let clock = ManualClock()
        let observer = RecordingObserver()
        let pipeline = try pipeline(clock: clock, observer: observer)
        try await withServer(["/": FaultScript([.hold], then: .respond(200, body: "late but fine"))]) { server, client in
            let call = Task { try await client.execute(request(server.url("/")), through: pipeline) }
            await server.waitUntil { $0.held == 1 }
            // The attempt time-out (10 s), then the retry's wait (2 s).
            await clock.advance(toSleeperDeadline: .init(offset: .seconds(10)))
            await clock.advance(toSleeperDeadline: .init(offset: .seconds(12)))
            let response = try await call.value
            #expect(response.status == .ok)
            #expect(try await text(response) == "late but fine")
            #expect(server.requests.count == 2)
            #expect(observer.events(.timedOut).count == 1)
            #expect(observer.events(.attemptFailed).map { $0.classification?.category } == [.timeout])
        }
    }

    @Test("503 then 200 through the pipeline, with the wait on its clock")
    func retried() async throws {
        let clock = ManualClock()
        let pipeline = try pipeline(clock: clock)
        try await withServer(["/": FaultScript([.retryAfter(seconds: 5)])]) { server, client in
            let call = Task { try await client.execute(request(server.url("/")), through: pipeline) }
            await clock.advance(toSleeperDeadline: .init(offset: .seconds(5)))
            let response = try await call.value
            #expect(response.status == .ok)
            #expect(server.requests.count == 2)
        }
    }

    @Test("each authority has its own breaker: a failing server's opens, another's calls go on")
    func breakerPerAuthority() async throws {
        let clock = ManualClock()
        let pipeline = try pipeline(clock: clock) {
            $0.retry.maxAttempts = 1
            $0.circuitBreaker.minimumThroughput = 2
            $0.circuitBreaker.failureRateThreshold = 0.5
        }
        let healthy = try await FaultServer.start()
        defer { Task { await healthy.stop() } }
        try await withServer(["/": FaultScript([], then: .respond(503))]) { failing, client in
            for _ in 0..<2 {
                let response = try await client.execute(request(failing.url("/")), through: pipeline)
                #expect(response.status == .serviceUnavailable)
            }
            await #expect(throws: CircuitOpenError.self) {
                try await client.execute(request(failing.url("/")), through: pipeline)
            }
            #expect(failing.requests.count == 2)
            let response = try await client.execute(request(healthy.url("/")), through: pipeline)
            #expect(response.status == .ok)
            #expect(pipeline.circuitBreakers.snapshot().count == 2)
        }
    }

    @Test("a deadline passing during a wait ends the call at once with the last response, its body intact")
    func deadlineDuringWait() async throws {
        let clock = ManualClock()
        try await withServer(["/": FaultScript([.respond(503, body: "busy 1"), .respond(503, body: "busy 2")])]) { server, client in
            let call = Task { try await client.execute(request(server.url("/")), through: plainRetry(clock: clock), timeout: .seconds(5)) }
            // The deadline (5 s from the call's start, less the real time the call took to start) and
            // the first wait (2 s); then the second wait, to 6 s, past the deadline.
            await clock.advance(toSleeperDeadline: .init(offset: .seconds(2)))
            await clock.waitForSleepers(count: 2)
            let deadline = try #require(clock.pendingDeadlines.first)
            #expect(deadline > .init(offset: .seconds(4)) && deadline <= .init(offset: .seconds(5)))
            #expect(clock.pendingDeadlines.last == .init(offset: .seconds(6)))
            clock.advance(to: deadline)
            let response = try await call.value
            #expect(response.status == .serviceUnavailable)
            #expect(try await text(response) == "busy 2")
            #expect(server.requests.count == 2)
        }
    }

    @Test("a deadline passing during an attempt ends the call with AsyncHTTPClient's deadlineExceeded")
    func deadlineDuringAttempt() async throws {
        let clock = ManualClock()
        try await withServer(["/": FaultScript([.hold])]) { server, client in
            let call = Task {
                try await client.execute(request(server.url("/")), through: plainRetry(clock: clock), deadline: .now() + .seconds(60))
            }
            await server.waitUntil { $0.held == 1 }
            await clock.waitForSleepers(count: 1)
            let deadline = try #require(clock.advanceToNextDeadline())
            #expect(deadline > .init(offset: .seconds(59)) && deadline <= .init(offset: .seconds(60)))
            await #expect(throws: HTTPClientError.deadlineExceeded) { try await call.value }
            #expect(server.requests.count == 1)
        }
    }

    @Test("a deadline that does not pass changes nothing")
    func deadlineNotReached() async throws {
        let clock = ManualClock()
        try await withServer(["/": FaultScript([.respond(500)])]) { server, client in
            let call = Task { try await client.execute(request(server.url("/")), through: plainRetry(clock: clock), timeout: .seconds(60)) }
            await clock.advance(toSleeperDeadline: .init(offset: .seconds(2)))
            let response = try await call.value
            #expect(response.status == .ok)
            #expect(server.requests.count == 2)
        }
    }
}
