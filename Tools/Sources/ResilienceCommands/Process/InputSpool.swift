#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience run`'s standard input, read as the attempts take it and kept to be replayed.
///
/// Nothing is read before the first attempt starts: each attempt is first given what earlier
/// attempts took (read back from the spool), and when it wants more, the attempt's pump reads the
/// next chunk from the source (``fill(using:)``), keeps it, and passes it on. So the command starts
/// while input is still arriving (`tail -f log | resilience run -- grep -m1 ready`), input is read
/// only as fast as the command takes it, and input no attempt wants is never read (`yes | resilience
/// run -- head -1` ends at once). A later attempt gets everything an earlier one took, then reads on.
///
/// What is kept goes to a ``SpoolWriter``: up to 8 MiB in memory, then a temporary file, at most
/// `limit` bytes (`--spool-limit`, 1 GiB by default). Past the limit, or when the temporary file
/// cannot be written, ``fill(using:)`` throws: the input cannot be replayed, and the run fails (74)
/// rather than filling the disk.
///
/// `Sendable`: its state is behind a lock (``LockedState``); one attempt's pump uses it at a time.
package final class InputSpool: Sendable {
    private struct State {
        var writer: SpoolWriter
        var isComplete: Bool
    }

    /// The file descriptor read from, such as `STDIN_FILENO`; -1 for a spool complete from the start.
    package let source: Int32
    private let state: LockedState<State>

    /// A spool that reads `source` as attempts want it.
    ///
    /// - Parameters:
    ///   - source: The file descriptor to read, such as `STDIN_FILENO`.
    ///   - writer: Where to keep what is read; its limit bounds the spool.
    package init(source: Int32, writer: consuming SpoolWriter) {
        self.source = source
        state = LockedState(State(writer: writer, isComplete: false))
    }

    /// A spool of `bytes` and nothing more (for tests).
    ///
    /// - Parameter bytes: The whole input.
    package init(_ bytes: [UInt8]) {
        source = -1
        var writer = SpoolWriter()
        bytes.withUnsafeBytes { try? writer.append($0) }
        state = LockedState(State(writer: writer, isComplete: true))
    }

    /// How many bytes have been read and kept so far.
    package var count: Int { state.withLock { $0.writer.count } }

    /// Whether the source has reached its end: ``count`` is the whole input.
    package var isComplete: Bool { state.withLock { $0.isComplete } }

    /// Copies kept bytes from `offset` on into `buffer`; see ``Spool/read(at:into:)``.
    ///
    /// - Parameters:
    ///   - offset: Where to start, from 0 to ``count``.
    ///   - buffer: Where to copy them.
    /// - Returns: The number of bytes copied: 0 at the end of what is kept, -1 on a read error.
    package func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        state.withLock { $0.writer.read(at: offset, into: buffer) }
    }

    /// Reads what the source has now (one `read(2)` of at most `buffer.count` bytes) and keeps it;
    /// at the end of the source, marks the spool complete. Call it when the source is readable.
    ///
    /// - Parameter buffer: Scratch space for the read.
    /// - Throws: ``SpoolError`` when the bytes cannot be kept: past the limit, or the temporary file
    ///   failed. The spool is then of no use for replaying.
    package func fill(using buffer: UnsafeMutableRawBufferPointer) throws(SpoolError) {
        guard source >= 0 else { return }
        try state.withLock { (state: inout State) throws(SpoolError) in
            guard !state.isComplete else { return }
            let count = readSource(source, buffer)
            if count > 0 {
                try state.writer.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                // The end, or a source that cannot be read (a closed descriptor): no more input.
                state.isComplete = true
            }
        }
    }
}

/// `read(2)` of at most `buffer.count` bytes from `descriptor`. (A free function, so that the
/// spool's own `read(at:into:)` does not shadow the C library's.)
private func readSource(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(descriptor, buffer.baseAddress, buffer.count)
}
