import AsyncHTTPClient
import FaultServer
import NIOCore
import NIOHTTP1
import NIOPosix
import Resilience
import ResilienceAsyncHTTPClient
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What AsyncHTTPClient 1.37 throws for each fault of a real server on loopback (or of no server),
/// and how the default classifier treats it once this module is linked.
@Suite("AsyncHTTPClient's errors, as a real server produces them")
struct AsyncHTTPClientErrorTests {
    /// The error a plain AsyncHTTPClient request to `url` throws.
    func errorOfRequest(
        to url: String,
        _ client: HTTPClient,
        timeout: TimeAmount = .seconds(60)
    ) async -> (any Error)? {
        do {
            let response = try await client.execute(request(url), timeout: timeout)
            _ = try await response.body.collect(upTo: 1 << 20)
            return nil
        } catch {
            return error
        }
    }

    @Test("a port with nothing listening: IOError ECONNREFUSED, a connection failure")
    func connectionRefused() async throws {
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration())
        let error = try await withClosedPort { port in await errorOfRequest(to: "http://127.0.0.1:\(port)/", client) }
        try await client.shutdown()
        #expect((error as? IOError)?.errnoCode == ECONNREFUSED)
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .connectionFailure)
    }

    @Test("a reset connection: IOError ECONNRESET, a connection failure")
    func connectionReset() async throws {
        let error = try await withServer(["/": FaultScript([.resetConnection])]) { server, client in
            await errorOfRequest(to: server.url("/"), client)
        }
        #expect((error as? IOError)?.errnoCode == ECONNRESET)
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .connectionFailure)
    }

    @Test("a connection closed before the response: remoteConnectionClosed, a connection failure")
    func closedBeforeResponse() async throws {
        let error = try await withServer(["/": FaultScript([.closeConnection])]) { server, client in
            await errorOfRequest(to: server.url("/"), client)
        }
        #expect(error as? HTTPClientError == .remoteConnectionClosed)
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .connectionFailure)
    }

    @Test("a connection closed mid-body: HTTPParserError.invalidEOFState, a connection failure")
    func closedMidBody() async throws {
        let error = try await withServer(["/": FaultScript([.truncated(declaredLength: 100, sending: 10)])]) { server, client in
            await errorOfRequest(to: server.url("/"), client)
        }
        #expect(error as? HTTPParserError == .invalidEOFState)
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .connectionFailure)
    }

    @Test("a response slower than the request's deadline: deadlineExceeded, a timeout")
    func deadline() async throws {
        let error = try await withServer(["/": FaultScript([.hold])]) { server, client in
            await errorOfRequest(to: server.url("/"), client, timeout: .milliseconds(50))
        }
        #expect(error as? HTTPClientError == .deadlineExceeded)
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .timeout)
    }

    @Test("a response slower than the read time-out: readTimeout, a timeout")
    func readTimeout() async throws {
        var configuration = clientConfiguration()
        configuration.timeout.read = .milliseconds(50)
        let error = try await withServer(["/": FaultScript([.hold])], configuration: configuration) { server, client in
            await errorOfRequest(to: server.url("/"), client)
        }
        #expect(error as? HTTPClientError == .readTimeout)
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .timeout)
    }

    @Test("an unsupported scheme: permanent")
    func invalidURL() async throws {
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration())
        let error = await errorOfRequest(to: "ftp://127.0.0.1/", client)
        try await client.shutdown()
        #expect(error as? HTTPClientError == .unsupportedScheme("ftp"))
        #expect(ErrorClassifier.default.classify(try #require(error)).category == .permanent)
    }
}
