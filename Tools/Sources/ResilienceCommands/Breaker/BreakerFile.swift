import Foundation
@_spi(ResilienceTools) import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A circuit breaker state file shared by concurrent `resilience run --breaker FILE` invocations:
/// every read-modify-write of the ``BreakerState`` happens under an exclusive lock, and every write
/// replaces the file atomically.
///
/// **Locking.** ``update(discardingDamage:_:)`` takes an exclusive `flock(2)` on a separate lock file,
/// `FILE.lock` (created next to FILE and left there), reads FILE, runs the change and writes the
/// result, then releases the lock. The lock is held for that read-modify-write only, never while a
/// command runs. `flock` locks belong to the open file description, so the kernel releases them when
/// a holder dies, even by `SIGKILL`, and closing another descriptor of the same file does not release
/// them (as it would `fcntl` locks). A lock that cannot be had within ``lockTimeout`` is an error
/// rather than a hang. The wait counts only time spent polling for the lock: while the waiter is
/// stopped (`SIGSTOP`, a suspended laptop, a stalled VM), so is the holder, most likely, and giving up
/// the moment it resumes would fail a run that one more try would let through.
///
/// **Atomic writes.** The new state goes to `FILE.tmp` in the same directory, which is flushed with
/// `fsync` and then renamed over FILE. `rename(2)` within a file system is atomic: a reader sees the
/// old state or the new, never a mix, and a crash (or `SIGKILL`, or a power cut after the `fsync`) at
/// any moment leaves FILE whole, at worst with a stale `FILE.tmp` that the next write replaces.
/// Truncating and rewriting FILE in place would leave it empty or half-written on a crash, bricking
/// every later run. The lock cannot live on FILE itself, since each rename puts a new file (a new
/// inode) there and a waiter would end up holding the lock of the replaced one; hence `FILE.lock`.
///
/// A missing FILE, or an empty one (as `touch` leaves it), holds no state yet: a closed breaker. When
/// FILE is a symbolic link, its target is the state file (and the lock file sits beside the target).
package struct BreakerFile: Sendable {
    /// The state file's path, as given.
    package let path: String
    /// How long to wait for the lock before giving up with an error, counting only time spent polling
    /// for it (time the process was stopped is not held against the holder).
    package var lockTimeout: Duration

    /// Where the state is read and written: ``path``, or its target when it is a symbolic link.
    var resolvedPath: String {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK, let resolved = realpath(path, nil) else {
            return path
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The largest state file read; a state is a few kilobytes.
    static let maximumSize = 16 << 20

    /// Creates the store of the state file at `path`; nothing is opened or created yet.
    ///
    /// - Parameters:
    ///   - path: The state file's path.
    ///   - lockTimeout: How long to wait for the lock before giving up; 10 seconds by default.
    package init(path: String, lockTimeout: Duration = BreakerSettings.defaultLockTimeout) {
        self.path = path
        self.lockTimeout = lockTimeout
    }

    /// Reads the state, lets `body` change it, and writes it back if it changed, all under the lock.
    ///
    /// - Parameters:
    ///   - discardingDamage: Whether a damaged file counts as no state (for `--breaker-reset`) rather
    ///     than an error.
    ///   - body: Gets the state, or `nil` when there is none yet, and may change it. Setting a state
    ///     writes it; setting `nil` leaves the file as it is.
    /// - Returns: What `body` returns.
    /// - Throws: ``BreakerFileError`` when the file cannot be locked, read, decoded or written; `body`
    ///   does not run when it cannot be read or decoded.
    package func update<Result>(
        discardingDamage: Bool = false,
        _ body: (inout BreakerState?) -> Result
    ) throws(BreakerFileError) -> Result {
        let target = resolvedPath
        try checkNotDirectory(target)
        let lock = try acquireLock(target + ".lock")
        defer { close(lock) }

        let original: BreakerState?
        do {
            original = try read(target)
        } catch  where discardingDamage && error.code == .damaged {
            original = nil
        }
        var state = original
        let result = body(&state)
        if let state, state != original {
            try write(state, to: target)
        }
        return result
    }

    /// The state in the file, read under the lock; `nil` when there is none yet.
    ///
    /// - Returns: The state, or `nil`.
    /// - Throws: ``BreakerFileError`` when the file cannot be locked, read or decoded.
    package func load() throws(BreakerFileError) -> BreakerState? {
        try update { $0 }
    }

    // MARK: - Steps

    private func error(_ code: BreakerFileError.Code, _ message: String) -> BreakerFileError {
        BreakerFileError(code, path: path, message: message)
    }

    private func checkNotDirectory(_ target: String) throws(BreakerFileError) {
        var status = stat()
        if target.hasSuffix("/") || (stat(target, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR) {
            throw error(.inaccessible, "cannot use \"\(path)\" as a circuit breaker state file: it is a directory; name a file in it")
        }
    }

    /// Opens (creating it if needed) and exclusively locks the lock file; closing the descriptor
    /// releases the lock.
    private func acquireLock(_ lockPath: String) throws(BreakerFileError) -> Int32 {
        var descriptor = Self.retryingInterrupts { open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o666) }
        let code = errno
        if descriptor < 0 && (code == EACCES || code == EROFS) {
            // An existing lock file we may not write (another user's) can still be locked.
            descriptor = Self.retryingInterrupts { open(lockPath, O_RDONLY | O_CLOEXEC) }
        }
        guard descriptor >= 0 else {
            let directory = (lockPath as NSString).deletingLastPathComponent
            let why =
                switch code {
                case ENOENT: "its directory \"\(directory.isEmpty ? "." : directory)\" does not exist"
                case ENOTDIR: "a part of its path is not a directory"
                default: "cannot create or open its lock file \"\(lockPath)\": \(SystemError.message(code))"
                }
            throw error(.inaccessible, "cannot use the circuit breaker state file \"\(path)\": \(why)")
        }

        let clock = ContinuousClock()
        var wait = LockWait(limit: lockTimeout)
        var lastTry = clock.now
        var pause = Duration.milliseconds(1)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK || code == EAGAIN else {
                close(descriptor)
                throw error(
                    .inaccessible,
                    "cannot lock \"\(lockPath)\" for the circuit breaker state file \"\(path)\": \(SystemError.message(code))")
            }
            guard !wait.isOver else {
                close(descriptor)
                throw error(
                    .inaccessible,
                    "gave up after \(DurationArgument.format(lockTimeout)) waiting for the lock on \"\(lockPath)\": another process holds it"
                )
            }
            Self.pause(pause)
            let now = clock.now
            wait.count(lastTry.duration(to: now))
            lastTry = now
            pause = min(pause * 2, .milliseconds(20))
        }
        return descriptor
    }

    /// The state in `target`, or `nil` if it does not exist or is empty.
    private func read(_ target: String) throws(BreakerFileError) -> BreakerState? {
        let descriptor = Self.retryingInterrupts { open(target, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw error(.inaccessible, "cannot read the circuit breaker state file \"\(path)\": \(SystemError.message(code))")
        }
        defer { close(descriptor) }

        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Self.systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw error(.inaccessible, "cannot read the circuit breaker state file \"\(path)\": \(SystemError.message(errno))")
            }
            if count == 0 { break }
            bytes += buffer[..<count]
            guard bytes.count <= Self.maximumSize else {
                throw error(
                    .damaged, "the circuit breaker state file \"\(path)\" is damaged: it is far too large; \(BreakerFileError.resetAdvice)")
            }
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }

        do {
            return try JSONDecoder().decode(BreakerState.self, from: Data(bytes))
        } catch {
            throw self.error(
                .damaged,
                "the circuit breaker state file \"\(path)\" is damaged: \(Self.describe(error)); \(BreakerFileError.resetAdvice)"
            )
        }
    }

    /// Writes `state` to a temporary file beside `target`, flushes it, and renames it over `target`.
    private func write(_ state: BreakerState, to target: String) throws(BreakerFileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(state)) + [UInt8(ascii: "\n")]
        } catch {
            throw self.error(.inaccessible, "cannot encode the circuit breaker state for \"\(path)\": \(error)")
        }

        let temporary = target + ".tmp"
        let descriptor = Self.retryingInterrupts { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666) }
        guard descriptor >= 0 else {
            throw error(
                .inaccessible, "cannot write the circuit breaker state file \"\(path)\": \(temporary): \(SystemError.message(errno))")
        }
        var existing = stat()
        if stat(target, &existing) == 0 {
            // Keep the permissions someone gave the file.
            _ = fchmod(descriptor, existing.st_mode & 0o7777)
        }
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let count = Self.systemWrite(descriptor, base + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    failure = count < 0 ? errno : EIO
                    return
                }
                offset += count
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == nil && errno != EINTR { failure = errno }
        if failure == nil && rename(temporary, target) != 0 { failure = errno }
        if let failure {
            unlink(temporary)
            throw error(.inaccessible, "cannot write the circuit breaker state file \"\(path)\": \(SystemError.message(failure))")
        }
    }

    // MARK: - Helpers

    /// A decoding error in a sentence, such as `the key "version" is missing`.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func place(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "" : " (at \(path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")))"
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "it is not valid JSON" }
            return "\(context.debugDescription)\(place(context.codingPath))"
        case .keyNotFound(let key, let context):
            return "the field \"\(key.stringValue)\" is missing\(place(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "a value has the wrong type\(place(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }

    private static func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.read(descriptor, buffer, count)
        #elseif canImport(Musl)
        Musl.read(descriptor, buffer, count)
        #else
        Glibc.read(descriptor, buffer, count)
        #endif
    }

    private static func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.write(descriptor, buffer, count)
        #elseif canImport(Musl)
        Musl.write(descriptor, buffer, count)
        #else
        Glibc.write(descriptor, buffer, count)
        #endif
    }

    private static func retryingInterrupts(_ operation: () -> Int32) -> Int32 {
        while true {
            let result = operation()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    private static func pause(_ duration: Duration) {
        let nanoseconds = duration.saturatingNanoseconds
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
