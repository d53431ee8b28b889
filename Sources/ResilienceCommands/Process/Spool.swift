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
/// dump of gigabytes (`pg_dump db | resilience run -- upload-backup`). A ``SpoolWriter`` keeps the
/// first ``defaultMemoryLimit`` bytes in memory and moves everything to a temporary file once the
/// input outgrows it. The file is unlinked as soon as it is created, so nothing is left behind
/// whatever ends `resilience`, and the space is freed when the spool goes.
///
/// `Sendable`: a spool never changes once built, and reads use `pread`, which does not move a shared
/// file offset.
public final class Spool: Sendable {
    /// How many bytes a ``SpoolWriter`` keeps in memory before moving to a file: 8 MiB.
    public static let defaultMemoryLimit = 8 << 20

    /// The number of bytes.
    public let count: Int
    /// The bytes, when they are in memory.
    private let memory: [UInt8]
    /// The unlinked temporary file holding the bytes, or -1 when they are in memory.
    private let file: Int32

    /// A spool of `bytes`, in memory.
    ///
    /// - Parameter bytes: The bytes.
    public convenience init(_ bytes: [UInt8]) {
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
    public var isInMemory: Bool { file < 0 }

    /// Copies bytes from `offset` on into `buffer`, as many as fit.
    ///
    /// - Parameters:
    ///   - offset: Where to start, from 0 to ``count``.
    ///   - buffer: Where to copy them.
    /// - Returns: The number of bytes copied: 0 at the end, -1 when the file cannot be read (`errno`
    ///   says why).
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let wanted = min(buffer.count, count - offset)
        guard wanted > 0, let destination = buffer.baseAddress else { return 0 }
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

    /// Every byte, read back; for tests and small spools.
    ///
    /// - Returns: The bytes, or `nil` when the file cannot be read.
    public func allBytes() -> [UInt8]? {
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

/// Builds a ``Spool`` from bytes appended in turn: in memory up to a limit, then in a temporary file.
public struct SpoolWriter {
    /// How many bytes stay in memory before everything moves to a file.
    public let memoryLimit: Int
    /// Where the temporary file goes: `TMPDIR`, or `/tmp`.
    public let directory: String
    private var memory: [UInt8] = []
    private var file: Int32 = -1
    private var count = 0

    /// Creates an empty writer.
    ///
    /// - Parameters:
    ///   - memoryLimit: How many bytes to keep in memory; ``Spool/defaultMemoryLimit`` unless given.
    ///   - directory: Where to create the temporary file; `TMPDIR`, or `/tmp`, unless given.
    public init(memoryLimit: Int = Spool.defaultMemoryLimit, directory: String? = nil) {
        self.memoryLimit = memoryLimit
        self.directory = directory ?? getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    /// Appends `bytes`, moving everything to a temporary file when the memory limit is passed.
    ///
    /// - Parameter bytes: The bytes to add.
    /// - Throws: ``SpoolError`` when the temporary file cannot be created or written (the disk full).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) throws(SpoolError) {
        guard !bytes.isEmpty else { return }
        if file < 0 && memory.count + bytes.count <= memoryLimit {
            memory.append(contentsOf: bytes)
            count += bytes.count
            return
        }
        if file < 0 {
            try moveToFile()
        }
        try writeToFile(bytes)
        count += bytes.count
    }

    /// The spool of every byte appended.
    ///
    /// - Returns: The spool, which owns the temporary file if there is one.
    public consuming func finish() -> Spool {
        Spool(memory: file < 0 ? memory : [], file: file, count: count)
    }

    private mutating func moveToFile() throws(SpoolError) {
        var template = Array("\(directory)/resilience-spool.XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkstemp($0) } ?? -1 }
        guard descriptor >= 0 else {
            throw SpoolError("cannot create a temporary file in \"\(directory)\": \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { if let path = $0.baseAddress { unlink(path) } }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        file = descriptor
        let kept = memory
        memory = []
        let failure = kept.withUnsafeBytes { bytes -> SpoolError? in
            do throws(SpoolError) {
                try writeToFile(bytes)
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
    }

    private func writeToFile(_ bytes: UnsafeRawBufferPointer) throws(SpoolError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(file, base + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                let reason = written < 0 ? String(cString: strerror(errno)) : "nothing written"
                throw SpoolError("cannot write a temporary file in \"\(directory)\": \(reason)")
            }
        }
    }
}

/// A spool's temporary file could not be created or written.
public struct SpoolError: Error, CustomStringConvertible {
    /// What went wrong, naming the directory.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
