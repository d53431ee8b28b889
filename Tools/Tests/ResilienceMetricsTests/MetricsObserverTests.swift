import CoreMetrics
import Foundation
import MetricsTestKit
import Resilience
import ResilienceMetrics
import ResilienceTestKit
import Testing

@Suite("Metrics observer: what scripted runs record")
struct MetricsObserverTests {
    /// A retry around a breaker in a pipeline named `ocr`, recording into `metrics`.
    private func makePipeline(
        _ metrics: TestMetrics,
        clock: ManualClock,
        attempts: Int = 3
    ) throws -> ResiliencePipeline<NestedStrategy<Retry<ManualClock>, CircuitBreaker<ManualClock>>> {
        let breaker = CircuitBreaker(
            name: "ocr-breaker", configuration: .consecutiveFailures(5, breakDuration: .seconds(30)), clock: clock)
        return try ResiliencePipeline(name: "ocr", observer: MetricsObserver(factory: metrics), clock: clock) {
            Retry(try exactPolicy(attempts: attempts), name: "ocr-retry", clock: clock)
            breaker
        }
    }

    @Test("a first attempt that succeeds: one call, one attempt, a success without retry, with exact names and dimensions")
    func successAtOnce() async throws {
        let metrics = TestMetrics()
        let pipeline = try makePipeline(metrics, clock: ManualClock())
        #expect(try await pipeline.execute { 42 } == 42)
        #expect(
            metrics.counterSnapshot == [
                "resilience.attempts{pipeline.name=ocr,strategy.name=ocr-retry,outcome=success,error.category=,error.type=} 1",
                "resilience.calls{pipeline.name=ocr,outcome=success,error.category=,error.type=} 1",
                "resilience.events{pipeline.name=ocr,strategy.name=ocr,event.name=callCompleted,error.category=} 1",
                "resilience.events{pipeline.name=ocr,strategy.name=ocr-retry,event.name=attemptSucceeded,error.category=} 1",
                "resilience.retry.calls{pipeline.name=ocr,strategy.name=ocr-retry,kind=successWithoutRetry} 1",
            ])
        #expect(metrics.timers(label: "resilience.call.duration").map(\.values) == [[0]])
        #expect(metrics.recorders.isEmpty)
    }

    @Test("a call retried twice: failed attempts by category and error type, the delays, a success with retry, the call's duration")
    func successAfterRetries() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock(advancesAutomatically: true)
        let pipeline = try makePipeline(metrics, clock: clock)
        let operation = ScriptedOperation(failures: 2, with: FlakyError.timeout, thenReturning: 7)
        #expect(
            try await pipeline.execute {
                clock.advance(by: .milliseconds(100))  // each attempt takes 100 ms
                return try await operation()
            } == 7)
        #expect(
            metrics.counterSnapshot == [
                "resilience.attempts{pipeline.name=ocr,strategy.name=ocr-retry,outcome=failure,error.category=timeout,error.type=\(flakyErrorType)} 2",
                "resilience.attempts{pipeline.name=ocr,strategy.name=ocr-retry,outcome=success,error.category=,error.type=} 1",
                "resilience.calls{pipeline.name=ocr,outcome=success,error.category=,error.type=} 1",
                "resilience.events{pipeline.name=ocr,strategy.name=ocr,event.name=callCompleted,error.category=} 1",
                "resilience.events{pipeline.name=ocr,strategy.name=ocr-retry,event.name=attemptFailed,error.category=timeout} 2",
                "resilience.events{pipeline.name=ocr,strategy.name=ocr-retry,event.name=attemptSucceeded,error.category=} 1",
                "resilience.events{pipeline.name=ocr,strategy.name=ocr-retry,event.name=retryScheduled,error.category=timeout} 2",
                "resilience.retry.calls{pipeline.name=ocr,strategy.name=ocr-retry,kind=successWithRetry} 1",
            ])
        #expect(
            metrics.timerSnapshot == [
                "resilience.attempt.duration{pipeline.name=ocr,strategy.name=ocr-retry,outcome=failure} [100000000, 100000000]",
                "resilience.attempt.duration{pipeline.name=ocr,strategy.name=ocr-retry,outcome=success} [100000000]",
                "resilience.call.duration{pipeline.name=ocr,outcome=success} [2300000000]",
                "resilience.retry.delay{pipeline.name=ocr,strategy.name=ocr-retry,error.category=timeout} [1000000000, 1000000000]",
            ])
    }

    @Test(
        "a call that fails: failure with or without retry, why retrying stopped, the call's category and error type",
        arguments: [
            (FlakyError.timeout, "failureWithRetry", "attemptsExhausted", 3),
            (FlakyError.permanent, "failureWithoutRetry", "notRetryable", 1),
        ])
    func failure(error: FlakyError, kind: String, reason: String, attempts: Int) async throws {
        let metrics = TestMetrics()
        let pipeline = try makePipeline(metrics, clock: ManualClock(advancesAutomatically: true))
        await #expect(throws: FlakyError.self) {
            try await pipeline.execute { () async throws -> Int in throw error }
        }
        let category = error.category.name
        let snapshot = metrics.counterSnapshot
        #expect(snapshot.contains("resilience.retry.calls{pipeline.name=ocr,strategy.name=ocr-retry,kind=\(kind)} 1"))
        #expect(snapshot.contains("resilience.retry.stops{pipeline.name=ocr,strategy.name=ocr-retry,reason=\(reason)} 1"))
        #expect(
            snapshot.contains(
                "resilience.attempts{pipeline.name=ocr,strategy.name=ocr-retry,outcome=failure,error.category=\(category),error.type=\(flakyErrorType)} \(attempts)"
            ))
        #expect(
            snapshot.contains(
                "resilience.calls{pipeline.name=ocr,outcome=failure,error.category=\(category),error.type=\(flakyErrorType)} 1"))
        #expect(
            snapshot.contains(
                "resilience.events{pipeline.name=ocr,strategy.name=ocr,event.name=callCompleted,error.category=\(category)} 1"))
        #expect(
            metrics.timers(label: "resilience.call.duration").map { seriesName($0.label, $0.dimensions) } == [
                "resilience.call.duration{pipeline.name=ocr,outcome=failure}"
            ])
    }

    @Test("a breaker's state is a one-hot gauge per state that follows its changes; rejections are counted by the refusing state")
    func breakerStateAndRejections() async throws {
        let metrics = TestMetrics()
        let observer = MetricsObserver(factory: metrics)
        let clock = ManualClock()
        let breaker = CircuitBreaker(
            name: "vision", configuration: .consecutiveFailures(2, breakDuration: .seconds(30)), clock: clock, observer: observer)
        func gauges() -> [String] {
            metrics.gaugeSnapshot.map { $0.replacingOccurrences(of: "resilience.circuit.state{strategy.name=vision,state=", with: "") }
        }

        observer.recordState(of: breaker)
        #expect(gauges() == ["closed} 1", "disabled} 0", "halfOpen} 0", "isolated} 0", "open} 0"])

        for _ in 1...2 {
            _ = try? await breaker.execute { () async throws -> Int in throw FlakyError.timeout }
        }
        #expect(breaker.state == .open)
        #expect(gauges() == ["closed} 0", "disabled} 0", "halfOpen} 0", "isolated} 0", "open} 1"])
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { 1 } }
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { 1 } }

        breaker.isolate()
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { 1 } }
        #expect(gauges() == ["closed} 0", "disabled} 0", "halfOpen} 0", "isolated} 1", "open} 0"])

        let snapshot = metrics.counterSnapshot
        #expect(snapshot.contains("resilience.rejections{pipeline.name=,strategy.name=vision,reason=open} 2"))
        #expect(snapshot.contains("resilience.rejections{pipeline.name=,strategy.name=vision,reason=isolated} 1"))
        #expect(
            snapshot.contains(
                "resilience.circuit.transitions{strategy.name=vision,from.state=closed,to.state=open,reason=consecutiveFailures} 1"))
        #expect(
            snapshot.contains("resilience.circuit.transitions{strategy.name=vision,from.state=open,to.state=isolated,reason=isolated} 1"))
    }

    @Test("a breaker shared by two pipelines has one state: its gauges and transitions carry no pipeline")
    func sharedBreaker() async throws {
        let metrics = TestMetrics()
        let observer = MetricsObserver(factory: metrics)
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "db", configuration: .consecutiveFailures(1, breakDuration: .seconds(10)), clock: clock)
        let reads = ResiliencePipeline(name: "reads", observer: observer, clock: clock) { breaker }
        let writes = ResiliencePipeline(name: "writes", observer: observer, clock: clock) { breaker }
        _ = try? await reads.execute { () async throws -> Int in throw FlakyError.timeout }  // opens
        _ = try? await writes.execute { 1 }  // rejected
        clock.advance(by: .seconds(10))
        _ = try await writes.execute { 1 }  // half-open probe; closes
        #expect(breaker.state == .closed)
        #expect(metrics.recorders.count == CircuitState.allCases.count)
        #expect(metrics.gaugeSnapshot.filter { $0.hasSuffix(" 1") } == ["resilience.circuit.state{strategy.name=db,state=closed} 1"])
        let transitions = metrics.counters(label: MetricsObserver.MetricName.circuitTransitions)
        #expect(transitions.allSatisfy { $0.dimensions.map(\.0) == ["strategy.name", "from.state", "to.state", "reason"] })
        #expect(transitions.map(\.totalValue).reduce(0, +) == 3)
        #expect(metrics.counterSnapshot.contains("resilience.rejections{pipeline.name=writes,strategy.name=db,reason=open} 1"))
    }

    @Test("a retry budget's refusals are counted by budget, and end retrying for that reason")
    func budgetRefusals() async throws {
        let metrics = TestMetrics()
        let clock = ManualClock(advancesAutomatically: true)
        let budget = try RetryBudget.tokenBucket(capacity: 1, retryCost: 1, successRefill: 0, name: "ocr-budget")
        let retry = Retry(try exactPolicy(), name: "ocr-retry", clock: clock, budget: budget, observer: MetricsObserver(factory: metrics))
        await #expect(throws: FlakyError.self) {
            try await retry.execute { () async throws -> Int in throw FlakyError.timeout }
        }
        let snapshot = metrics.counterSnapshot
        #expect(snapshot.contains("resilience.retry.budget.refusals{pipeline.name=,strategy.name=ocr-retry,budget.name=ocr-budget} 1"))
        #expect(snapshot.contains("resilience.retry.stops{pipeline.name=,strategy.name=ocr-retry,reason=retryBudgetExhausted} 1"))
        #expect(snapshot.contains("resilience.retry.calls{pipeline.name=,strategy.name=ocr-retry,kind=failureWithRetry} 1"))
    }

    @Test("a limiter's refusals are rejections by limit reason; hedges, faults and initial delays are counted as events")
    func limiterAndOtherEvents() {
        let metrics = TestMetrics()
        let observer = MetricsObserver(factory: metrics)
        observer.observe(.limitExceeded(strategy: "llm-limiter", reason: .queueFull, retryAfter: nil))
        observer.observe(.limitExceeded(strategy: "llm-limiter", reason: .queueFull, retryAfter: nil))
        observer.observe(.limitExceeded(strategy: "llm-limiter", reason: .rateExceeded, retryAfter: .seconds(1)))
        observer.observe(.hedgeStarted(strategy: "llm-hedging", attempt: 2, delay: .milliseconds(200)))
        observer.observe(.faultInjected(strategy: "chaos", fault: "error"))
        #expect(
            metrics.counterSnapshot == [
                "resilience.events{pipeline.name=,strategy.name=chaos,event.name=faultInjected,error.category=} 1",
                "resilience.events{pipeline.name=,strategy.name=llm-hedging,event.name=hedgeStarted,error.category=} 1",
                "resilience.events{pipeline.name=,strategy.name=llm-limiter,event.name=limitExceeded,error.category=} 3",
                "resilience.rejections{pipeline.name=,strategy.name=llm-limiter,reason=queueFull} 2",
                "resilience.rejections{pipeline.name=,strategy.name=llm-limiter,reason=rateExceeded} 1",
            ])
    }

    @Test("timed attempts record their durations by outcome; negative durations count as zero, huge ones saturate")
    func attemptDurations() {
        let metrics = TestMetrics()
        let observer = MetricsObserver(factory: metrics)
        observer.observe(.attemptSucceeded(strategy: "r", attempt: 1, duration: .milliseconds(250)))
        observer.observe(.attemptSucceeded(strategy: "r", attempt: 2, duration: .seconds(-1)))
        observer.observe(
            .attemptFailed(strategy: "r", attempt: 1, error: FlakyError.timeout, classification: .timeout, duration: .seconds(1.5)))
        observer.observe(.resultRejected(strategy: "r", attempt: 2, classification: .transient, duration: .seconds(Int64.max)))
        #expect(
            metrics.timerSnapshot == [
                "resilience.attempt.duration{pipeline.name=,strategy.name=r,outcome=failure} [1500000000, \(Int64.max)]",
                "resilience.attempt.duration{pipeline.name=,strategy.name=r,outcome=success} [250000000, 0]",
            ])
        #expect(
            metrics.counterSnapshot.contains(
                "resilience.attempts{pipeline.name=,strategy.name=r,outcome=failure,error.category=transient,error.type=} 1"))
    }

    @Test("calls from many tasks at once are each counted once")
    func concurrentCalls() async throws {
        let metrics = TestMetrics()
        let pipeline = try makePipeline(metrics, clock: ManualClock())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for call in 0..<100 {
                        if (task + call) % 4 == 0 {
                            _ = try? await pipeline.execute { () async throws -> Int in throw FlakyError.permanent }
                        } else {
                            _ = try await pipeline.execute { call }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(metrics.counterTotal(label: MetricsObserver.MetricName.calls) == 800)
        let failures = metrics.counters(label: MetricsObserver.MetricName.calls).filter {
            $0.dimensions.contains { $0 == ("outcome", "failure") }
        }
        #expect(failures.map(\.totalValue) == [200])
        #expect(metrics.counterTotal(label: MetricsObserver.MetricName.attempts) == 800)
    }

    @Test("a nested pipeline's calls are counted under its own name, and the outer pipeline's under its")
    func nestedPipelines() async throws {
        let metrics = TestMetrics()
        let observer = MetricsObserver(factory: metrics)
        let clock = ManualClock()
        let inner = ResiliencePipeline(name: "inner", observer: observer, clock: clock) {
            Retry(.default, name: "inner-retry", clock: clock)
        }
        let outer = ResiliencePipeline(name: "outer", observer: observer, clock: clock) { inner }
        _ = try await outer.execute { 1 }
        let calls = metrics.counters(label: MetricsObserver.MetricName.calls).map { seriesName($0.label, $0.dimensions) }.sorted()
        #expect(
            calls == [
                "resilience.calls{pipeline.name=inner,outcome=success,error.category=,error.type=}",
                "resilience.calls{pipeline.name=outer,outcome=success,error.category=,error.type=}",
            ])
    }
}

@Suite("Metrics observer: the naming scheme holds")
struct MetricsNamingSchemeTests {
    @Test("every series of every metric has its metric's type and exactly its dimensions, in order")
    func dimensionsAreFixed() async throws {
        let metrics = TestMetrics()
        try await exerciseEveryMetric(with: MetricsObserver(factory: metrics))
        let catalog = Dictionary(uniqueKeysWithValues: MetricsObserver.metrics.map { ($0.name, $0) })
        let series = metrics.allSeries
        for (type, label, dimensions) in series {
            let metric = try #require(catalog[label], "\(label) is not in MetricsObserver.metrics")
            #expect(metric.type == type, "\(label)")
            #expect(dimensions.map(\.0) == metric.dimensions, "\(label)")
        }
        #expect(Set(series.map(\.label)) == Set(catalog.keys), "every metric is exercised")
    }

    @Test("dimension values are names and vocabularies: no error message, identifier or URL reaches one")
    func boundedValues() async throws {
        let metrics = TestMetrics()
        try await exerciseEveryMetric(with: MetricsObserver(factory: metrics))
        let values = Set(metrics.allSeries.flatMap { $0.dimensions.map(\.1) })
        #expect(!values.contains { $0.contains("7f3a") || $0.contains("https://") || $0.contains("12345") })
        let vocabulary: Set<String> =
            Set(ErrorCategory.allCases.map(\.name) + CircuitState.allCases.map(\.name)).union([
                "", "success", "failure", "successWithoutRetry", "successWithRetry", "failureWithoutRetry", "failureWithRetry",
                "callCompleted", "attemptSucceeded", "attemptFailed", "retryScheduled", "retriesEnded", "retryBudgetRefused",
                "timedOut", "initialDelay", "circuitStateChanged", "callRejected", "fallbackUsed", "limitExceeded", "hedgeStarted",
                "faultInjected", "notRetryable", "retryBudgetExhausted", "consecutiveFailures", "breakElapsed", "probesSucceeded",
                "attemptsExhausted", "queueFull", "rateExceeded", flakyErrorType, "Resilience.TimeoutError",
                "Resilience.CircuitOpenError",
            ])
        let names = values.subtracting(vocabulary)
        #expect(names.allSatisfy { $0.hasPrefix("pipeline-") || $0.hasPrefix("standalone-") }, "\(names.sorted())")
    }

    @Test("each series' handler is made once, however many calls record into it")
    func handlersAreMadeOnce() async throws {
        let metrics = TestMetrics()
        let factory = CountingFactory(metrics)
        let observer = MetricsObserver(factory: factory)
        for _ in 1...5 {
            try await exerciseEveryMetric(with: observer)
        }
        let series = metrics.allSeries.count
        #expect(series > 40)
        #expect(factory.made == series)
    }

    @Test("nothing global: the observer never bootstraps MetricsSystem nor makes anything through its factory")
    func nothingGlobal() async throws {
        let trap = CountingFactory()
        let metrics = TestMetrics()
        try await withMetricsFactory(trap) {
            try await exerciseEveryMetric(with: MetricsObserver(factory: metrics))
        }
        #expect(trap.made == 0)
        #expect(!metrics.counters.isEmpty)
        #expect(MetricsSystem.factory is NOOPMetricsHandler)
    }

    @Test("the Metric names article lists every metric, with its type and its dimensions in order")
    func articleMatchesTheCatalog() throws {
        let article = try String(contentsOfFile: documentationPath("MetricNames.md"), encoding: .utf8)
        let rows = article.split(separator: "\n").filter { $0.hasPrefix("| `resilience.") }
        let documented = rows.map { row -> String in
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let dimensions = cells[2].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "` ")) }
            return "\(name) (\(cells[1]): \(dimensions.joined(separator: ", ")))"
        }
        #expect(documented == MetricsObserver.metrics.map(\.description))
    }
}
