import Resilience
import ResilienceTestKit

/// A known script of calls through a fallback, a retry and a circuit breaker on virtual time, whose
/// every count is known (see ``run()``).
enum StatisticsScript {
    /// Runs the script and returns its statistics:
    ///
    /// - calls 1-6 succeed at once; call 7 after a time-out, call 8 after two;
    /// - call 9 fails with a permanent error (not retried);
    /// - call 10 times out three times: attempts exhausted, and the breaker (3 failures in a row) opens;
    /// - call 11 is rejected by the open breaker and answered by the fallback.
    ///
    /// Every attempt takes 100 ms and every retry waits 1 s, on a manual clock.
    static func run() async throws -> ResilienceStatistics {
        let statistics = ResilienceStatistics()
        let clock = ManualClock(advancesAutomatically: true)
        let breaker = CircuitBreaker(name: "ocr-breaker", configuration: .consecutiveFailures(3, breakDuration: .seconds(30)), clock: clock)
        statistics.register(breaker)
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout])
        let pipeline = ResiliencePipeline(name: "ocr", observer: statistics, clock: clock) {
            Fallback(returning: "local text", name: "ocr-fallback")
            Retry(policy, name: "ocr-retry", clock: clock)
            breaker
        }
        let timeout = ScriptedOperation<String>.Step.fail(CategorizedError.timeout)
        let text = ScriptedOperation<String>.Step.succeed("text")
        let scripts: [[ScriptedOperation<String>.Step]] =
            Array(repeating: [text], count: 6) + [
                [timeout, text],
                [timeout, timeout, text],
                [.fail(CategorizedError.permanent)],
                [timeout, timeout, timeout],
                [.succeed("never called")],
            ]
        for script in scripts {
            let operation = ScriptedOperation(script)
            _ = try? await pipeline.execute { () async throws -> String in
                clock.advance(by: .milliseconds(100))
                return try await operation()
            }
        }
        return statistics
    }
}
