import Hummingbird
import Logging
import NIOCore
import Prometheus
import ResilienceCommands

/// Serves a Prometheus registry's text at `http://127.0.0.1:<port>/metrics`, with Hummingbird.
final class MetricsEndpoint: Sendable {
    /// The port it listens on.
    let port: Int
    private let runner: Task<Void, any Error>

    private init(port: Int, runner: Task<Void, any Error>) {
        self.port = port
        self.runner = runner
    }

    /// Starts serving `registry` on `port` of 127.0.0.1 (0 for any free port).
    ///
    /// - Throws: The error that kept it from binding.
    static func start(registry: PrometheusCollectorRegistry, port: Int) async throws -> MetricsEndpoint {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: registry.emitToString()))
            )
        }
        var logger = Logger(label: "resilience-demo-metrics")
        logger.logLevel = .error
        let started = LockedState<(port: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>((nil, nil))
        let report: @Sendable (Result<Int, any Error>) -> Void = { outcome in
            let waiter = started.withLock { state -> CheckedContinuation<Int, any Error>? in
                guard state.port == nil else { return nil }
                state.port = outcome
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: outcome)
        }
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: "resilience-demo"),
            onServerRunning: { channel in
                report(channel.localAddress?.port.map { .success($0) } ?? .failure(ChannelError.unknownLocalAddress))
            },
            logger: logger
        )
        let runner = Task {
            do {
                try await app.run()
            } catch {
                report(.failure(error))
                throw error
            }
        }
        let bound = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let known = started.withLock { state -> Result<Int, any Error>? in
                if state.port == nil { state.waiter = continuation }
                return state.port
            }
            if let known { continuation.resume(with: known) }
        }
        return MetricsEndpoint(port: bound, runner: runner)
    }

    /// `http://127.0.0.1:<port>/metrics`.
    var url: String { "http://127.0.0.1:\(port)/metrics" }

    /// Stops serving and waits for the server to end.
    func stop() async {
        runner.cancel()
        _ = try? await runner.value
    }
}
