import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A scripted HTTP/1.1 server on loopback, for tests and demos: each path follows a ``FaultScript``
/// (status sequences, `Retry-After` hints, held, truncated, closed or reset responses), and the
/// server records what every request carried and counts its connections.
///
/// ```swift
/// let server = try await FaultServer.start(scripts: ["/ocr": FaultScript([.respond(503), .retryAfter(seconds: 2)])])
/// defer { Task { await server.stop() } }
/// // ... requests to server.url("/ocr") ...
/// await server.waitUntil { $0.requests(to: "/ocr") == 3 }
/// #expect(server.requests(to: "/ocr").map(\.bodyText) == ["a", "a", "a"])
/// ```
///
/// It binds an ephemeral port on 127.0.0.1 (``port``). Waiting for its counts
/// (``waitUntil(_:)``) suspends until they change, without polling or sleeping.
public final class FaultServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let shared: Shared
    private let runner: Task<Void, any Error>

    private init(port: Int, shared: Shared, runner: Task<Void, any Error>) {
        self.port = port
        self.shared = shared
        self.runner = runner
    }

    /// Starts a server on an ephemeral port of 127.0.0.1.
    ///
    /// - Parameters:
    ///   - scripts: The script of each path; other paths follow `otherwise`.
    ///   - otherwise: The script of every path without one: 200 `ok` by default.
    ///   - clock: The clock ``FaultStep/delayed(_:then:)`` waits on.
    ///   - logger: The server's logger; quiet (errors only) by default.
    /// - Returns: The running server.
    /// - Throws: The error that kept it from binding.
    public static func start(
        scripts: [String: FaultScript] = [:],
        otherwise: FaultScript = FaultScript([]),
        clock: any Clock<Duration> = ContinuousClock(),
        logger: Logger? = nil
    ) async throws -> FaultServer {
        let shared = Shared(scripts: scripts, otherwise: otherwise, clock: clock)
        var quiet = Logger(label: "fault-server")
        quiet.logLevel = .error
        let responder = CallbackResponder<FaultRequestContext> { request, context in
            try await shared.respond(to: request, context: context)
        }
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionCounter(shared: shared)])),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "fault-server"),
            onServerRunning: { channel in shared.serverStarted(port: channel.localAddress?.port) },
            logger: logger ?? quiet
        )
        let runner = Task {
            do {
                try await app.run()
            } catch {
                shared.serverStarted(port: nil, error: error)
                throw error
            }
        }
        let port = try await shared.waitForPort()
        return FaultServer(port: port, shared: shared, runner: runner)
    }

    /// `http://127.0.0.1:port`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The URL of `path` on this server.
    ///
    /// - Parameter path: A path, such as `/ocr`.
    /// - Returns: The URL.
    public func url(_ path: String) -> String { baseURL + path }

    /// Gives `path` a new script, starting again from its first step.
    ///
    /// - Parameters:
    ///   - path: The path.
    ///   - script: Its script.
    public func setScript(_ script: FaultScript, for path: String) {
        shared.setScript(script, for: path)
    }

    /// Every request received so far, in order of arrival.
    public var requests: [RecordedRequest] { shared.state.withLockedValue { $0.requests } }

    /// The requests received for `path`, in order of arrival.
    ///
    /// - Parameter path: The path.
    /// - Returns: Its requests.
    public func requests(to path: String) -> [RecordedRequest] { requests.filter { $0.path == path } }

    /// The server's counts now.
    public var counts: FaultServerCounts { shared.state.withLockedValue { $0.counts } }

    /// Suspends until the server's counts satisfy `condition`: checked now and after every change.
    ///
    /// - Parameter condition: What to wait for, such as `{ $0.requests(to: "/ocr") == 3 }`.
    public func waitUntil(_ condition: @escaping @Sendable (FaultServerCounts) -> Bool) async {
        await shared.waitUntil(condition)
    }

    /// Answers every held request (200, `released`).
    public func releaseHeldRequests() {
        shared.releaseHeld()
    }

    /// Releases held requests, stops accepting connections and waits for the server to end.
    public func stop() async {
        shared.releaseAll()
        runner.cancel()
        _ = try? await runner.value
    }
}

/// The request context: Hummingbird's core storage and the request's channel, which the faults
/// that close or reset a connection act on.
struct FaultRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

/// Counts a connection open when it is set up and closed when it goes inactive.
final class ConnectionCounter: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let shared: FaultServer.Shared

    init(shared: FaultServer.Shared) {
        self.shared = shared
    }

    func handlerAdded(context: ChannelHandlerContext) {
        shared.connectionOpened(ObjectIdentifier(context.channel))
    }

    func channelInactive(context: ChannelHandlerContext) {
        shared.connectionClosed(ObjectIdentifier(context.channel))
        context.fireChannelInactive()
    }
}

/// The error a truncated response's body ends with, after its connection was closed.
struct ConnectionCutError: Error {}
