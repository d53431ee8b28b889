import AsyncHTTPClient
import Benchmark
import Hummingbird
import NIOCore
import NIOPosix
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceHTTP
import Synchronization

/// One GET to a Hummingbird server on loopback in the same process (200, `ok`), its body read:
/// with AsyncHTTPClient directly, then through the integration with an `HTTPRetry` and with the
/// standard pipeline. No fault, so the difference is the integration's own cost per call.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 200,
        maxDuration: .seconds(10),
        maxIterations: 20_000
    )
    let retry = HTTPRetry(.standardHTTP, name: "bench-retry")
    // The pipeline throws only for invalid options; the standard ones are valid.
    let pipeline = try? StandardHTTPPipeline(name: "bench")

    Benchmark("AHC: GET directly", configuration: .init(setup: LoopbackServer.start, teardown: LoopbackServer.stop)) { benchmark in
        let request = HTTPClientRequest(url: LoopbackServer.url)
        for _ in benchmark.scaledIterations {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            blackHole(try await response.body.collect(upTo: 1_024))
        }
    }

    Benchmark("AHC: GET through HTTPRetry", configuration: .init(setup: LoopbackServer.start, teardown: LoopbackServer.stop)) { benchmark in
        let request = HTTPClientRequest(url: LoopbackServer.url)
        for _ in benchmark.scaledIterations {
            let response = try await HTTPClient.shared.execute(request, through: retry, timeout: .seconds(30))
            blackHole(try await response.body.collect(upTo: 1_024))
        }
    }

    Benchmark("AHC: GET through HTTPRetry, no deadline", configuration: .init(setup: LoopbackServer.start, teardown: LoopbackServer.stop)) {
        benchmark in
        let request = HTTPClientRequest(url: LoopbackServer.url)
        for _ in benchmark.scaledIterations {
            let response = try await HTTPClient.shared.execute(request, through: retry)
            blackHole(try await response.body.collect(upTo: 1_024))
        }
    }

    if let pipeline {
        Benchmark("AHC: GET through StandardHTTPPipeline", configuration: .init(setup: LoopbackServer.start, teardown: LoopbackServer.stop))
        {
            benchmark in
            let request = HTTPClientRequest(url: LoopbackServer.url)
            for _ in benchmark.scaledIterations {
                let response = try await HTTPClient.shared.execute(request, through: pipeline)
                blackHole(try await response.body.collect(upTo: 1_024))
            }
        }
    }
}

/// The loopback server: started before each benchmark, stopped after.
enum LoopbackServer {
    private static let state = Mutex<(port: Int, task: Task<Void, any Error>?)>((0, nil))

    static var url: String { "http://127.0.0.1:\(state.withLock { $0.port })/" }

    static func start() async throws {
        let router = Router()
        router.get("/") { _, _ in "ok" }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }
        )
        let task = Task { try await app.run() }
        var ports = stream.makeAsyncIterator()
        let port = await ports.next() ?? 0
        state.withLock { $0 = (port, task) }
    }

    static func stop() async throws {
        let task = state.withLock { state in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
        _ = try? await task?.value
    }
}
