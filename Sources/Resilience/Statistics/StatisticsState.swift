/// What a ``ResilienceStatistics`` counts, as a value: per pipeline and per strategy, updated one event at
/// a time under the observer's lock.
///
/// Recording finds the entry by its names (the event's own strings: no new string is built), first by
/// comparing them with the last entry's, then by hashing, and updates it in place, so an event of a
/// known strategy allocates nothing.
struct StatisticsState: Sendable {
    /// A strategy's entry: its pipeline (`nil` on its own) and its name.
    struct StrategyKey: Hashable, Sendable {
        var pipeline: String?
        var name: String
    }

    /// The pipelines' calls, in the order first seen, and where each pipeline's entry is.
    private var pipelines: [PipelineStatistics] = []
    private var pipelineSlots: [String: Int] = [:]
    /// The strategies, in the order first seen, and where each strategy's entry is.
    private var strategies: [StrategyStatistics] = []
    private var strategySlots: [StrategyKey: Int] = [:]
    /// The entries of the last event, checked before hashing: a pipeline's events mostly come from
    /// the same few strategies in turn (on the success path, one retry and the pipeline itself).
    private var lastPipelineSlot: Int?
    private var lastStrategySlot: Int?

    /// Counts `event`. `failureCategory` is the category of the error a failed call threw, classified by
    /// the caller outside the lock (`nil` for other events, and for a retry that ended on a rejected result).
    mutating func record(_ event: ResilienceEvent, failureCategory: ErrorCategory?) {
        switch event.details {
        case .callCompleted(let duration, let error, _):
            // A pipeline's own call (`strategy` is its name), or, seen by an outer pipeline's observer, a
            // call of a pipeline nested in it.
            let pipeline = event.pipeline ?? event.strategy
            if event.strategy == pipeline {
                updatePipeline(pipeline) { calls in
                    if error == nil {
                        calls.recordSuccess(attempts: nil, duration: duration)
                    } else {
                        calls.recordFailure(category: failureCategory, stopReason: nil, attempts: nil, duration: duration)
                    }
                }
            } else {
                updateStrategy(event) { strategy in
                    if error == nil {
                        strategy.calls.recordSuccess(attempts: nil, duration: duration)
                    } else {
                        strategy.calls.recordFailure(category: failureCategory, stopReason: nil, attempts: nil, duration: duration)
                    }
                }
            }
        case .attemptSucceeded(let attempt, let duration):
            updateStrategy(event) { strategy in
                strategy.calls.recordSuccess(attempts: attempt, duration: nil)
                strategy.recordAttempt(duration: duration)
            }
        case .attemptFailed(_, _, _, let duration?), .resultRejected(_, _, let duration?):
            updateStrategy(event) { $0.recordAttempt(duration: duration) }
        case .retryScheduled(_, let delay, _, _):
            updateStrategy(event) { strategy in
                strategy.retriesScheduled += 1
                strategy.retryWait = strategy.retryWait.saturatingAdding(max(delay, .zero))
            }
        case .retriesEnded(let attempts, let reason, _):
            updateStrategy(event) {
                $0.calls.recordFailure(category: failureCategory, stopReason: reason, attempts: attempts, duration: nil)
            }
        case .retryBudgetRefused:
            updateStrategy(event) { $0.rejections.retryBudget += 1 }
        case .timedOut:
            updateStrategy(event) { $0.timeouts += 1 }
        case .circuitStateChanged(let transition):
            updateStrategy(event) { strategy in
                strategy.circuitState = transition.to
                strategy.circuitStateChanges += 1
            }
        case .callRejected(let state, _):
            updateStrategy(event) { $0.rejections.byCircuitState[state, default: 0] += 1 }
        case .fallbackUsed(let reason):
            updateStrategy(event) { $0.fallbacksByCategory[reason.classification.category, default: 0] += 1 }
        case .limitExceeded(let reason, _):
            updateStrategy(event) { $0.rejections.byLimitReason[reason, default: 0] += 1 }
        case .hedgeStarted:
            updateStrategy(event) { $0.hedges += 1 }
        case .faultInjected:
            updateStrategy(event) { $0.faultsInjected += 1 }
        case .attemptFailed, .resultRejected, .initialDelay:
            break
        }
    }

    /// Forgets every count.
    mutating func reset() {
        self = StatisticsState()
    }

    /// The counts, sorted: pipelines by name, strategies by pipeline (strategies on their own first) and name.
    func sorted() -> (pipelines: [PipelineStatistics], strategies: [StrategyStatistics]) {
        let pipelines = pipelines.sorted { $0.name < $1.name }
        let strategies = strategies.sorted { lhs, rhs in
            switch (lhs.pipeline, rhs.pipeline) {
            case (nil, .some): true
            case (.some, nil): false
            case (let left, let right) where left != right: (left ?? "") < (right ?? "")
            default: lhs.name < rhs.name
            }
        }
        return (pipelines, strategies)
    }

    // MARK: - Entries

    /// Updates the calls of the pipeline `name`, created on its first call.
    @inline(__always)
    private mutating func updatePipeline(_ name: String, _ update: (inout CallStatistics) -> Void) {
        if let slot = lastPipelineSlot, pipelines[slot].name == name {
            update(&pipelines[slot].calls)
        } else if let slot = pipelineSlots[name] {
            lastPipelineSlot = slot
            update(&pipelines[slot].calls)
        } else {
            var entry = PipelineStatistics(name: name)
            update(&entry.calls)
            lastPipelineSlot = pipelines.count
            pipelineSlots[name] = pipelines.count
            pipelines.append(entry)
        }
    }

    /// Updates the entry of the strategy that emitted `event`, created on its first event.
    @inline(__always)
    private mutating func updateStrategy(_ event: ResilienceEvent, _ update: (inout StrategyStatistics) -> Void) {
        if let slot = lastStrategySlot, strategies[slot].name == event.strategy, strategies[slot].pipeline == event.pipeline {
            update(&strategies[slot])
        } else if let slot = strategySlots[StrategyKey(pipeline: event.pipeline, name: event.strategy)] {
            lastStrategySlot = slot
            update(&strategies[slot])
        } else {
            var entry = StrategyStatistics(pipeline: event.pipeline, name: event.strategy)
            update(&entry)
            lastStrategySlot = strategies.count
            strategySlots[StrategyKey(pipeline: event.pipeline, name: event.strategy)] = strategies.count
            strategies.append(entry)
        }
    }
}
