import Resilience
import Testing

@Suite("Backoff schedules")
struct BackoffTests {
    @Test("constant schedule yields the same delay for every retry")
    func constant() {
        let schedule = Backoff.constant(.milliseconds(250))
        #expect((1...5).map(schedule.delay(forRetry:)) == Array(repeating: .milliseconds(250), count: 5))
        #expect(schedule.maxDelay == nil)
        #expect(schedule.initialDelay == .milliseconds(250))
    }

    @Test("linear schedule grows by its increment up to the cap")
    func linear() {
        let schedule = Backoff.linear(initial: .seconds(1), increment: .milliseconds(500), maxDelay: .seconds(2))
        #expect(
            (1...5).map(schedule.delay(forRetry:)) == [
                .seconds(1), .milliseconds(1500), .seconds(2), .seconds(2), .seconds(2),
            ])
    }

    @Test("exponential schedule doubles from the base up to the cap (the guide's 1, 2, 4, 8 … 60 s)")
    func exponential() {
        let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))
        #expect(
            (1...8).map(schedule.delay(forRetry:)) == [
                .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32), .seconds(60), .seconds(60),
            ])
    }

    @Test("exponential schedule with multiplier 3 (the guide's rate-limit policy: 2, 6, 18, 54, 120 s)")
    func exponentialTriple() {
        let schedule = Backoff.exponential(initial: .seconds(2), multiplier: 3, maxDelay: .seconds(120))
        #expect(
            (1...5).map(schedule.delay(forRetry:)) == [
                .seconds(2), .seconds(6), .seconds(18), .seconds(54), .seconds(120),
            ])
    }

    @Test(
        "far retries yield the cap, never a crash or a negative delay",
        arguments: [64, 1_000, 1_000_000, Int.max]
    )
    func overflowSafe(retry: Int) {
        let exponential = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))
        #expect(exponential.delay(forRetry: retry) == .seconds(60))
        let linear = Backoff.linear(initial: .seconds(1), increment: .seconds(1_000), maxDelay: .seconds(3_600))
        #expect(linear.delay(forRetry: retry) == .seconds(3_600))
        let huge = Backoff.exponential(initial: .seconds(1_000_000_000), multiplier: 1_000, maxDelay: .seconds(9_000_000_000))
        #expect(huge.delay(forRetry: retry) == .seconds(9_000_000_000))
    }

    @Test("custom schedule yields its delays in order, then repeats the last")
    func custom() {
        let schedule = Backoff.custom([.milliseconds(100), .seconds(1), .seconds(5)])
        #expect(
            (1...5).map(schedule.delay(forRetry:)) == [
                .milliseconds(100), .seconds(1), .seconds(5), .seconds(5), .seconds(5),
            ])
    }

    @Test("retry numbers below 1 count as the first retry")
    func retryNumberBelowOne() {
        let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))
        #expect(schedule.delay(forRetry: 0) == .seconds(1))
        #expect(schedule.delay(forRetry: -5) == .seconds(1))
    }

    @Test("an unvalidated schedule with bad values still never traps or goes negative")
    func invalidValuesAreTotal() {
        #expect(Backoff.constant(.seconds(-1)).delay(forRetry: 3) == .zero)
        #expect(Backoff.exponential(initial: .seconds(1), multiplier: .nan, maxDelay: .seconds(5)).delay(forRetry: 3) == .seconds(5))
        #expect(Backoff.exponential(initial: .seconds(1), multiplier: .infinity, maxDelay: .seconds(5)).delay(forRetry: 3) == .seconds(5))
        #expect(Backoff.custom([]).delay(forRetry: 1) == .zero)
    }

    @Test(
        "validation names the invalid field",
        arguments: [
            (Backoff.constant(.seconds(-1)), "delay"),
            (.exponential(initial: .seconds(-1), maxDelay: .seconds(1)), "initialDelay"),
            (.exponential(initial: .seconds(1), multiplier: -2, maxDelay: .seconds(10)), "multiplier"),
            (.exponential(initial: .seconds(1), multiplier: 0.5, maxDelay: .seconds(10)), "multiplier"),
            (.exponential(initial: .seconds(1), multiplier: .nan, maxDelay: .seconds(10)), "multiplier"),
            (.exponential(initial: .seconds(1), multiplier: .infinity, maxDelay: .seconds(10)), "multiplier"),
            (.exponential(initial: .seconds(10), maxDelay: .seconds(1)), "maxDelay"),
            (.linear(initial: .seconds(1), increment: .seconds(-1), maxDelay: .seconds(10)), "increment"),
            (.linear(initial: .seconds(5), increment: .seconds(1), maxDelay: .seconds(1)), "maxDelay"),
            (.custom([]), "delays"),
            (.custom([.seconds(1), .seconds(-2)]), "delays[1]"),
            (.constant(.seconds(Int64.max)), "delay"),
            (.exponential(initial: .seconds(1), maxDelay: .seconds(Int64.max)), "maxDelay"),
        ] as [(Backoff, String)]
    )
    func validation(schedule: Backoff, field: String) {
        #expect {
            try schedule.validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == field && (error as? ConfigurationError)?.code == .invalidValue
        }
    }

    @Test("valid schedules pass validation")
    func validSchedules() throws {
        try Backoff.constant(.zero).validate()
        try Backoff.exponential(initial: .seconds(1), multiplier: 1, maxDelay: .seconds(1)).validate()
        try Backoff.linear(initial: .zero, increment: .zero, maxDelay: .zero).validate()
        try Backoff.custom([.zero]).validate()
    }
}
