/// A command-line value that could not be understood, with a message saying why.
///
/// The parsers of ``DurationArgument``, ``ExitStatusSet``, ``JitterArgument`` and ``ClientCounts``
/// throw it; the commands turn it into a usage error (exit status 64) naming the option.
package struct ArgumentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, such as `"2x" has an unknown unit "x"; use ns, us, ms, s, m or h`.
    package var message: String

    /// Creates an error with a message.
    ///
    /// - Parameter message: What is wrong with the value.
    package init(_ message: String) {
        self.message = message
    }

    /// The message.
    package var description: String { message }
}
