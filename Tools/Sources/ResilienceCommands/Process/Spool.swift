#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes kept to be read again and again: in memory up to a limit, beyond it in a temporary file.
///
/// `resilience run` replays its standard input to every attempt, and that input may be a database
/// dump of gigabytes (`pg_dump db | resilience run -- upload-backup`); it holds each attempt's
/// standard output until it knows where it goes, and that may be a download of gigabytes. A ``SpoolWriter`` keeps the
/// first ``defaultMemoryLimit`` bytes in memory and moves everything to a temporary file once the
/// input outgrows it. The file is unlinked as soon as it is created, so nothing is left behind
/// whatever ends `resilience`, and the space is freed when the spool goes.
///
/// `Sendable`: a spool never changes once built, and reads use `pread`, which does not move a shared
/// file offset.
package final class Spool: Hashable, Sendable {
    /// How many bytes a ``SpoolWriter`` keeps in memory before moving to a file: 8 MiB.
    package static let defaultMemoryLimit = 8 << 20

    /// How many bytes a spool of `resilience run` may hold in all unless `--spool-limit` says: 1 GiB.
    package static let defaultLimit = 1 << 30

    /// The number of bytes.
    package let count: Int
    /// The bytes, when they are in memory.
    private let memory: [UInt8]
    /// The unlinked temporary file holding the bytes, or -1 when they are in memory.
    private let file: Int32

    /// A spool of `bytes`, in memory.
    ///
    /// - Parameter bytes: The bytes.
    package convenience init(_ bytes: [UInt8]) {
        self.init(memory: bytes, file: -1, count: bytes.count)
    }

    fileprivate init(memory: [UInt8], file: Int32, count: Int) {
        self.memory = memory
        self.file = file
        self.count = count
    }

    deinit {
        if file >= 0 { close(file) }
    }

    /// Whether the bytes are in memory rather than in a temporary file.
    package var isInMemory: Bool { file < 0 }

    /// Copies bytes from `offset` on into `buffer`, as many as fit.
    ///
    /// - Parameters:
    ///   - offset: Where to start, from 0 to ``count``.
    ///   - buffer: Where to copy them.
    /// - Returns: The number of bytes copied: 0 at the end, -1 when the file cannot be read (`errno`
    ///   says why).
    package func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        readSpooled(memory: memory, file: file, count: count, at: offset, into: buffer)
    }

    /// Whether two spools hold the same bytes (reading both back).
    package static func == (lhs: Spool, rhs: Spool) -> Bool {
        lhs === rhs || (lhs.count == rhs.count && lhs.allBytes() == rhs.allBytes())
    }

    /// Hashes the number of bytes only (equal spools have equal counts).
    package func hash(into hasher: inout Hasher) {
        hasher.combine(count)
    }

    /// Every byte, read back; for tests and small spools.
    ///
    /// - Returns: The bytes, or `nil` when the file cannot be read.
    package func allBytes() -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let read = bytes.withUnsafeMutableBytes { buffer in
                self.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]))
            }
            guard read > 0 else { return nil }
            offset += read
        }
        return bytes
    }
}

/// Copies bytes of a spool (in `memory`, or in `file` when it is not -1) from `offset` on into
/// `buffer`; see ``Spool/read(at:into:)``.
private func readSpooled(
    memory: [UInt8], file: Int32, count: Int, at offset: Int, into buffer: UnsafeMutableRawBufferPointer
) -> Int {
    let wanted = min(buffer.count, count - offset)
    guard wanted > 0, offset >= 0, let destination = buffer.baseAddress else { return 0 }
    if file < 0 {
        return memory.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return 0 }
            destination.copyMemory(from: base + offset, byteCount: wanted)
            return wanted
        }
    }
    while true {
        let read = pread(file, destination, wanted, off_t(offset))
        if read >= 0 || errno != EINTR { return read }
    }
}

/// Builds a ``Spool`` from bytes appended in turn: in memory up to a limit, then in a temporary file,
/// never more than ``limit`` bytes in all.
///
/// ``append(_:)`` throws when the temporary file cannot be created or written (for an input that
/// must be kept whole or not at all); ``appendFallingBackToMemory(_:)`` keeps the bytes in memory
/// instead (for output, better held in memory than lost), and says why in ``spillError``. Both throw
/// when the bytes would take the spool past ``limit``.
package struct SpoolWriter {
    /// How many bytes stay in memory before everything moves to a file.
    package let memoryLimit: Int
    /// The most bytes the spool may hold (`--spool-limit`).
    package let limit: Int
    /// Where the temporary file goes: `TMPDIR`, or `/tmp`.
    package let directory: String
    /// Why the bytes stayed in memory past the limit, after ``appendFallingBackToMemory(_:)`` could
    /// not use a temporary file.
    package private(set) var spillError: SpoolError?
    private var memory: [UInt8] = []
    private var file: Int32 = -1
    /// How many bytes the spool holds.
    package private(set) var count = 0

    /// Creates an empty writer.
    ///
    /// - Parameters:
    ///   - memoryLimit: How many bytes to keep in memory; ``Spool/defaultMemoryLimit`` unless given.
    ///   - limit: The most bytes to keep in all; no limit unless given.
    ///   - directory: Where to create the temporary file; `TMPDIR`, or `/tmp`, unless given.
    package init(memoryLimit: Int = Spool.defaultMemoryLimit, limit: Int = .max, directory: String? = nil) {
        self.memoryLimit = memoryLimit
        self.limit = limit
        self.directory = directory ?? getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// Appends `bytes`, moving everything to a temporary file when the memory limit is passed.
    ///
    /// - Parameter bytes: The bytes to add.
    /// - Throws: ``SpoolError`` when the temporary file cannot be created or written (the disk full);
    ///   the bytes are then not added.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) throws(SpoolError) {
        guard !bytes.isEmpty else { return }
        guard bytes.count <= limit - count else { throw SpoolError(limit: limit) }
        if file < 0 && (memory.count + bytes.count <= memoryLimit || spillError != nil) {
            memory.append(contentsOf: bytes)
        } else {
            if file < 0 { try moveToFile() }
            try writeToFile(bytes, at: count)
        }
        count += bytes.count
    }

    /// Appends `bytes` like ``append(_:)``, but when the temporary file cannot be created or written,
    /// keeps everything in memory from then on (``spillError`` says why).
    ///
    /// - Parameter bytes: The bytes to add.
    /// - Throws: ``SpoolError`` only when the bytes would take the spool past ``limit``.
    package mutating func appendFallingBackToMemory(_ bytes: UnsafeRawBufferPointer) throws(SpoolError) {
        do {
            try append(bytes)
        } catch  where error.isLimit {
            throw error
        } catch {
            spillError = error
            if file >= 0 {
                // The file holds the first `count` bytes whatever a failed write left after them.
                memory = Spool(memory: [], file: file, count: count).allBytes() ?? []
                file = -1  // closed by that spool
                count = memory.count
            }
            memory.append(contentsOf: bytes)
            count += bytes.count
        }
    }

    /// Copies bytes appended so far, from `offset` on, into `buffer`; see ``Spool/read(at:into:)``.
    ///
    /// - Parameters:
    ///   - offset: Where to start, from 0 to ``count``.
    ///   - buffer: Where to copy them.
    /// - Returns: The number of bytes copied: 0 at the end, -1 when the file cannot be read.
    package func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        readSpooled(memory: memory, file: file, count: count, at: offset, into: buffer)
    }

    /// The spool of every byte appended.
    ///
    /// - Returns: The spool, which owns the temporary file if there is one.
    package consuming func finish() -> Spool {
        Spool(memory: file < 0 ? memory : [], file: file, count: count)
    }

    /// Creates the (at once unlinked) temporary file and moves the bytes in memory to it; on failure
    /// they stay in memory.
    private mutating func moveToFile() throws(SpoolError) {
        var template = Array("\(directory)/resilience-spool.XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkstemp($0) } ?? -1 }
        guard descriptor >= 0 else {
            throw SpoolError("cannot create a temporary file in \"\(directory)\": \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { if let path = $0.baseAddress { unlink(path) } }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        file = descriptor
        let failure = memory.withUnsafeBytes { bytes -> SpoolError? in
            do throws(SpoolError) {
                try writeToFile(bytes, at: 0)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            close(descriptor)
            file = -1
            throw failure
        }
        memory = []
    }

    /// Writes `bytes` to the file at `offset`.
    private func writeToFile(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SpoolError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let written = pwrite(file, base + done, bytes.count - done, off_t(offset + done))
            if written > 0 {
                done += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                let reason = written < 0 ? String(cString: strerror(errno)) : "nothing written"
                throw SpoolError("cannot write a temporary file in \"\(directory)\": \(reason)")
            }
        }
    }
}

/// A spool's temporary file could not be created or written, or the spool would pass its limit.
package struct SpoolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, naming the directory or the limit.
    package let message: String
    /// Whether the spool would have passed its limit (``SpoolWriter/limit``).
    package let isLimit: Bool

    init(_ message: String) {
        self.message = message
        isLimit = false
    }

    /// The error for a spool that would pass `limit` bytes.
    init(limit: Int) {
        message = "it passed the --spool-limit of \(ByteCount.format(limit))"
        isLimit = true
    }

    /// The message.
    package var description: String { message }
}
