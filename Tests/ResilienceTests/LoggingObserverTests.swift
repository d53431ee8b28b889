import Logging
import Resilience
import ResilienceTestKit
import Testing

/// A log handler that keeps every message, shared between copies.
struct CapturingLogHandler: LogHandler {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    final class Storage: Sendable {
        let entries = AnnotatedMutex<[Entry]>([])
    }

    let storage = Storage()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Records the line with the handler's own metadata merged in (the line's wins), as a real
    /// handler prints it.
    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, line in line }
        storage.entries.withLock {
            $0.append(Entry(level: event.level, message: "\(event.message)", metadata: merged))
        }
    }

    var entries: [Entry] { storage.entries.withLock { $0 } }
}

@Suite("Logging observer")
struct LoggingObserverTests {
    @Test("logs a warning before each wait and an error when retrying ends (the guide's before_sleep_log)")
    func logsBeforeSleep() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let clock = ManualClock(advancesAutomatically: true)
        let policy = try RetryPolicy(
            maxAttempts: 2, backoff: .constant(.milliseconds(1500)), jitter: .none, retryableCategories: [.timeout])
        await #expect(throws: TimeoutError.self) {
            try await retry(policy, clock: clock, observer: LoggingObserver(logger: logger)) { () async throws -> Int in
                throw TimeoutError(timeout: .seconds(5))
            }
        }
        let entries = handler.entries
        #expect(entries.map(\.level) == [.warning, .error])
        #expect(
            entries.map(\.message) == [
                "Attempt 1 failed (timeout), retrying in 1.5 s", "Giving up after 2 attempts: attemptsExhausted",
            ])
        #expect(entries[0].metadata["resilience.strategy"] == "retry")
        #expect(entries[0].metadata["resilience.attempt"] == "1")
        #expect(entries[0].metadata["resilience.delay_seconds"] == "1.5")
        #expect(entries[0].metadata["resilience.category"] == "timeout")
        #expect(entries[0].metadata["resilience.error"] == "timed out after 5.0 seconds")
        #expect(entries[1].metadata["resilience.stop_reason"] == "attemptsExhausted")
        #expect(entries.map { $0.metadata["resilience.event"] } == ["retryScheduled", "retriesEnded"])
        #expect(entries[0].metadata["resilience.error_type"] == "Resilience.TimeoutError")
    }

    @Test("levels are configurable, and failed attempts can be logged too")
    func configurableLevels() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let observer = LoggingObserver(logger: logger, retryLevel: .info, gaveUpLevel: .notice, attemptFailedLevel: .debug)
        let clock = ManualClock(advancesAutomatically: true)
        let operation = ScriptedOperation(failures: 1, with: TimeoutError(timeout: .seconds(1)), thenReturning: 1)
        _ = try await retry(.default, clock: clock, observer: observer) { try await operation() }
        #expect(handler.entries.map(\.level) == [.debug, .info])
    }

    @Test("a composite observer forwards each event to all its observers, in order")
    func composite() async throws {
        let first = RecordingObserver()
        let second = RecordingObserver()
        let clock = ManualClock(advancesAutomatically: true)
        let operation = ScriptedOperation(failures: 1, with: TimeoutError(timeout: .seconds(1)), thenReturning: 1)
        _ = try await retry(.default, clock: clock, observer: CompositeObserver([first, second])) { try await operation() }
        #expect(first.events.count == 3)
        #expect(first.events.map(\.description) == second.events.map(\.description))
    }
}

@Suite("Logging observer levels")
struct LoggingObserverLevelTests {
    @Test("a first attempt's non-retryable error is routine: logged at debug, not error")
    func routineEndsAtDebug() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        await #expect(throws: UnknownError.self) {
            try await retry(.default, clock: ManualClock(), observer: LoggingObserver(logger: logger)) { () async throws -> Int in
                throw UnknownError()
            }
        }
        #expect(handler.entries.map(\.level) == [.debug])
    }
}

@Suite("Logging observer and the caller's logger")
struct LoggingObserverContextTests {
    /// An error that counts how often it is described, to show when lines are built.
    final class DescribedError: Error, CustomStringConvertible, ClassifiableError {
        let descriptions = AnnotatedMutex(0)
        var description: String {
            descriptions.withLock { $0 += 1 }
            return "described"
        }
        var resilienceClassification: ErrorClassification { .timeout }
    }

    @Test("by default lines go to the calling task's Logger.current, with the request's metadata")
    func taskLocalLogger() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "app") { _ in handler }
        let breaker = try makeBreaker(failures: 1, observer: LoggingObserver())
        try await withLogger(logger) { _ in
            try await withLogger(mergingMetadata: ["request.id": "r-42"]) { _ in
                _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
            }
        }
        let entries = handler.entries
        #expect(entries.map(\.message) == ["Circuit open (was closed): consecutiveFailures"])
        #expect(entries.first?.metadata["request.id"] == "r-42")
        #expect(entries.first?.metadata["resilience.to_state"] == "open")
    }

    @Test("a logger given to the observer still carries the calling task's metadata; its own wins on a clash")
    func fixedLoggerMergesTaskMetadata() async throws {
        let fixed = CapturingLogHandler()
        var logger = Logger(label: "resilience") { _ in fixed }
        logger[metadataKey: "service"] = "receipts"
        let observer = LoggingObserver(logger: logger)
        let clock = ManualClock(advancesAutomatically: true)
        let app = Logger(label: "app") { _ in CapturingLogHandler() }
        try await withLogger(app) { _ in
            try await withLogger(mergingMetadata: ["request.id": "r-7", "service": "other"]) { _ in
                _ = try? await retry(.default, clock: clock, observer: observer) { () async throws -> Int in
                    throw CategorizedError.timeout
                }
            }
        }
        #expect(fixed.entries.count == 3)
        #expect(fixed.entries.allSatisfy { $0.metadata["request.id"] == "r-7" && $0.metadata["service"] == "receipts" })
    }

    @Test("an event at a disabled level builds no line: the error is never even described")
    func lazyLines() async throws {
        let handler = CapturingLogHandler()
        var logger = Logger(label: "quiet") { _ in handler }
        logger.logLevel = .critical
        let error = DescribedError()
        _ = try? await retry(.default, clock: ManualClock(advancesAutomatically: true), observer: LoggingObserver(logger: logger)) {
            () async throws -> Int in throw error
        }
        #expect(handler.entries.isEmpty)
        #expect(error.descriptions.withLock { $0 } == 0)

        logger.logLevel = .trace
        _ = try? await retry(.default, clock: ManualClock(advancesAutomatically: true), observer: LoggingObserver(logger: logger)) {
            () async throws -> Int in throw error
        }
        #expect(handler.entries.count == 3)
        #expect(error.descriptions.withLock { $0 } == 3)
    }

    @Test("time-outs and budget refusals are logged at warning, with their metadata")
    func timeoutsAndBudgets() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let observer = LoggingObserver(logger: logger)
        observer.observe(.timedOut(strategy: "attempt-timeout", after: .seconds(5)))
        observer.observe(.retryBudgetRefused(strategy: "retry", budget: "ocr-budget", attempt: 2))
        #expect(handler.entries.map(\.level) == [.warning, .warning])
        #expect(handler.entries[0].metadata["resilience.timeout_seconds"] == "5.0")
        #expect(handler.entries[1].metadata["resilience.budget"] == "ocr-budget")
        #expect(handler.entries[1].metadata["resilience.attempt"] == "2")
    }
}
