import AsyncHTTPClient
import FaultServer
import NIOCore
import NIOHTTP1
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceHTTP
import ResilienceTestKit
import Testing

/// The connection pool after many retried requests: the server counts the connections it accepted
/// and those still open, and waits on those counts (never on the wall clock).
@Suite("The connection pool stays healthy through retries")
struct PoolHealthTests {
    /// Sends `count` requests, `concurrency` at a time, each to its own path, each worker with a
    /// retry on a clock of its own (so that no worker's waits count against another's time budget).
    func sendAll(
        _ count: Int,
        concurrency: Int,
        to server: FaultServer,
        client: HTTPClient,
        retriedBodyLimit: Int = HTTPClient.defaultRetriedBodyLimit
    ) async throws -> [HTTPResponseStatus] {
        try await withThrowingTaskGroup(of: [HTTPResponseStatus].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    let retry = plainRetry(clock: ManualClock(advancesAutomatically: true))
                    var statuses: [HTTPResponseStatus] = []
                    for index in stride(from: worker, to: count, by: concurrency) {
                        let response = try await client.execute(
                            request(server.url("/r\(index)")), through: retry, retriedBodyLimit: retriedBodyLimit
                        )
                        _ = try await response.body.collect(upTo: 1 << 20)
                        statuses.append(response.status)
                    }
                    return statuses
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    @Test("1,000 requests, each retried once after a drained 503: never more connections than the pool's 8, all reused")
    func drained() async throws {
        let count = 1_000
        var scripts: [String: FaultScript] = [:]
        for index in 0..<count { scripts["/r\(index)"] = FaultScript([.respond(503, body: "busy, try again")]) }
        try await withServer(scripts, configuration: clientConfiguration(maximumConnections: 8)) { server, client in
            let statuses = try await sendAll(count, concurrency: 8, to: server, client: client)
            #expect(statuses.count == count)
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(server.counts.requests == 2 * count)
            // Every retried response was drained, so no connection was ever closed: the pool opened
            // at most its maximum, and reused them for all 2,000 requests.
            #expect(server.counts.connectionsAccepted <= 8)
            #expect(server.counts.connectionsOpen == server.counts.connectionsAccepted)
            // A final burst on the same pool goes through on the same connections.
            let burst = try await sendAll(16, concurrency: 16, to: server, client: client)
            #expect(burst.allSatisfy { $0 == .ok })
            #expect(server.counts.connectionsAccepted <= 8)
        }
    }

    @Test(
        "a short retried body is drained as it arrives: during the wait, its connection serves another request",
        .timeLimit(.minutes(1))
    )
    func drainedBeforeTheWait() async throws {
        let clock = ManualClock()
        let scripts = ["/busy": FaultScript([.respond(503, body: "busy, try again")])]
        try await withServer(scripts, configuration: clientConfiguration(maximumConnections: 1)) { server, client in
            let call = Task { try await client.execute(request(server.url("/busy")), through: plainRetry(clock: clock)) }
            await clock.waitForSleepers(count: 1)
            // The pool's only connection is free while the retry waits.
            let other = try await client.execute(request(server.url("/other")), timeout: .seconds(60))
            #expect(other.status == .ok)
            #expect(try await text(other) == "ok")
            clock.advanceToNextDeadline()
            #expect(try await call.value.status == .ok)
            #expect(server.requests.map(\.path) == ["/busy", "/other", "/busy"])
            #expect(server.counts.connectionsAccepted == 1)
        }
    }

    @Test(
        "long retried bodies within the limit are drained, declared (at once) or chunked (when the retry begins): connections reused",
        arguments: [false, true]
    )
    func drainedLong(chunked: Bool) async throws {
        let count = 40
        var scripts: [String: FaultScript] = [:]
        for index in 0..<count { scripts["/r\(index)"] = FaultScript([.respond(503, bodyOfSize: 512 * 1024, chunked: chunked)]) }
        try await withServer(scripts, configuration: clientConfiguration(maximumConnections: 4)) { server, client in
            let statuses = try await sendAll(count, concurrency: 4, to: server, client: client, retriedBodyLimit: 1024 * 1024)
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(server.counts.requests == 2 * count)
            #expect(server.counts.connectionsAccepted <= 4)
        }
    }

    @Test(
        "retried bodies past the limit are dropped: their connections close, the pool stays within 8 and serves a burst",
        arguments: [false, true]
    )
    func dropped(chunked: Bool) async throws {
        let count = 60
        var scripts: [String: FaultScript] = [:]
        for index in 0..<count { scripts["/r\(index)"] = FaultScript([.respond(503, bodyOfSize: 512 * 1024, chunked: chunked)]) }
        try await withServer(scripts, configuration: clientConfiguration(maximumConnections: 8)) { server, client in
            let statuses = try await sendAll(count, concurrency: 8, to: server, client: client, retriedBodyLimit: 1_024)
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(server.counts.requests == 2 * count)
            // Each drop closed a connection, which the pool replaced...
            #expect(server.counts.connectionsAccepted > 8)
            // ... but never held more than its maximum: once the closes arrive, at most 8 are open.
            await server.waitUntil { $0.connectionsOpen <= 8 }
            let burst = try await sendAll(16, concurrency: 16, to: server, client: client)
            #expect(burst.allSatisfy { $0 == .ok })
            await server.waitUntil { $0.connectionsOpen <= 8 }
        }
    }
}
