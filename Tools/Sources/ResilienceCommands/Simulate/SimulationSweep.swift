@_spi(ResilienceTools) import Resilience

/// Brooker's sweep: every strategy against every client count, averaged over many runs, spread over
/// the machine's cores.
///
/// Each run has its own seed, derived from ``seed``, the client count and the run's index alone
/// (SplitMix64 mixing), so a sweep's results do not depend on how runs are spread over threads, and
/// every strategy faces the same network draws at the start of its run with the same index (common
/// random numbers, which make the comparison fairer at no cost).
package struct SimulationSweep: Hashable, Sendable {
    /// The client counts, in order.
    package var clientCounts: [Int]
    /// The strategies compared, in order.
    package var strategies: [ContentionStrategy]
    /// Runs averaged for each strategy and client count.
    package var runs: Int
    /// The seed every run's seed derives from.
    package var seed: UInt64
    /// The time of each network hop.
    package var latency: NetworkLatency

    /// Creates a sweep.
    ///
    /// - Parameters:
    ///   - clientCounts: The client counts.
    ///   - strategies: The strategies compared; all that the library offers by default.
    ///   - runs: Runs averaged per cell.
    ///   - seed: The seed every run's seed derives from.
    ///   - latency: The time of each network hop.
    package init(
        clientCounts: [Int],
        strategies: [ContentionStrategy] = ContentionStrategy.standard(),
        runs: Int = 100,
        seed: UInt64 = 1,
        latency: NetworkLatency = .brooker
    ) {
        self.clientCounts = clientCounts
        self.strategies = strategies
        self.runs = runs
        self.seed = seed
        self.latency = latency
    }

    /// The seed of run `run` with `clients` clients.
    ///
    /// - Parameters:
    ///   - clients: The client count.
    ///   - run: The run's index, from 0.
    /// - Returns: A seed mixed from ``seed``, `clients` and `run`.
    package func seed(clients: Int, run: Int) -> UInt64 {
        Self.mix(Self.mix(Self.mix(seed) &+ UInt64(truncatingIfNeeded: clients)) &+ UInt64(truncatingIfNeeded: run))
    }

    /// The SplitMix64 finaliser: spreads nearby inputs over the whole range.
    static func mix(_ value: UInt64) -> UInt64 {
        var mixed = value &+ 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// The mean of ``runs`` runs of `strategy` with `clients` clients.
    ///
    /// - Parameters:
    ///   - strategy: The strategy.
    ///   - clients: The client count.
    /// - Returns: The mean write calls and completion time.
    package func cell(strategy: ContentionStrategy, clients: Int) -> SimulationResults.Cell {
        let simulation = ContentionSimulation(clients: clients, strategy: strategy, latency: latency)
        var calls = 0
        var nanoseconds: Int64 = 0
        for run in 0..<max(runs, 0) {
            let result = simulation.run(seed: seed(clients: clients, run: run))
            calls += result.writeCalls
            nanoseconds &+= result.completionTime.saturatingNanoseconds
        }
        let count = Double(max(runs, 1))
        return SimulationResults.Cell(meanWriteCalls: Double(calls) / count, meanCompletionMilliseconds: Double(nanoseconds) / 1e6 / count)
    }

    /// Runs the whole sweep, `parallelism` cells at a time, largest client counts first.
    ///
    /// - Parameter parallelism: How many cells to compute at once; the number of cores by default.
    /// - Returns: The means for every strategy and client count; the same for the same sweep, whatever
    ///   the parallelism.
    package func run(parallelism: Int = SimulationSweep.processorCount) async -> SimulationResults {
        var cells: [(strategy: Int, clients: Int)] = []
        for strategy in strategies.indices {
            for clients in clientCounts.indices { cells.append((strategy, clients)) }
        }
        cells.sort { clientCounts[$0.clients] > clientCounts[$1.clients] }
        let empty = SimulationResults.Cell(meanWriteCalls: 0, meanCompletionMilliseconds: 0)
        var grid = [[SimulationResults.Cell]](
            repeating: [SimulationResults.Cell](repeating: empty, count: clientCounts.count), count: strategies.count)
        await withTaskGroup(of: (Int, Int, SimulationResults.Cell).self) { group in
            var pending = cells.makeIterator()
            func startNext() {
                guard let next = pending.next() else { return }
                let strategy = strategies[next.strategy]
                let clients = clientCounts[next.clients]
                group.addTask { (next.strategy, next.clients, cell(strategy: strategy, clients: clients)) }
            }
            for _ in 0..<max(parallelism, 1) { startNext() }
            while let (strategy, clients, cell) = await group.next() {
                grid[strategy][clients] = cell
                startNext()
            }
        }
        return SimulationResults(
            clientCounts: clientCounts,
            strategies: strategies.map(\.name),
            runs: runs,
            seed: seed,
            latency: latency,
            cells: grid
        )
    }

    /// The number of active processors.
    package static var processorCount: Int {
        max(sysconfProcessors(), 1)
    }
}

/// The means of a ``SimulationSweep``.
package struct SimulationResults: Hashable, Sendable {
    /// The means for one strategy and client count.
    package struct Cell: Hashable, Sendable {
        /// Mean write calls per run.
        package var meanWriteCalls: Double
        /// Mean completion time per run, in milliseconds.
        package var meanCompletionMilliseconds: Double

        /// Creates a cell.
        ///
        /// - Parameters:
        ///   - meanWriteCalls: Mean write calls per run.
        ///   - meanCompletionMilliseconds: Mean completion time per run, in milliseconds.
        package init(meanWriteCalls: Double, meanCompletionMilliseconds: Double) {
            self.meanWriteCalls = meanWriteCalls
            self.meanCompletionMilliseconds = meanCompletionMilliseconds
        }
    }

    /// The client counts, in order.
    package var clientCounts: [Int]
    /// The strategies' names, in order.
    package var strategies: [String]
    /// Runs averaged per cell.
    package var runs: Int
    /// The sweep's seed.
    package var seed: UInt64
    /// The time of each network hop.
    package var latency: NetworkLatency
    /// The means: `cells[strategy][client count]`, indexed as ``strategies`` and ``clientCounts``.
    package var cells: [[Cell]]

    /// The means for the strategy called `strategy` with `clients` clients, if the sweep had them.
    ///
    /// - Parameters:
    ///   - strategy: A strategy's name.
    ///   - clients: A client count.
    package func cell(strategy: String, clients: Int) -> Cell? {
        guard let row = strategies.firstIndex(of: strategy), let column = clientCounts.firstIndex(of: clients) else { return nil }
        return cells[row][column]
    }
}
