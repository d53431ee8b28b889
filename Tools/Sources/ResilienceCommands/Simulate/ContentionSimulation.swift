@_spi(ResilienceTools) import Resilience

/// One run of M. Brooker's contention experiment ("Exponential Backoff And Jitter", AWS Architecture
/// Blog, 2015): `clients` clients each want one successful optimistic-concurrency write to a single
/// versioned row.
///
/// An attempt is four network hops, each taking ``latency``: the read request, the reply carrying the
/// row's version, the conditional write, and its reply. The server handles each request when it
/// arrives: a read returns the current version; a write succeeds only if the version is still the one
/// the client read (no other write committed in between), and then bumps it. A client whose write
/// failed waits its ``ContentionStrategy``'s delay after the failure reply arrives, then reads again;
/// a client stops after its success. All clients start at time 0.
///
/// The result counts write calls and the time of the last event (the last success reply). Only server
/// arrivals change shared state, so the queue holds those two events per attempt, and the client-side
/// hops are added to their times; the draws are the same as with four queued events.
package struct ContentionSimulation: Hashable, Sendable {
    /// How many clients contend.
    package var clients: Int
    /// How failed clients wait.
    package var strategy: ContentionStrategy
    /// The time of each network hop.
    package var latency: NetworkLatency

    /// Creates a simulation.
    ///
    /// - Parameters:
    ///   - clients: How many clients contend.
    ///   - strategy: How failed clients wait.
    ///   - latency: The time of each network hop; Brooker's `|Normal(10 ms, 2 ms)|` by default.
    package init(clients: Int, strategy: ContentionStrategy, latency: NetworkLatency = .brooker) {
        self.clients = clients
        self.strategy = strategy
        self.latency = latency
    }

    /// Runs the simulation with a seeded ``SeededRandomNumberGenerator``: the same seed gives the same
    /// result.
    ///
    /// - Parameter seed: The seed.
    /// - Returns: The run's write calls and completion time.
    package func run(seed: UInt64) -> ContentionResult {
        var generator = SeededRandomNumberGenerator(seed: seed)
        return run(using: &generator)
    }

    /// Runs the simulation, drawing hop times and jitter from `generator`.
    ///
    /// - Parameter generator: The source of randomness.
    /// - Returns: The run's write calls and completion time.
    /// - Complexity: O(w log n) for w write calls and n clients.
    package func run<Generator: RandomNumberGenerator>(using generator: inout Generator) -> ContentionResult {
        guard clients > 0 else { return ContentionResult(writeCalls: 0, completionTime: .zero) }
        var network = LatencySampler(latency)
        var queue = EventQueue<ContentionEvent>(capacity: clients)
        var versionRead = [Int](repeating: 0, count: clients)
        var failures = [Int](repeating: 0, count: clients)
        var previousDelay = [Duration?](repeating: nil, count: clients)
        var version = 0
        var writeCalls = 0
        var completion: Int64 = 0

        for client in 0..<clients {
            queue.schedule(at: network.next(using: &generator), client: client, kind: .readArrives)
        }
        while let event = queue.next() {
            let client = Int(event.payload.client)
            switch event.payload.kind {
            case .readArrives:
                versionRead[client] = version
                let reply = network.next(using: &generator)
                let write = network.next(using: &generator)
                queue.schedule(at: event.time &+ reply &+ write, client: client, kind: .writeArrives)
            case .writeArrives:
                writeCalls += 1
                let replyArrives = event.time &+ network.next(using: &generator)
                if versionRead[client] == version {
                    version += 1
                    completion = max(completion, replyArrives)
                } else {
                    failures[client] += 1
                    let delay = strategy.delay(afterFailure: failures[client], previousDelay: previousDelay[client], using: &generator)
                    previousDelay[client] = delay
                    let readArrives = replyArrives &+ delay.saturatingNanoseconds &+ network.next(using: &generator)
                    queue.schedule(at: readArrives, client: client, kind: .readArrives)
                }
            }
        }
        return ContentionResult(writeCalls: writeCalls, completionTime: .nanoseconds(completion))
    }
}

/// What one run of ``ContentionSimulation`` measured.
package struct ContentionResult: Hashable, Sendable {
    /// Write calls the server handled, successful or not.
    package var writeCalls: Int
    /// The time of the last event: the reply to the last successful write.
    package var completionTime: Duration

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - writeCalls: Write calls the server handled.
    ///   - completionTime: The time of the last event.
    package init(writeCalls: Int, completionTime: Duration) {
        self.writeCalls = writeCalls
        self.completionTime = completionTime
    }
}
