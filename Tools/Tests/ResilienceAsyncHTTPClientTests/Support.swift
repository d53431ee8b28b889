import AsyncHTTPClient
import FaultServer
import NIOCore
import NIOHTTP1
import NIOPosix
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceHTTP
import ResilienceTestKit

/// 2026-07-14 12:00:00 UTC, the fixed "now" of the classifier in these tests, in nanoseconds since the epoch.
let tuesdayNoon: Int64 = 1_784_030_400 * 1_000_000_000

/// A classifier whose wall clock is stopped at ``tuesdayNoon``, for `Retry-After` dates.
let fixedClassifier = HTTPResponseClassifier(wallClock: .fixed(unixNanoseconds: tuesdayNoon))

/// An AsyncHTTPClient configuration for the tests: a pool of at most `maximumConnections` per host,
/// and connection failures reported at once (`retryConnectionEstablishment` off) unless asked.
func clientConfiguration(maximumConnections: Int = 8, retryConnectionEstablishment: Bool = false) -> HTTPClient.Configuration {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maximumConnections
    configuration.connectionPool.retryConnectionEstablishment = retryConnectionEstablishment
    return configuration
}

/// Runs `body` with a fault server following `scripts` and a client, and shuts both down after.
func withServer<Result>(
    _ scripts: [String: FaultScript] = [:],
    configuration: HTTPClient.Configuration = clientConfiguration(),
    _ body: (FaultServer, HTTPClient) async throws -> Result
) async throws -> Result {
    let server = try await FaultServer.start(scripts: scripts)
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    do {
        let result = try await body(server, client)
        try await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

/// The standard HTTP retry policy without jitter: 4 attempts, 2 s doubling (2, 4, 8 s), capped at
/// 30 s a wait and in all.
var plainStandardPolicy: RetryPolicy {
    var policy = RetryPolicy.standardHTTP
    policy.jitter = .none
    return policy
}

/// An HTTP retry on `clock` with ``plainStandardPolicy`` and ``fixedClassifier``.
func plainRetry(
    clock: ManualClock,
    policy: RetryPolicy = plainStandardPolicy,
    observer: (any ResilienceObserver)? = nil
) -> HTTPRetry<ManualClock> {
    HTTPRetry(policy, name: "test-retry", clock: clock, classifier: fixedClassifier, observer: observer)
}

/// A request of `method` to `url`, with `headers` and `body`.
func request(
    _ url: String, _ method: HTTPMethod = .GET, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil
)
    -> HTTPClientRequest
{
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    request.body = body
    return request
}

/// The body of `response`, read whole, as text.
func text(_ response: HTTPClientResponse) async throws -> String {
    String(buffer: try await response.body.collect(upTo: 16 * 1024 * 1024))
}

/// A port on 127.0.0.1 with nothing listening: bound to an ephemeral port, then closed.
func closedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 1
    try await channel.close()
    return port
}
