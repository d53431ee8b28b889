import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FaultServer {
    /// The state the server's connections, its requests and the test share, behind one lock
    /// (`NIOLockedValueBox`, a pthread mutex the thread sanitizer sees).
    final class Shared: Sendable {
        struct State {
            var scripts: [String: FaultScript]
            var otherwise: FaultScript
            var requests: [RecordedRequest] = []
            var counts = FaultServerCounts(requests: 0, requestsByPath: [:], connectionsAccepted: 0, connectionsOpen: 0, held: 0)
            var connectionNumbers: [ObjectIdentifier: Int] = [:]
            var waiters: [(condition: @Sendable (FaultServerCounts) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
            var held: [CheckedContinuation<Void, Never>] = []
            var releasedAll = false
            var started: Result<Int, any Error>?
            var portWaiter: CheckedContinuation<Int, any Error>?

            /// The waiters whose condition now holds, removed.
            mutating func takeSatisfiedWaiters() -> [CheckedContinuation<Void, Never>] {
                var satisfied: [CheckedContinuation<Void, Never>] = []
                waiters.removeAll { waiter in
                    guard waiter.condition(counts) else { return false }
                    satisfied.append(waiter.continuation)
                    return true
                }
                return satisfied
            }
        }

        let state: NIOLockedValueBox<State>
        let clock: any Clock<Duration>

        init(scripts: [String: FaultScript], otherwise: FaultScript, clock: any Clock<Duration>) {
            state = NIOLockedValueBox(State(scripts: scripts, otherwise: otherwise))
            self.clock = clock
        }

        // MARK: Starting

        func serverStarted(port: Int?, error: (any Error)? = nil) {
            let outcome: Result<Int, any Error> = port.map { .success($0) } ?? .failure(error ?? ChannelError.unknownLocalAddress)
            let waiter = state.withLockedValue { state -> CheckedContinuation<Int, any Error>? in
                guard state.started == nil else { return nil }
                state.started = outcome
                defer { state.portWaiter = nil }
                return state.portWaiter
            }
            waiter?.resume(with: outcome)
        }

        func waitForPort() async throws -> Int {
            try await withCheckedThrowingContinuation { continuation in
                let started = state.withLockedValue { state -> Result<Int, any Error>? in
                    if state.started == nil { state.portWaiter = continuation }
                    return state.started
                }
                if let started { continuation.resume(with: started) }
            }
        }

        // MARK: Scripts and waiting

        func setScript(_ script: FaultScript, for path: String) {
            state.withLockedValue { state in
                state.scripts[path] = script
                state.counts.requestsByPath[path] = nil
            }
        }

        func waitUntil(_ condition: @escaping @Sendable (FaultServerCounts) -> Bool) async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLockedValue { state in
                    if condition(state.counts) { return true }
                    state.waiters.append((condition, continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        }

        /// Changes the counts and wakes the waiters whose condition now holds.
        private func update<Result>(_ change: (inout State) -> Result) -> Result {
            let (result, woken) = state.withLockedValue { state in
                let result = change(&state)
                return (result, state.takeSatisfiedWaiters())
            }
            woken.forEach { $0.resume() }
            return result
        }

        // MARK: Connections

        func connectionOpened(_ channel: ObjectIdentifier) {
            update { state in
                state.connectionNumbers[channel] = state.counts.connectionsAccepted
                state.counts.connectionsAccepted += 1
                state.counts.connectionsOpen += 1
            }
        }

        func connectionClosed(_ channel: ObjectIdentifier) {
            update { state in
                guard state.connectionNumbers.removeValue(forKey: channel) != nil else { return }
                state.counts.connectionsOpen -= 1
            }
        }

        // MARK: Holding

        func hold() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let released = update { state in
                    if state.releasedAll { return true }
                    state.held.append(continuation)
                    state.counts.held += 1
                    return false
                }
                if released { continuation.resume() }
            }
        }

        func releaseHeld() {
            let held = update { state in
                defer {
                    state.held = []
                    state.counts.held = 0
                }
                return state.held
            }
            held.forEach { $0.resume() }
        }

        /// Releases every held request for good: the server is stopping.
        func releaseAll() {
            state.withLockedValue { $0.releasedAll = true }
            releaseHeld()
        }

        // MARK: Requests

        func respond(to request: Request, context: FaultRequestContext) async throws -> Response {
            let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
            let bytes = Array(body.readableBytesView)
            let path = request.uri.path
            let step = update { state -> FaultStep in
                let indexForPath = state.counts.requestsByPath[path, default: 0]
                let step = (state.scripts[path] ?? state.otherwise).step(at: indexForPath, path: path)
                state.requests.append(
                    RecordedRequest(
                        index: state.counts.requests,
                        indexForPath: indexForPath,
                        method: request.method.rawValue,
                        path: path,
                        headers: request.headers.map { ($0.name.rawName, $0.value) },
                        body: bytes,
                        connection: state.connectionNumbers[ObjectIdentifier(context.channel)] ?? -1,
                        step: step
                    )
                )
                state.counts.requests += 1
                state.counts.requestsByPath[path] = indexForPath + 1
                return step
            }
            return try await perform(step, requestBody: body, context: context)
        }

        private func perform(_ step: FaultStep, requestBody: ByteBuffer, context: FaultRequestContext) async throws -> Response {
            switch step.action {
            case .respond(let status, let headers, let body, let chunked):
                var fields = HTTPFields()
                for (name, value) in headers {
                    guard let name = HTTPField.Name(name) else { continue }
                    fields.append(HTTPField(name: name, value: value))
                }
                let buffer = ByteBuffer(bytes: body)
                guard chunked else {
                    return Response(status: HTTPResponse.Status(code: status), headers: fields, body: ResponseBody(byteBuffer: buffer))
                }
                return Response(
                    status: HTTPResponse.Status(code: status), headers: fields,
                    body: ResponseBody { writer in
                        try await writer.write(buffer)
                        try await writer.finish(nil)
                    }
                )
            case .echo(let status):
                return Response(status: HTTPResponse.Status(code: status), body: ResponseBody(byteBuffer: requestBody))
            case .hold:
                await hold()
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "released")))
            case .delayed(let delay, let then):
                try await clock.sleep(for: delay)
                return try await perform(then.step, requestBody: requestBody, context: context)
            case .closeConnection:
                try await context.channel.close()
                throw ConnectionCutError()
            case .resetConnection:
                // Lingering for zero seconds makes the close send an RST instead of a FIN.
                try await (context.channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                try await context.channel.close()
                throw ConnectionCutError()
            case .truncated(let status, let declaredLength, let sending):
                let channel = context.channel
                let part = ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: sending))
                return Response(
                    status: HTTPResponse.Status(code: status),
                    body: ResponseBody(contentLength: declaredLength) { writer in
                        try await writer.write(part)
                        try await channel.close()
                        throw ConnectionCutError()
                    }
                )
            }
        }
    }
}
