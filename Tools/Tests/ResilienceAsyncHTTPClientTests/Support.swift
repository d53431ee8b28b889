import AsyncHTTPClient
import FaultServer
import Glibc
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

/// Runs `body` with a port of 127.0.0.1 where nothing listens: a TCP socket bound to an ephemeral
/// port but not listening, held for the whole of `body` so that no other test's server can take the
/// port (connecting to it is refused).
func withClosedPort<Result>(_ body: (Int) async throws -> Result) async throws -> Result {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(socket, address, length) == 0 && getsockname(socket, address, &length) == 0
        }
    }
    guard bound else { throw IOError(errnoCode: errno, reason: "bind") }
    return try await body(Int(UInt16(bigEndian: address.sin_port)))
}
