import Resilience
import ResilienceTestKit
import Testing

@Suite("Statistics report", .timeLimit(.minutes(1)))
struct StatisticsReportTests {
    @Test("empty statistics report that there are no calls yet, without dividing by zero")
    func empty() {
        let statistics = ResilienceStatistics()
        #expect(statistics.report() == "Resilience statistics: no calls yet")
        #expect(statistics.snapshot().isEmpty)
        #expect(statistics.snapshot() == ResilienceStatisticsSnapshot())
        #expect("\(statistics)" == "Resilience statistics: no calls yet")
    }

    @Test("empty call statistics have no rates, no average and no mean")
    func emptyRates() {
        let calls = CallStatistics()
        #expect(calls.successRate == nil && calls.failureRate == nil)
        #expect(calls.averageAttempts == nil && calls.meanDuration == nil)
        #expect(StrategyStatistics(name: "retry").meanAttemptTime == nil)
    }

    @Test("a registered breaker is reported before any call, under the no-calls heading")
    func breakerBeforeCalls() {
        let statistics = ResilienceStatistics()
        statistics.register(CircuitBreaker(name: "ocr", clock: ManualClock()))
        #expect(
            statistics.report() == """
                Resilience statistics: no calls yet

                circuit breaker ocr
                  state             closed
                  calls in window        0
                  failed in window       0
                  rejected calls         0
                """)
    }

    @Test("the report of a known script shows every count, aligned as a table")
    func knownScript() async throws {
        let statistics = try await StatisticsScript.run()
        #expect(
            statistics.report() == """
                Resilience statistics

                pipeline ocr
                  total calls                        11
                  succeeded                           9  81.8%
                  failed                              2  18.2%
                    permanent                         1   9.1%
                    timeout                           1   9.1%
                  mean call time               590.9 ms
                  strategy ocr-breaker
                    rejections                        1
                      circuit open                    1
                    circuit state                  open
                    circuit state changes             1
                  strategy ocr-fallback
                    fallbacks                         1
                      after rejected                  1
                  strategy ocr-retry
                    total calls                      11
                    succeeded                         8  72.7%
                    failed                            3  27.3%
                      permanent                       1   9.1%
                      rejected                        1   9.1%
                      timeout                         1   9.1%
                    stopped retrying
                      notRetryable                    2  18.2%
                      attemptsExhausted               1   9.1%
                    calls by attempts
                      1 attempt                       8  72.7%
                      2 attempts                      1   9.1%
                      3 attempts                      2  18.2%
                    average attempts per call      1.45
                    retries scheduled                 5
                    time waiting                5.000 s
                    time in attempts            1.500 s
                    mean attempt time           93.8 ms

                circuit breaker ocr-breaker
                  state                            open
                  half-open in                 30.000 s
                  calls in window                    14
                  failed in window                    6  42.9%
                  rejected calls                      1
                """)
    }

    @Test("the known script's counts, field by field")
    func knownScriptCounts() async throws {
        let snapshot = try await StatisticsScript.run().snapshot()
        #expect(
            snapshot.pipelines == [
                PipelineStatistics(
                    name: "ocr",
                    calls: CallStatistics(
                        total: 11, successes: 9, failures: 2, failuresByCategory: [.permanent: 1, .timeout: 1],
                        timedCalls: 11, totalDuration: .milliseconds(6_500)
                    )
                )
            ])
        #expect(snapshot.strategies.map(\.name) == ["ocr-breaker", "ocr-fallback", "ocr-retry"])
        #expect(snapshot.strategies.allSatisfy { $0.pipeline == "ocr" })
        let retry = try #require(snapshot.strategy(named: "ocr-retry", inPipeline: "ocr"))
        #expect(
            retry.calls
                == CallStatistics(
                    total: 11, successes: 8, failures: 3, failuresByCategory: [.permanent: 1, .rejected: 1, .timeout: 1],
                    failuresByStopReason: [.notRetryable: 2, .attemptsExhausted: 1], byAttempts: [1: 8, 2: 1, 3: 2]
                ))
        #expect(retry.calls.averageAttempts == 16.0 / 11.0)
        #expect(retry.retriesScheduled == 5 && retry.retryWait == .seconds(5))
        #expect(retry.timedAttempts == 16 && retry.attemptTime == .milliseconds(1_500))
        #expect(retry.meanAttemptTime == .microseconds(93_750))
        let breaker = try #require(snapshot.strategy(named: "ocr-breaker", inPipeline: "ocr"))
        #expect(breaker.rejections == RejectionStatistics(byCircuitState: [.open: 1]))
        #expect(breaker.circuitState == .open && breaker.circuitStateChanges == 1)
        #expect(snapshot.strategy(named: "ocr-fallback", inPipeline: "ocr")?.fallbacksByCategory == [.rejected: 1])
        #expect(snapshot.breaker(named: "ocr-breaker")?.snapshot.state == .open)
        #expect(snapshot.breaker(named: "ocr-breaker")?.snapshot.rejectedCalls == 1)
    }

    @Test("rejections, time-outs, hedges and faults of every kind are reported by kind")
    func everyKind() {
        let statistics = ResilienceStatistics()
        for event: ResilienceEvent in [
            .callRejected(strategy: "gate", state: .open, retryAfter: .seconds(3)),
            .callRejected(strategy: "gate", state: .halfOpen, retryAfter: nil),
            .callRejected(strategy: "gate", state: .open, retryAfter: nil),
            .limitExceeded(strategy: "gate", reason: .queueFull, retryAfter: nil),
            .limitExceeded(strategy: "gate", reason: .rateExceeded, retryAfter: .milliseconds(250)),
            .limitExceeded(strategy: "gate", reason: .queueFull, retryAfter: nil),
            .limitExceeded(strategy: "gate", reason: .throttled, retryAfter: nil),
            .retryBudgetRefused(strategy: "gate", budget: "budget", attempt: 1),
            .timedOut(strategy: "gate", after: .seconds(5)),
            .hedgeStarted(strategy: "gate", attempt: 2, delay: .milliseconds(50)),
            .hedgeStarted(strategy: "gate", attempt: 3, delay: .milliseconds(50)),
            .faultInjected(strategy: "gate", fault: "error"),
            .initialDelay(strategy: "gate", delay: .seconds(1)),
        ] {
            statistics.observe(event)
        }
        #expect(
            statistics.report() == """
                Resilience statistics

                strategy gate
                  timeouts                1
                  rejections              8
                    circuit open          2
                    circuit halfOpen      1
                    limiter queueFull     2
                    limiter rateExceeded  1
                    limiter throttled     1
                    retry budget          1
                  hedged attempts         2
                  faults injected         1
                """)
    }
}
