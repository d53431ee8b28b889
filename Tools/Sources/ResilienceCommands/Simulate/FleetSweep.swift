@_spi(ResilienceTools) import Resilience

/// The fleet experiment: every strategy against every instance count, averaged over runs, spread over
/// the machine's cores.
///
/// Each run's seed derives from ``seed``, the instance count and the run's index alone (as in
/// ``SimulationSweep``), so the results do not depend on how runs are spread over threads, and every
/// strategy sees the same requests in its run with the same index.
package struct FleetSweep: Hashable, Sendable {
    /// The instance counts, in order.
    package var instanceCounts: [Int]
    /// The strategies compared, in order.
    package var strategies: [FleetStrategy]
    /// Runs averaged per strategy and instance count.
    package var runs: Int
    /// The seed every run's seed derives from.
    package var seed: UInt64
    /// The scenario; its instance count is set by each cell.
    package var scenario: FleetScenario

    /// Creates a sweep.
    ///
    /// - Parameters:
    ///   - instanceCounts: The instance counts.
    ///   - strategies: The strategies compared.
    ///   - runs: Runs averaged per cell.
    ///   - seed: The seed every run's seed derives from.
    ///   - scenario: The scenario.
    package init(
        instanceCounts: [Int],
        strategies: [FleetStrategy] = FleetStrategy.standard(),
        runs: Int = 5,
        seed: UInt64 = 1,
        scenario: FleetScenario = .standard(instances: 0)
    ) {
        self.instanceCounts = instanceCounts
        self.strategies = strategies
        self.runs = runs
        self.seed = seed
        self.scenario = scenario
    }

    /// The seed of run `run` with `instances` instances.
    ///
    /// - Parameters:
    ///   - instances: The instance count.
    ///   - run: The run's index, from 0.
    package func seed(instances: Int, run: Int) -> UInt64 {
        SimulationSweep.mix(
            SimulationSweep.mix(SimulationSweep.mix(seed) &+ UInt64(truncatingIfNeeded: instances)) &+ UInt64(truncatingIfNeeded: run))
    }

    /// The means of ``runs`` runs of `strategy` with `instances` instances.
    ///
    /// - Parameters:
    ///   - strategy: The strategy.
    ///   - instances: The instance count.
    package func cell(strategy: FleetStrategy, instances: Int) -> FleetResults.Cell {
        var scenario = scenario
        scenario.instances = instances
        let simulation = FleetSimulation(scenario: scenario, strategy: strategy)
        var cell = FleetResults.Cell()
        var recovery = 0.0
        for run in 0..<max(runs, 0) {
            let result = simulation.run(seed: seed(instances: instances, run: run))
            cell.outageCalls += Double(result.outageCalls)
            cell.outageProbes += Double(result.outageProbes)
            cell.returnProbes += Double(result.returnProbes)
            if let time = result.recoveryTime {
                cell.recoveredRuns += 1
                recovery += time.inSeconds
            }
        }
        let count = Double(max(runs, 1))
        cell.outageCalls /= count
        cell.outageProbes /= count
        cell.returnProbes /= count
        cell.recoverySeconds = cell.recoveredRuns > 0 ? recovery / Double(cell.recoveredRuns) : nil
        return cell
    }

    /// Runs the whole sweep, `parallelism` cells at a time, largest instance counts first.
    ///
    /// - Parameter parallelism: How many cells to compute at once.
    /// - Returns: The means; the same for the same sweep, whatever the parallelism.
    package func run(parallelism: Int = SimulationSweep.processorCount) async -> FleetResults {
        var cells: [(strategy: Int, instances: Int)] = []
        for strategy in strategies.indices {
            for instances in instanceCounts.indices { cells.append((strategy, instances)) }
        }
        cells.sort { instanceCounts[$0.instances] > instanceCounts[$1.instances] }
        var grid = [[FleetResults.Cell]](
            repeating: [FleetResults.Cell](repeating: FleetResults.Cell(), count: instanceCounts.count), count: strategies.count)
        await withTaskGroup(of: (Int, Int, FleetResults.Cell).self) { group in
            var pending = cells.makeIterator()
            func startNext() {
                guard let next = pending.next() else { return }
                let strategy = strategies[next.strategy]
                let instances = instanceCounts[next.instances]
                group.addTask { (next.strategy, next.instances, cell(strategy: strategy, instances: instances)) }
            }
            for _ in 0..<max(parallelism, 1) { startNext() }
            while let (strategy, instances, cell) = await group.next() {
                grid[strategy][instances] = cell
                startNext()
            }
        }
        return FleetResults(instanceCounts: instanceCounts, strategies: strategies.map(\.name), runs: runs, seed: seed, cells: grid)
    }
}

/// The means of a ``FleetSweep``.
package struct FleetResults: Hashable, Sendable {
    /// The means for one strategy and instance count.
    package struct Cell: Hashable, Sendable {
        /// Mean calls reaching the downstream during the outage.
        package var outageCalls = 0.0
        /// Mean probes during the outage.
        package var outageProbes = 0.0
        /// Mean probes after the downstream came back.
        package var returnProbes = 0.0
        /// Mean time to recover over the runs that recovered, in seconds; `nil` when none did.
        package var recoverySeconds: Double?
        /// The runs in which every breaker was closed at the end.
        package var recoveredRuns = 0

        /// An empty cell.
        package init() {}
    }

    /// The instance counts, in order.
    package var instanceCounts: [Int]
    /// The strategies' names, in order.
    package var strategies: [String]
    /// Runs averaged per cell.
    package var runs: Int
    /// The sweep's seed.
    package var seed: UInt64
    /// The means: `cells[strategy][instance count]`.
    package var cells: [[Cell]]

    /// The means for `strategy` with `instances` instances, if the sweep had them.
    ///
    /// - Parameters:
    ///   - strategy: A strategy's name.
    ///   - instances: An instance count.
    package func cell(strategy: String, instances: Int) -> Cell? {
        guard let row = strategies.firstIndex(of: strategy), let column = instanceCounts.firstIndex(of: instances) else { return nil }
        return cells[row][column]
    }
}
