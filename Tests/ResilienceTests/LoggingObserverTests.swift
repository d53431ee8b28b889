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

    func log(event: LogEvent) {
        storage.entries.withLock {
            $0.append(Entry(level: event.level, message: "\(event.message)", metadata: event.metadata ?? [:]))
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
