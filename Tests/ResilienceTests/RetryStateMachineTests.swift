import ResilienceTestKit
import Testing

@testable import Resilience

@Suite("Retry decisions")
struct RetryStateMachineTests {
    var generator = SeededRandomNumberGenerator(seed: 42)
    let policy: RetryPolicy

    init() throws {
        policy = try RetryPolicy(
            maxAttempts: 4,
            backoff: .exponential(initial: .seconds(1), maxDelay: .seconds(10)),
            jitter: .none,
            maxElapsedTime: .seconds(20),
            retryableCategories: [.timeout, .rateLimited]
        )
    }

    mutating func decide(
        _ classification: ErrorClassification,
        attempt: Int = 1,
        elapsed: Duration? = .zero,
        machine: inout RetryStateMachine,
        ignoringCategories: Bool = false
    ) -> RetryStateMachine.Decision {
        machine.decide(
            after: classification, attempt: attempt, elapsed: elapsed, policy: policy,
            ignoringCategories: ignoringCategories, using: &generator
        )
    }

    @Test("retries a retryable failure after the schedule's delay")
    mutating func retries() {
        var machine = RetryStateMachine()
        #expect(decide(.timeout, attempt: 1, machine: &machine) == .retry(after: .seconds(1)))
        #expect(decide(.timeout, attempt: 3, machine: &machine) == .retry(after: .seconds(4)))
    }

    @Test("stops on the last attempt, on categories the policy does not retry, and on cancellation")
    mutating func stops() {
        var machine = RetryStateMachine()
        #expect(decide(.timeout, attempt: 4, machine: &machine) == .stop(.attemptsExhausted))
        #expect(decide(.connectionFailure, machine: &machine) == .stop(.notRetryable))
        #expect(decide(.cancellation, machine: &machine) == .stop(.cancelled))
        #expect(decide(.cancellation, machine: &machine, ignoringCategories: true) == .stop(.cancelled))
        #expect(decide(.connectionFailure, machine: &machine, ignoringCategories: true) == .retry(after: .seconds(1)))
    }

    @Test("a hint raises the delay, fails fast above the cap, and fails fast past the budget")
    mutating func hints() {
        var machine = RetryStateMachine()
        #expect(decide(.rateLimited(retryAfter: .seconds(6)), machine: &machine) == .retry(after: .seconds(6)))
        #expect(decide(.rateLimited(retryAfter: .seconds(10)), machine: &machine) == .retry(after: .seconds(10)))
        #expect(decide(.rateLimited(retryAfter: .seconds(11)), machine: &machine) == .stop(.retryAfterExceedsMaxDelay))
        #expect(decide(.rateLimited(retryAfter: .seconds(8)), elapsed: .seconds(13), machine: &machine) == .stop(.elapsedTimeExhausted))
        #expect(decide(.rateLimited(retryAfter: .seconds(8)), elapsed: .seconds(12), machine: &machine) == .retry(after: .seconds(8)))
    }

    @Test("a huge hint, even one set past the initialiser's clamp, is bounded rather than overflowing")
    func hugeHint() throws {
        let policy = try RetryPolicy(
            maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.rateLimited]
        )
        var machine = RetryStateMachine()
        var generator = SeededRandomNumberGenerator(seed: 1)
        #expect(ErrorClassification.rateLimited(retryAfter: .seconds(Int64.max)).retryAfter == .nanoseconds(Int64.max))
        var classification = ErrorClassification.rateLimited()
        classification.retryAfter = .seconds(Int64.max)
        let decision = machine.decide(after: classification, attempt: 1, elapsed: nil, policy: policy, using: &generator)
        #expect(decision == .retry(after: .nanoseconds(Int64.max)))
    }

    @Test("decorrelated jitter grows from the previous delay the machine remembers")
    func decorrelatedMemory() throws {
        let policy = try RetryPolicy(
            maxAttempts: 10, backoff: .exponential(initial: .seconds(1), maxDelay: .seconds(60)),
            jitter: .decorrelated, retryableCategories: [.timeout]
        )
        var machine = RetryStateMachine()
        var generator = SeededRandomNumberGenerator(seed: 42)
        var delays: [Duration] = []
        for attempt in 1...6 {
            guard
                case .retry(let delay) = machine.decide(
                    after: .timeout, attempt: attempt, elapsed: nil, policy: policy, using: &generator
                )
            else {
                Issue.record("expected a retry")
                return
            }
            delays.append(delay)
            #expect(machine.previousDelay == delay)
        }
        // The same sequence as JitteredBackoff's (see JitterTests).
        #expect(
            delays == [2_483_129_757, 2_031_324_372, 2_419_186_667, 3_153_794_060, 1_321_787_790, 3_574_611_734].map(Duration.nanoseconds))
    }
}
