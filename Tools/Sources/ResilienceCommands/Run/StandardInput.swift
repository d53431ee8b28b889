#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads `resilience`'s own standard input once, to replay it to every attempt.
package enum StandardInput {
    /// Whether standard input is a terminal (then there is nothing to replay: reading it would wait
    /// for the user to type an end of file).
    package static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Reads standard input to its end, into memory or, beyond the writer's memory limit, a temporary
    /// file.
    ///
    /// - Parameter spool: Where the bytes go; a default ``SpoolWriter`` unless given.
    /// - Returns: Every byte, or `nil` when standard input is closed or a terminal.
    /// - Throws: ``SpoolError`` when the input outgrows memory and the temporary file cannot be written.
    package static func readAll(into spool: consuming SpoolWriter = SpoolWriter()) throws(SpoolError) -> Spool? {
        guard !isTerminal, fcntl(STDIN_FILENO, F_GETFD) >= 0 else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = read(STDIN_FILENO, buffer.baseAddress, buffer.count)
            if count > 0 {
                try spool.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && errno == EAGAIN {
                var descriptors = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
                _ = poll(&descriptors, 1, -1)
            } else {
                return spool.finish()
            }
        }
    }
}
