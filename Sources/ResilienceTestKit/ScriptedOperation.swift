import Resilience

/// An operation that follows a script, one step per call, and counts its calls: fail with these errors,
/// then return that value.
///
/// The last step repeats once the script runs out. Safe to call from many tasks at once.
///
/// ```swift
/// let flaky = ScriptedOperation(failing: [TimeoutError(timeout: .seconds(5)), TimeoutError(timeout: .seconds(5))],
///                               thenReturning: "success")
/// let result = try await retry(.default, clock: clock) { try await flaky() }
/// #expect(result == "success")
/// #expect(flaky.callCount == 3)
/// ```
public final class ScriptedOperation<Value: Sendable>: Sendable {
    /// One call's outcome: ``fail(_:)`` or ``succeed(_:)``.
    ///
    /// A struct rather than an enum, so kinds of step can be added without breaking scripts.
    public struct Step: Sendable {
        fileprivate let outcome: Result<Value, any Error>

        /// The call throws `error`.
        ///
        /// - Parameter error: The error.
        public static func fail(_ error: any Error) -> Step { Step(outcome: .failure(error)) }

        /// The call returns `value`.
        ///
        /// - Parameter value: The value.
        public static func succeed(_ value: Value) -> Step { Step(outcome: .success(value)) }
    }

    private struct State {
        var callCount = 0
    }

    private let steps: [Step]
    private let state = AnnotatedMutex(State())

    /// Creates an operation that takes one step of `steps` per call, repeating the last.
    ///
    /// - Parameter steps: The outcomes of calls 1, 2, 3, …. An empty script throws
    ///   ``EmptyScriptError`` on every call.
    public init(_ steps: [Step]) {
        self.steps = steps
    }

    /// Creates an operation that throws each of `errors` in turn, then returns `value` on every later call.
    ///
    /// - Parameters:
    ///   - errors: The errors thrown by the first calls, in order.
    ///   - value: The value returned once the errors are used up.
    public convenience init(failing errors: [any Error], thenReturning value: Value) {
        self.init(errors.map(Step.fail) + [.succeed(value)])
    }

    /// Creates an operation that throws `error` `count` times, then returns `value` on every later call.
    ///
    /// - Parameters:
    ///   - count: How many calls fail.
    ///   - error: The error they throw.
    ///   - value: The value returned afterwards.
    public convenience init(failures count: Int, with error: any Error, thenReturning value: Value) {
        self.init(failing: Array(repeating: error, count: max(count, 0)), thenReturning: value)
    }

    /// How many times the operation has been called.
    public var callCount: Int {
        state.withLock { $0.callCount }
    }

    /// Takes the next step of the script synchronously.
    ///
    /// - Returns: The step's value.
    /// - Throws: The step's error.
    public func next() throws -> Value {
        let index = state.withLock { state in
            state.callCount += 1
            return state.callCount - 1
        }
        guard let last = steps.last else { throw EmptyScriptError() }
        return try (index < steps.count ? steps[index] : last).outcome.get()
    }

    /// Calls the operation: takes the next step of the script.
    ///
    /// - Returns: The step's value.
    /// - Throws: The step's error.
    nonisolated(nonsending) public func callAsFunction() async throws -> Value {
        try next()
    }
}

/// Thrown by a ``ScriptedOperation`` created with no steps.
public struct EmptyScriptError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    /// Says the script had no steps.
    public var description: String { "the scripted operation has no steps" }
}
