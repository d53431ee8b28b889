#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads `resilience`'s own standard input once, to replay it to every attempt.
public enum StandardInput {
    /// Whether standard input is a terminal (then there is nothing to replay: reading it would wait
    /// for the user to type an end of file).
    public static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Reads standard input to its end.
    ///
    /// - Returns: Every byte, or `nil` when standard input is closed or a terminal.
    public static func readAll() -> [UInt8]? {
        guard !isTerminal, fcntl(STDIN_FILENO, F_GETFD) >= 0 else { return nil }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(STDIN_FILENO, &buffer, buffer.count)
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && errno == EAGAIN {
                var descriptors = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
                _ = poll(&descriptors, 1, -1)
            } else {
                return data
            }
        }
    }
}
