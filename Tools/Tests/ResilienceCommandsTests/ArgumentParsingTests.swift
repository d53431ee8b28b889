import Resilience
import Testing

@testable import ResilienceCommands

@Suite("Parsing durations, exit-status lists and jitter kinds")
struct ArgumentParsingTests {
    @Test(
        "durations take units; a bare number is seconds",
        arguments: [
            ("2", Duration.seconds(2)), ("0", .zero), ("0.5", .milliseconds(500)), ("500ms", .milliseconds(500)),
            ("1.5s", .milliseconds(1_500)), ("2m", .seconds(120)), ("1h", .seconds(3_600)), ("250us", .microseconds(250)),
            ("10ns", .nanoseconds(10)), ("1m30s", .seconds(90)), (" 3s ", .seconds(3)), ("0.1s", .milliseconds(100)),
        ]
    )
    func durations(text: String, expected: Duration) throws {
        #expect(try DurationArgument.parse(text) == expected)
    }

    @Test(
        "bad durations are refused with a reason",
        arguments: [
            ("", "empty"), ("-1s", "\"-1s\" is negative"), ("5x", "unknown unit \"x\""), ("s", "is not a duration"),
            ("1e3", "unknown unit \"e\""), ("inf", "is not a duration"), ("nan", "is not a duration"), ("1.2.3s", "is not a duration"),
            ("1m30", "every part of a combined duration needs a unit"), ("999999999999h", "too long"),
        ]
    )
    func badDurations(text: String, reason: String) {
        #expect {
            try DurationArgument.parse(text)
        } throws: { error in
            (error as? ArgumentError)?.message.contains(reason) == true
        }
    }

    @Test("the argument types are ExpressibleByArgument: a value parses, anything else is nil")
    func expressibleByArgument() {
        #expect(DurationArgument(argument: "1m30s")?.duration == .seconds(90))
        #expect(DurationArgument(argument: "-1s") == nil)
        #expect(JitterArgument(argument: "proportional:0.25")?.jitter == .proportional(0.25))
        #expect(JitterArgument(argument: "wobbly") == nil)
        #expect(AttemptCount(argument: "forever")?.count == .max)
        #expect(AttemptCount(argument: "-1") == nil)
        #expect(ExitStatusSet(argument: "1-3,signal")?.description == "1-3,signal")
        #expect(ExitStatusSet(argument: "3-1") == nil)
        #expect(PolicyArguments.BackoffKind(argument: "Linear") == .linear)
        #expect(ByteCount(argument: "2GiB")?.bytes == 2 << 30)
        #expect(ByteCount(argument: "0") == nil)
    }

    @Test(
        "durations print short",
        arguments: [
            (Duration.zero, "0s"), (.milliseconds(250), "250ms"), (.microseconds(11_400), "11.4ms"), (.milliseconds(1_500), "1.5s"),
            (.seconds(90), "1m30s"), (.seconds(120), "2m"), (.seconds(7_200), "2h"),
            // What rounds up to the next unit is printed in it; what rounds to 0 ms, in nanoseconds
            // (found by fuzzing: "999.96ms" printed as "1000ms", which prints as "1s").
            (.microseconds(999_960), "1s"), (.nanoseconds(999_999_999), "1s"), (.nanoseconds(999_999), "1ms"),
            (.nanoseconds(59_996_000_000), "1m"), (.nanoseconds(400), "400ns"), (.nanoseconds(500), "0.001ms"),
        ])
    func formatting(duration: Duration, text: String) throws {
        #expect(DurationArgument.format(duration) == text)
        // It parses back to a duration that prints the same.
        #expect(DurationArgument.format(try DurationArgument.parse(text)) == text)
    }

    @Test("exit-status lists take statuses, ranges and keywords")
    func exitStatusLists() throws {
        let set = try ExitStatusSet(parsing: "75, 100-110,signal")
        #expect(set.contains(status: 75))
        #expect(set.contains(status: 100) && set.contains(status: 105) && set.contains(status: 110))
        #expect(!set.contains(status: 99) && !set.contains(status: 111) && !set.contains(status: 0))
        #expect(set.includesSignals && !set.includesTimeouts)
        #expect(set.description == "75,100-110,signal")
        #expect(try ExitStatusSet(parsing: "0-255").description == "0-255")
        #expect(try ExitStatusSet(parsing: "timeout").includesTimeouts)
    }

    @Test(
        "bad exit-status lists are refused",
        arguments: ["", "256", "-1", "3-1", "1,,2", "abc", "1-2-3", "1000", "1.5", "sig"]
    )
    func badExitStatusLists(text: String) {
        #expect(throws: ArgumentError.self) { try ExitStatusSet(parsing: text) }
    }

    @Test("an outcome matches by its status as a shell reports it, or by the signal and timeout keywords")
    func matching() throws {
        let killed = AttemptOutcome(attempt: 1, termination: .signaled(signal: 9))
        let timedOut = AttemptOutcome(attempt: 1, termination: .timedOut(limit: .seconds(1), byDeadline: false))
        let exited = AttemptOutcome(attempt: 1, termination: .exited(code: 3))
        #expect(killed.exitStatus == 137)
        #expect(timedOut.exitStatus == 124)
        #expect(try ExitStatusSet(parsing: "signal").matches(killed))
        #expect(try ExitStatusSet(parsing: "137").matches(killed))
        #expect(try !ExitStatusSet(parsing: "signal").matches(exited))
        #expect(try ExitStatusSet(parsing: "timeout").matches(timedOut))
        #expect(try ExitStatusSet(parsing: "124").matches(timedOut))
        #expect(try !ExitStatusSet(parsing: "timeout").matches(killed))
        #expect(try ExitStatusSet(parsing: "1-3").matches(exited))
    }

    @Test("repeated lists combine")
    func union() throws {
        let set = try ExitStatusSet(parsing: "1").union(ExitStatusSet(parsing: "3,timeout"))
        #expect(set.description == "1,3,timeout")
    }

    @Test("exit-status statuses of outcomes follow the shell's conventions")
    func exitStatuses() {
        #expect(AttemptOutcome(attempt: 1, termination: .cannotStart(errno: ENOENT)).exitStatus == 127)
        #expect(AttemptOutcome(attempt: 1, termination: .cannotStart(errno: EACCES)).exitStatus == 126)
        #expect(AttemptOutcome(attempt: 1, termination: .interrupted(signal: 2)).exitStatus == 130)
        #expect(AttemptOutcome(attempt: 1, termination: .rejected(AttemptRejection(reason: "open"))).exitStatus == 75)
    }

    @Test(
        "jitter kinds",
        arguments: [
            ("none", Jitter.none), ("full", .full), ("equal", .equal), ("decorrelated", .decorrelated),
            ("proportional", .proportional(0.5)), ("proportional:0.25", .proportional(0.25)), ("Full", .full),
        ]
    )
    func jitterKinds(text: String, jitter: Jitter) throws {
        #expect(try JitterArgument.parse(text) == jitter)
    }

    @Test(
        "bad jitter kinds are refused",
        arguments: ["", "half", "proportional:", "proportional:1.5", "proportional:-0.1", "proportional:nan"])
    func badJitterKinds(text: String) {
        #expect(throws: ArgumentError.self) { try JitterArgument.parse(text) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
