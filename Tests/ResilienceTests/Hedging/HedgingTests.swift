import Resilience
import ResilienceTestKit
import Testing

@Suite("Hedging", .timeLimit(.minutes(5)))
struct HedgingTests {
    private func policy(attempts: Int = 3, delay: Duration? = .seconds(1)) throws -> HedgingPolicy {
        try HedgingPolicy(maxAttempts: attempts, delay: delay)
    }

    @Test("each hedge starts exactly one delay after the previous attempt, and the first answer wins")
    func exactDelays() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let recorder = RecordingObserver()
        let hedging = Hedging(try policy(), name: "search", clock: clock, observer: recorder)
        let scripts: [AttemptScript] = [.hang, .hang, .reply(after: .milliseconds(500), "third")]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))  // hedge 2 is due
        await clock.advance(toSleeperDeadline: .at(2))  // hedge 3 is due
        await clock.advance(toSleeperDeadline: .at(2.5))  // hedge 3 answers
        #expect(try await call.value == "third")
        #expect(log.starts == [.zero, .seconds(1), .seconds(2)])
        #expect(
            recorder.events.map(\.description) == [
                "search: started hedged attempt 2 after 1.0 s",
                "search: started hedged attempt 3 after 1.0 s",
                "search: attempt 3 succeeded",
            ])
        #expect(recorder.events(.hedgeStarted).map(\.attempt) == [2, 3])
        #expect(recorder.events(.hedgeStarted).map(\.delay) == [.seconds(1), .seconds(1)])
    }

    @Test("the losers are cancelled, each sees its cancellation, and none is running when the call returns")
    func losersCancelledAndAwaited() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let scripts: [AttemptScript] = [.hang, .reply(after: .seconds(3), "second"), .hang]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))
        await clock.advance(toSleeperDeadline: .at(2))
        await clock.waitForSleepers(count: 3)  // the three attempts; no timer, as no attempt is left
        await clock.advance(toSleeperDeadline: .at(4))  // hedge 2 answers, before hedge 3 and attempt 1
        #expect(try await call.value == "second")
        #expect(log.cancelled == [1, 3])
        #expect(log.live == 0)  // the losers finished before `execute` returned
        #expect(log.maxLive == 3)
        #expect(clock.sleeperCount == 0)  // no timer, no attempt left sleeping
        #expect(clock.now == .at(4))
    }

    @Test("an attempt that answers without suspending starts no timer and no hedge")
    func fastFirstAttempt() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let hedging = Hedging(try policy(), clock: clock, observer: recorder)
        let value = try await hedging.execute { 42 }
        #expect(value == 42)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.kinds == [.attemptSucceeded])
    }

    @Test("the first attempt answering before the delay cancels the timer: no hedge")
    func answerBeforeDelay() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let call = Task {
            try await hedging.executeAttempts { try await log.run($0, [.reply(after: .milliseconds(400), "first")], on: clock) }
        }
        await clock.advance(toSleeperDeadline: .at(0.4))
        #expect(try await call.value == "first")
        #expect(log.starts == [.zero])
        #expect(clock.sleeperCount == 0)
        #expect(clock.requestedSleeps == [.milliseconds(400), .seconds(1)])  // the attempt, then the timer
    }

    @Test("a hedgeable failure starts the next attempt at once, and the delay to the one after counts from then")
    func failureHedgesAtOnce() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let recorder = RecordingObserver()
        let hedging = Hedging(try policy(), name: "h", clock: clock, observer: recorder)
        let scripts: [AttemptScript] = [
            .fail(after: .milliseconds(500), CategorizedError.timeout), .hang, .reply(after: .milliseconds(250), "third"),
        ]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(0.5))  // attempt 1 fails: hedge 2 starts at once
        await clock.waitForSleepers(count: 2)  // hedge 2 and the first timer
        await clock.advance(toSleeperDeadline: .at(1))  // the first timer, which hedge 2 made early
        await clock.advance(toSleeperDeadline: .at(1.5))  // one delay after hedge 2: hedge 3
        await clock.advance(toSleeperDeadline: .at(1.75))
        #expect(try await call.value == "third")
        #expect(log.starts == [.zero, .milliseconds(500), .milliseconds(1_500)])
        #expect(recorder.events(.hedgeStarted).map(\.delay) == [.zero, .seconds(1)])
        #expect(recorder.events(.attemptFailed).map(\.attempt) == [1])
        #expect(log.cancelled == [2])
    }

    @Test("a failure that starts a hedge without suspending starts it at the same instant")
    func synchronousFailure() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let scripts: [AttemptScript] = [.fail(after: nil, CategorizedError.connection), .reply(after: .seconds(3), "second")]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))  // hedge 3 is due; hedge 2 is still running
        await clock.waitForSleepers(count: 2)  // hedges 2 and 3
        await clock.advance(toSleeperDeadline: .at(3))
        #expect(try await call.value == "second")
        #expect(log.starts == [.zero, .zero, .seconds(1)])
        #expect(log.cancelled == [3])
    }

    @Test("a failure of a kind the policy does not name is final: thrown unchanged, the others cancelled")
    func finalError() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let fatal = IdentifiableError(.permanent)
        let scripts: [AttemptScript] = [.hang, .fail(after: .milliseconds(500), fatal)]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))
        await clock.advance(toSleeperDeadline: .at(1.5))
        do {
            _ = try await call.value
            Issue.record("expected a throw")
        } catch let error as IdentifiableError {
            #expect(error === fatal)
        }
        #expect(log.starts == [.zero, .seconds(1)])  // no hedge after the final error
        #expect(log.cancelled == [1])
        #expect(log.live == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("when every attempt fails, the error of the last one to fail is rethrown unchanged")
    func allFail() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let recorder = RecordingObserver()
        let hedging = Hedging(try policy(), clock: clock, observer: recorder)
        let errors = [IdentifiableError(.timeout), IdentifiableError(.transient), IdentifiableError(.rateLimited())]
        // Attempt 1 fails last, at 3 s; hedge 2 fails at 1.5 s, which starts hedge 3 at once; it fails at 1.75 s.
        let scripts: [AttemptScript] = [
            .fail(after: .seconds(3), errors[0]), .fail(after: .milliseconds(500), errors[1]),
            .fail(after: .milliseconds(250), errors[2]),
        ]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))
        await clock.advance(toSleeperDeadline: .at(1.5))
        await clock.advance(toSleeperDeadline: .at(1.75))
        await clock.advance(toSleeperDeadline: .at(3))
        do {
            _ = try await call.value
            Issue.record("expected a throw")
        } catch let error as IdentifiableError {
            #expect(error === errors[0])
        }
        #expect(log.starts == [.zero, .seconds(1), .milliseconds(1_500)])
        #expect(recorder.events(.attemptFailed).map(\.attempt) == [2, 3, 1])
        #expect(log.cancelled.isEmpty)
    }

    @Test("in fail-over order, the last attempt's error is the one rethrown")
    func allFailInOrder() async throws {
        let hedging = Hedging(try policy(delay: nil), clock: ManualClock())
        let errors = (1...3).map { _ in IdentifiableError(.connectionFailure) }
        do {
            _ = try await hedging.executeAttempts { attempt -> Int in throw errors[attempt.number - 1] }
            Issue.record("expected a throw")
        } catch let error as IdentifiableError {
            #expect(error === errors[2])
        }
    }

    @Test("a retry budget limits hedges: once it refuses, no more start")
    func budgetLimitsHedges() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let recorder = RecordingObserver()
        let budget = try RetryBudget.tokenBucket(capacity: 1, retryCost: 1, successRefill: 0, name: "hedge-budget")
        let hedging = Hedging(try policy(), name: "h", clock: clock, budget: budget, observer: recorder)
        let scripts: [AttemptScript] = [.reply(after: .seconds(5), "first"), .hang]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))  // hedge 2 takes the only token
        await clock.advance(toSleeperDeadline: .at(2))  // hedge 3 is refused
        await yieldUntil { !recorder.events(.retryBudgetRefused).isEmpty }
        await clock.advance(toSleeperDeadline: .at(5))
        #expect(try await call.value == "first")
        #expect(log.starts == [.zero, .seconds(1)])
        #expect(recorder.events(.retryBudgetRefused).map(\.description) == ["h: hedge-budget refused a retry after attempt 2"])
        #expect(budget.snapshot.tokens == 0)
    }

    @Test("a ratio budget counts the call as one request")
    func ratioBudgetCountsRequests() async throws {
        let clock = ManualClock()
        let budget = try RetryBudget.ratio(1, window: .seconds(10), minimumRetries: 0, clock: clock)
        let hedging = Hedging(try policy(delay: nil), clock: clock, budget: budget)
        let value = try await hedging.executeAttempts { attempt -> Int in
            guard attempt.isHedge else { throw CategorizedError.timeout }
            return attempt.number
        }
        #expect(value == 2)
        #expect(budget.snapshot == RetryBudget.Snapshot(requestsInWindow: 1, retriesInWindow: 1))
    }

    @Test("each attempt knows which it is, as a parameter and as the task-local HedgingAttempt.current")
    func perAttemptContext() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let numbers = AnnotatedMutex<[Int]>([])
        let call = Task {
            try await hedging.executeAttempts { attempt in
                numbers.withLock { $0.append(attempt.number) }
                return try await log.run(attempt, [.hang, .hang, .reply(after: .zero, "third")], on: clock)
            }
        }
        await clock.advance(toSleeperDeadline: .at(1))
        await clock.advance(toSleeperDeadline: .at(2))
        #expect(try await call.value == "third")
        #expect(numbers.withLock { $0 } == [1, 2, 3])
        #expect(log.contexts == [1: HedgingAttempt(number: 1), 2: HedgingAttempt(number: 2), 3: HedgingAttempt(number: 3)])
        #expect(HedgingAttempt.current == nil)  // only inside an attempt
        #expect(!HedgingAttempt(number: 1).isHedge && HedgingAttempt(number: 2).isHedge)
        let plain = try await hedging.execute { HedgingAttempt.current }
        #expect(plain == HedgingAttempt(number: 1))
    }

    @Test("cancelling the caller cancels every attempt, starts no more, and rethrows the cancellation")
    func callerCancellation() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let call = Task { try await hedging.executeAttempts { try await log.run($0, [.hang], on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))
        await clock.waitForSleepers(count: 3)  // both attempts and the timer of hedge 3
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(log.starts == [.zero, .seconds(1)])
        #expect(log.cancelled == [1, 2])
        #expect(log.live == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("an already-cancelled caller gets CancellationError and the operation never runs")
    func cancelledCaller() async throws {
        let hedging = Hedging(try policy(), clock: ManualClock())
        let ran = Counter()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await hedging.execute { ran.increment() }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        let concurrent = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await hedging.executeConcurrently { _ in ran.increment() }
        }
        await #expect(throws: CancellationError.self) { try await concurrent.value }
        #expect(ran.value == 0)
    }

    @Test("a zero delay starts every attempt at once")
    func zeroDelay() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let recorder = RecordingObserver()
        let hedging = Hedging(try policy(delay: .zero), clock: clock, observer: recorder)
        let scripts: [AttemptScript] = [.hang, .reply(after: .seconds(2), "second"), .hang]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.waitForSleepers(count: 3)
        await clock.advance(toSleeperDeadline: .at(2))
        #expect(try await call.value == "second")
        #expect(log.starts == [.zero, .zero, .zero])
        #expect(recorder.events(.hedgeStarted).map(\.delay) == [.zero, .zero])
    }

    @Test("without a delay, attempts start only after failures, one at a time")
    func failOverOnly() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(delay: nil), clock: clock)
        let scripts: [AttemptScript] = [
            .fail(after: .seconds(5), CategorizedError.timeout), .reply(after: .seconds(5), "second"),
        ]
        let call = Task { try await hedging.executeAttempts { try await log.run($0, scripts, on: clock) } }
        await clock.advance(toSleeperDeadline: .at(5))
        await clock.advance(toSleeperDeadline: .at(10))
        #expect(try await call.value == "second")
        #expect(log.starts == [.zero, .seconds(5)])
        #expect(log.maxLive == 1)
    }

    @Test("a predicate decides which failures hedge, instead of the categories; cancellation never does")
    func predicate() async throws {
        struct Busy: Error {}
        let hedging = Hedging(try policy(delay: nil), clock: ManualClock(), shouldHedge: { error, _ in error is Busy })
        let value = try await hedging.executeAttempts { attempt -> Int in
            if attempt.number < 3 { throw Busy() }
            return attempt.number
        }
        #expect(value == 3)
        let calls = Counter()
        await #expect(throws: CategorizedError.timeout) {
            try await hedging.execute { () async throws -> Int in
                calls.increment()
                throw CategorizedError.timeout  // hedgeable by category, but not by the predicate
            }
        }
        #expect(calls.value == 1)
        let everything = Hedging(try policy(delay: nil), clock: ManualClock(), shouldHedge: { _, _ in true })
        await #expect(throws: CancellationError.self) {
            try await everything.execute { () async throws -> Int in
                calls.increment()
                throw CancellationError()
            }
        }
        #expect(calls.value == 2)
    }

    @Test("a rejected result hedges at once, and when every result is rejected the last one is returned")
    func rejectedResults() async throws {
        let hedging = Hedging(try policy(delay: nil), clock: ManualClock())
        let statuses = [503, 503, 200]
        let status = try await hedging.execute(classifyingResult: { $0 == 503 ? .transient : nil }) {
            statuses[(HedgingAttempt.current?.number ?? 1) - 1]
        }
        #expect(status == 200)
        let recorder = RecordingObserver()
        let rejecting = Hedging(try policy(delay: nil), clock: ManualClock(), observer: recorder)
        let last = try await rejecting.execute(classifyingResult: { _ in .transient }) {
            HedgingAttempt.current?.number ?? 0
        }
        #expect(last == 3)
        #expect(recorder.events(.resultRejected).map(\.attempt) == [1, 2, 3])
        let permanent = try await rejecting.execute(classifyingResult: { _ in .permanent }) {
            HedgingAttempt.current?.number ?? 0
        }
        #expect(permanent == 1)  // a rejection that does not hedge ends the call with its value
    }

    @Test("classifying results in a typed pipeline hedges the rejected ones")
    func classifyingResultsInPipeline() async throws {
        let pipeline = try ResiliencePipeline(name: "replicas") {
            Hedging(try policy(delay: nil), clock: ManualClock()).classifyingResults { (status: Int) in
                status >= 500 ? .transient : nil
            }
        }
        let status = try await pipeline.execute { (HedgingAttempt.current?.number ?? 1) < 2 ? 503 : 204 }
        #expect(status == 204)
    }

    @Test("in a pipeline, events carry the pipeline's name and the inner strategies run per attempt")
    func inPipeline() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let log = AttemptLog()
        let pipeline = try ResiliencePipeline(name: "search", observer: recorder) {
            Hedging(try policy(attempts: 2), name: "hedge", clock: clock)
            Timeout(.milliseconds(1_500), name: "attempt-timeout", clock: clock)
        }
        let call = Task { try await pipeline.execute { try await log.run(HedgingAttempt.current ?? .init(number: 0), [.hang], on: clock) } }
        await clock.advance(toSleeperDeadline: .at(1))  // hedge 2
        await clock.waitForSleepers(count: 4)  // each attempt and its timeout's timer
        await clock.advance(toSleeperDeadline: .at(1.5))  // attempt 1's timeout: hedgeable, but no attempts are left
        await yieldUntil { recorder.events(.attemptFailed).count == 1 }
        await clock.advance(toSleeperDeadline: .at(2.5))  // hedge 2's timeout
        await #expect(throws: TimeoutError(timeout: .milliseconds(1_500))) { try await call.value }
        #expect(
            recorder.events.map(\.description) == [
                "search/hedge: started hedged attempt 2 after 1.0 s",
                "search/attempt-timeout: timed out after 1.5 s",
                "search/hedge: attempt 1 failed (timeout): timed out after 1.5 seconds",
                "search/attempt-timeout: timed out after 1.5 s",
                "search/hedge: attempt 2 failed (timeout): timed out after 1.5 seconds",
                "search/search: call failed (timeout): timed out after 1.5 seconds",
            ])
        #expect(pipeline.description == "search: hedging(hedge: 2 attempts, hedging after 1.0 s) → attempt-timeout(1.5 s)")
    }

    @Test("the attempts keep the caller's actor, so they may share its non-Sendable state")
    @MainActor
    func callerIsolation() async throws {
        final class Tally { var value = 0 }
        let tally = Tally()
        let clock = ManualClock()
        let hedging = Hedging(try policy(delay: .zero), clock: clock)
        let call = Task { @MainActor in
            try await hedging.executeAttempts { attempt -> Int in
                MainActor.assertIsolated()
                tally.value += 1
                try await clock.sleep(for: .seconds(Int64(4 - attempt.number)))
                MainActor.assertIsolated()  // still after a suspension
                tally.value += 10
                return attempt.number
            }
        }
        await clock.advance(toSleeperDeadline: .at(1))
        #expect(try await call.value == 3)
        #expect(tally.value == 3 + 10)
    }

    @Test("executeConcurrently runs a Sendable operation's attempts in parallel, with the same rules")
    func concurrently() async throws {
        let clock = ManualClock()
        let log = AttemptLog()
        let hedging = Hedging(try policy(), clock: clock)
        let call = Task {
            try await hedging.executeConcurrently { attempt in
                try await log.run(attempt, [.hang, .reply(after: .milliseconds(100), "second")], on: clock)
            }
        }
        await clock.advance(toSleeperDeadline: .at(1))
        await clock.advance(toSleeperDeadline: .at(1.1))
        #expect(try await call.value == "second")
        #expect(log.starts == [.zero, .seconds(1)])
        #expect(log.cancelled == [1])
        #expect(log.live == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("an invalid policy is rejected by name")
    func invalidPolicy() {
        func field(_ make: () throws -> HedgingPolicy) -> String? {
            do {
                _ = try make()
                return nil
            } catch let error as ConfigurationError {
                return error.field
            } catch {
                return "\(error)"
            }
        }
        #expect(field { try HedgingPolicy(maxAttempts: 0) } == "maxAttempts")
        #expect(field { try HedgingPolicy(delay: .seconds(-1)) } == "delay")
        #expect(field { try HedgingPolicy(delay: .seconds(Int64.max) * 2) } == "delay")
        #expect(field { try HedgingPolicy(hedgeableCategories: [.timeout, .cancellation]) } == "hedgeableCategories")
        #expect(field { try HedgingPolicy.default.with { $0.delay = .milliseconds(-5) } } == "delay")
        #expect(field { try HedgingPolicy(maxAttempts: 1, delay: nil, hedgeableCategories: []) } == nil)
    }

    @Test("an unchecked policy is made total: fewer than one attempt makes one, a negative delay is zero")
    func uncheckedPolicy() async throws {
        var policy = HedgingPolicy.default
        policy.maxAttempts = -3
        policy.delay = .seconds(-1)
        let calls = Counter()
        let hedging = Hedging(policy, clock: ManualClock())
        await #expect(throws: CategorizedError.timeout) {
            try await hedging.execute { () async throws -> Int in
                calls.increment()
                throw CategorizedError.timeout
            }
        }
        #expect(calls.value == 1)
    }

    @Test("policies and strategies describe themselves")
    func descriptions() throws {
        #expect(HedgingPolicy.default.description == "2 attempts, hedging after 2.0 s")
        #expect(try HedgingPolicy(maxAttempts: 3, delay: .zero).description == "3 attempts, all at once")
        #expect(try HedgingPolicy(maxAttempts: 1, delay: nil).description == "1 attempt, hedging after failures only")
        #expect(Hedging(name: "search").description == "hedging(search: 2 attempts, hedging after 2.0 s)")
        #expect(HedgingPolicy.default.hedges(.rateLimited) && !HedgingPolicy.default.hedges(.permanent))
        #expect(HedgingAttempt(number: 1).description == "attempt 1" && HedgingAttempt(number: 2).description == "hedge 2")
    }
}
