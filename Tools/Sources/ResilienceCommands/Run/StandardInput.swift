#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience`'s own standard input, replayed to every attempt.
package enum StandardInput {
    /// Whether standard input is a terminal (then there is nothing to replay: reading it would wait
    /// for the user to type an end of file).
    package static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// `resilience`'s standard input as the attempts will take it: nothing is read yet (see
    /// ``InputSpool``).
    ///
    /// - Parameter limit: The most bytes kept to replay (`--spool-limit`).
    /// - Returns: The spool, or `nil` when standard input is closed or a terminal.
    package static func spool(limit: Int) -> InputSpool? {
        guard !isTerminal, fcntl(STDIN_FILENO, F_GETFD) >= 0 else { return nil }
        return InputSpool(source: STDIN_FILENO, writer: SpoolWriter(limit: limit))
    }
}
