#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `resilience run` writes: its standard output (the final attempt's output) and its standard
/// error (progress, earlier attempts' output, the JSON summary).
package protocol OutputSink: Sendable {
    /// Writes `bytes` in full.
    ///
    /// - Parameter bytes: The bytes to write.
    func write(_ bytes: [UInt8])
}

extension OutputSink {
    /// Writes `text` as UTF-8.
    ///
    /// - Parameter text: The text to write.
    package func write(_ text: String) {
        write(Array(text.utf8))
    }

    /// Writes every byte of `spool`, a chunk at a time (a spool in a file is never all in memory).
    ///
    /// - Parameter spool: The bytes to write.
    package func write(_ spool: Spool) {
        var chunk = [UInt8](repeating: 0, count: min(spool.count, 1 << 20))
        var offset = 0
        while offset < spool.count {
            let read = chunk.withUnsafeMutableBytes { spool.read(at: offset, into: $0) }
            guard read > 0 else { return }
            write(read == chunk.count ? chunk : Array(chunk[0..<read]))
            offset += read
        }
    }
}

/// An ``OutputSink`` writing to a file descriptor with `write(2)`, retrying short writes and waiting
/// out a non-blocking descriptor. A closed reader (`EPIPE`) drops the rest silently.
package struct FileDescriptorSink: OutputSink {
    /// The file descriptor.
    package var descriptor: Int32

    /// Creates a sink for `descriptor`.
    ///
    /// - Parameter descriptor: An open file descriptor.
    package init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The process's standard output.
    package static let standardOutput = FileDescriptorSink(descriptor: STDOUT_FILENO)
    /// The process's standard error.
    package static let standardError = FileDescriptorSink(descriptor: STDERR_FILENO)

    /// Writes `bytes` in full, or until the descriptor fails.
    package func write(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while offset < buffer.count {
                #if canImport(Darwin)
                let count = Darwin.write(descriptor, base + offset, buffer.count - offset)
                #elseif canImport(Musl)
                let count = Musl.write(descriptor, base + offset, buffer.count - offset)
                #else
                let count = Glibc.write(descriptor, base + offset, buffer.count - offset)
                #endif
                if count > 0 {
                    offset += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else if count < 0 && errno == EAGAIN {
                    var descriptors = [pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)]
                    _ = poll(&descriptors, 1, 1_000)
                } else {
                    return
                }
            }
        }
    }
}
