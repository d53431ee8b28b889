import Foundation
import Resilience
import ResilienceTestKit
import Testing

@Suite("Fallback", .timeLimit(.minutes(5)))
struct FallbackTests {
    @Test("when the OCR breaker is open, local OCR runs instead (the guide's receipt pipeline), and sees why")
    func fallbackOnRejection() async throws {
        let breaker = try makeBreaker(name: "ocr", failures: 1, breakSeconds: 60)
        breaker.isolate()
        let recorder = RecordingObserver()
        let localOCR = Fallback<String>(name: "ocr-fallback", observer: recorder) { reason in
            #expect(reason.isRejection)
            #expect(reason.circuitOpenError?.breakerName == "ocr")
            #expect(reason.circuitOpenError?.state == .isolated)
            return "local text"
        }
        var remoteCalls = 0
        let text = try await localOCR.execute {
            try await breaker.execute {
                remoteCalls += 1
                return "remote text"
            }
        }
        #expect(text == "local text")
        #expect(remoteCalls == 0)
        #expect(recorder.fallbackReasons.map(\.classification) == [.rejected])
        #expect(recorder.events.map(\.description) == [#"ocr-fallback: fallback used after rejected: circuit breaker "ocr" is isolated"#])
    }

    @Test("a fixed value stands in when the vision breaker is open: the guide's skipped analysis")
    func skippedAnalysis() async throws {
        let clock = ManualClock()
        let vision = try makeBreaker(name: "vision", failures: 3, breakSeconds: 120, clock: clock)
        let skipped = Fallback(returning: ["status": "skipped"], name: "vision-fallback")
        for _ in 0..<3 {
            await #expect(throws: CategorizedError.connection) {
                try await skipped.execute {
                    try await vision.execute { () async throws -> [String: String] in throw CategorizedError.connection }
                }
            }
        }
        let analysis = try await skipped.execute { try await vision.execute { ["status": "done"] } }
        #expect(analysis == ["status": "skipped"])
    }

    @Test(
        "runs on the chosen categories and not on others",
        arguments: [
            (CategorizedError.timeout, true),
            (CategorizedError.rateLimited(), true),
            (CategorizedError(category: .rejected), true),
            (CategorizedError.connection, false),
            (CategorizedError.permanent, false),
            (CategorizedError(category: .cancellation), false),
        ]
    )
    func chosenCategories(error: CategorizedError, handled: Bool) async throws {
        let fallback = Fallback<Int>(handling: [.timeout, .rateLimited, .rejected, .cancellation]) { _ in -1 }
        do {
            let value = try await fallback.execute { throw error }
            #expect(handled)
            #expect(value == -1)
        } catch let thrown as CategorizedError {
            #expect(!handled)
            #expect(thrown == error)
        }
    }

    @Test("the default handles only rejections; a predicate can decide instead")
    func defaultsAndPredicate() async throws {
        let rejectionsOnly = Fallback<Int> { _ in 0 }
        await #expect(throws: CategorizedError.timeout) { try await rejectionsOnly.execute { throw CategorizedError.timeout } }
        #expect(try await rejectionsOnly.execute { throw CircuitOpenError(breakerName: "b", state: .open, retryAfter: nil) } == 0)

        let notFound = Fallback<Int>(shouldHandle: { error, _ in (error as? CategorizedError)?.id == 404 }) { reason in
            #expect(reason.classification == .permanent)
            return 404
        }
        #expect(try await notFound.execute { throw CategorizedError(category: .permanent, id: 404) } == 404)
        await #expect(throws: CategorizedError(category: .permanent, id: 500)) {
            try await notFound.execute { throw CategorizedError(category: .permanent, id: 500) }
        }
    }

    @Test("a cancelled caller never gets the fallback, even for a handled category")
    func cancelledCaller() async throws {
        let fallback = Fallback<Int>(handling: [.timeout]) { _ in -1 }
        let task = Task {
            try await fallback.execute {
                withUnsafeCurrentTask { $0?.cancel() }
                throw CategorizedError.timeout
            }
        }
        await #expect(throws: CategorizedError.timeout) { try await task.value }
        // Cancelled before the call: neither the operation nor the fallback runs.
        let ran = Counter()
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await fallback.execute {
                ran.increment()
                throw CategorizedError.timeout
            }
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(ran.value == 0)
        await #expect(throws: CancellationError.self) {
            try await Fallback<Int>(shouldHandle: { _, _ in true }) { _ in -1 }.execute { throw CancellationError() }
        }
    }

    @Test("a success never runs the fallback; the fallback's own error propagates")
    func successAndFallbackError() async throws {
        let recorder = RecordingObserver()
        let fallback = Fallback<Int>(observer: recorder) { reason in throw IdentifiableError(.permanent) }
        #expect(try await fallback.execute { 7 } == 7)
        #expect(recorder.events.isEmpty)
        await #expect(throws: IdentifiableError.self) {
            try await fallback.execute { throw CircuitOpenError(breakerName: "b", state: .open, retryAfter: nil) }
        }
    }

    @Test("the primary and the fallback run in the caller's isolation")
    @MainActor
    func callerIsolation() async throws {
        var log: [String] = []
        let fallback = Fallback<Int>(handling: [.timeout]) { _ in
            MainActor.assertIsolated()
            return 2
        }
        let value = try await fallback.execute {
            MainActor.assertIsolated()
            log.append("primary")
            throw CategorizedError.timeout
        }
        #expect(value == 2)
        #expect(log == ["primary"])
    }
}
