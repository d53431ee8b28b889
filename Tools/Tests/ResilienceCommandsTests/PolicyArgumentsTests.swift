import Resilience
import Testing

@testable import ResilienceCommands

@Suite("Building the retry policy from a preset and flags")
struct PolicyArgumentsTests {
    @Test("with no flags the preset's schedule, jitter and attempts are used as they are", arguments: RetryPolicy.presets.keys.sorted())
    func presetsAsTheyAre(name: String) throws {
        var arguments = PolicyArguments()
        arguments.preset = name
        let policy = try arguments.makePolicy()
        let preset = try #require(RetryPolicy.presets[name])
        #expect(policy.maxAttempts == preset.maxAttempts)
        #expect(policy.backoff == preset.backoff)
        #expect(policy.jitter == preset.jitter)
        #expect(policy.maxElapsedTime == nil)
        #expect(policy.retryableCategories == [.transient])
    }

    @Test("each flag replaces one field and keeps the others")
    func overrides() throws {
        var arguments = PolicyArguments()
        arguments.preset = "rate-limit"
        arguments.base = .milliseconds(100)
        #expect(try arguments.makePolicy().backoff == .exponential(initial: .milliseconds(100), multiplier: 3, maxDelay: .seconds(120)))
        arguments.multiplier = 1.5
        arguments.maxDelay = .seconds(10)
        arguments.jitter = .full
        arguments.attempts = 7
        arguments.deadline = .seconds(30)
        let policy = try arguments.makePolicy()
        #expect(policy.backoff == .exponential(initial: .milliseconds(100), multiplier: 1.5, maxDelay: .seconds(10)))
        #expect(policy.jitter == .full)
        #expect(policy.maxAttempts == 7)
        #expect(policy.maxElapsedTime == .seconds(30))
    }

    @Test("--backoff changes the shape, keeping the base")
    func shapes() throws {
        var arguments = PolicyArguments()
        arguments.backoff = .constant
        #expect(try arguments.makePolicy().backoff == .constant(.seconds(1)))
        arguments.backoff = .linear
        arguments.base = .seconds(2)
        #expect(try arguments.makePolicy().backoff == .linear(initial: .seconds(2), increment: .seconds(2), maxDelay: .seconds(60)))
        arguments.increment = .milliseconds(500)
        #expect(try arguments.makePolicy().backoff == .linear(initial: .seconds(2), increment: .milliseconds(500), maxDelay: .seconds(60)))
    }

    @Test("a --base above the preset's cap raises the cap rather than failing")
    func capFollowsBase() throws {
        var arguments = PolicyArguments()
        arguments.base = .seconds(120)
        #expect(try arguments.makePolicy().backoff == .exponential(initial: .seconds(120), multiplier: 2, maxDelay: .seconds(120)))
    }

    @Test(
        "invalid values are reported with the flag's name",
        arguments: [
            (PolicyArguments.mutation { $0.multiplier = 0.5 }, "--multiplier must be at least 1, got 0.5"),
            (PolicyArguments.mutation { $0.deadline = .zero }, "--deadline must be positive"),
            (PolicyArguments.mutation { $0.preset = "yolo" }, "unknown --policy \"yolo\""),
            (
                PolicyArguments.mutation {
                    $0.backoff = .constant
                    $0.multiplier = 2
                }, "--multiplier applies to exponential backoff only"
            ),
            (PolicyArguments.mutation { $0.increment = .seconds(1) }, "--increment applies to linear backoff only"),
            (
                PolicyArguments.mutation {
                    $0.base = .seconds(5)
                    $0.maxDelay = .seconds(1)
                }, "--max-delay must be at least --base"
            ),
        ]
    )
    func invalid(arguments: PolicyArguments, message: String) {
        #expect {
            try arguments.makePolicy()
        } throws: { error in
            (error as? ArgumentError)?.message.hasPrefix(message) == true
        }
    }

    @Test("--attempts takes a number of at least 1 or 'forever'")
    func attempts() throws {
        #expect(try PolicyArguments.parseAttempts("4") == 4)
        #expect(try PolicyArguments.parseAttempts("forever") == .max)
        #expect(throws: ArgumentError.self) { try PolicyArguments.parseAttempts("0") }
        #expect(throws: ArgumentError.self) { try PolicyArguments.parseAttempts("-3") }
        #expect(throws: ArgumentError.self) { try PolicyArguments.parseAttempts("lots") }
    }

    @Test("the options parse into one configuration")
    func options() throws {
        let options = try RunOptions.parse([
            "--attempts", "4", "--base", "250ms", "--jitter", "equal", "--timeout", "5s", "--kill-after", "1s",
            "--retry-on", "75", "--retry-on", "signal", "--stop-on", "3", "--quiet", "--json", "--", "curl", "-f", "--", "x",
        ])
        let configuration = try options.configuration()
        #expect(configuration.command == ["curl", "-f", "--", "x"])
        #expect(configuration.policy.maxAttempts == 4)
        #expect(configuration.policy.backoff == .exponential(initial: .milliseconds(250), multiplier: 2, maxDelay: .seconds(60)))
        #expect(configuration.policy.jitter == .equal)
        #expect(configuration.attemptTimeout == .seconds(5))
        #expect(configuration.killGrace == .seconds(1))
        #expect(configuration.retryOn?.description == "75,signal")
        #expect(configuration.stopOn.description == "3")
        #expect(configuration.quiet)
        #expect(configuration.summaryDestination == .standardError)
        #expect(configuration.replaysStandardInput)
    }
}

extension PolicyArguments: CustomTestStringConvertible {
    /// Default arguments changed by `change`, for test tables.
    static func mutation(_ change: (inout PolicyArguments) -> Void) -> PolicyArguments {
        var arguments = PolicyArguments()
        change(&arguments)
        return arguments
    }

    /// The arguments, for test names.
    public var testDescription: String { "\(self)" }
}
