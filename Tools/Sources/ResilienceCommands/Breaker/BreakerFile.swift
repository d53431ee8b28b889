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
/// **Atomic writes.** The new state goes to a temporary file `FILE.tmp.<random>` in the same
/// directory, created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`: no existing path, and no symbolic
/// link planted there, is ever followed or reused), flushed with `fsync` and renamed over FILE.
/// `rename(2)` within a file system is atomic: a reader sees the old state or the new, never a mix,
/// and a crash (or `SIGKILL`, or a power cut after the `fsync`) at any moment leaves FILE whole, at
/// worst with a stale temporary file. Since a writer holds the lock from creating its temporary file
/// to renaming it, any `FILE.tmp.*` (or `FILE.tmp`, as earlier versions named it) found under the
/// lock is such a leftover: each write first removes them (`unlink`, which removes a link, never its
/// target). Truncating and rewriting FILE in place would leave it empty or half-written on a crash,
/// bricking every later run. The lock cannot live on FILE itself, since each rename puts a new file
/// (a new inode) there and a waiter would end up holding the lock of the replaced one; hence
/// `FILE.lock`.
///
/// **Only regular files.** FILE must be a regular file or absent; anything else (a device such as
/// `/dev/null`, a FIFO, a socket) is an error before anything is written, and nothing is opened in a
/// way that could block or write through it: FILE is opened `O_NONBLOCK | O_NOFOLLOW` and checked with
/// `fstat` on the open descriptor, the lock file likewise, and just before the rename FILE is checked
/// to still be the file read (or still absent), so the rename never replaces anything else.
///
/// A missing FILE, or an empty one (as `touch` leaves it), holds no state yet: a closed breaker. When
/// FILE is a symbolic link, its target is the state file (and the lock file sits beside the target),
/// created there if it does not exist yet.
package struct BreakerFile: Sendable {
    /// The state file's path, as given.
    package let path: String
    /// How long to wait for the lock before giving up with an error, counting only time spent polling
    /// for it (time the process was stopped is not held against the holder).
    package var lockTimeout: Duration
    /// The configuration the breaker runs with: a state whose sliding window has another layout is
    /// read with an empty window of this one.
    package var configuration: CircuitBreakerConfiguration

    /// Where the state is read and written: ``path``, or, when it is a symbolic link, its final target
    /// (which need not exist yet: a dangling link names the file to create).
    ///
    /// - Throws: ``BreakerStoreError`` for a loop of links.
    func resolvedPath() throws(BreakerStoreError) -> String {
        var current = path
        for _ in 0..<Self.maximumLinks {
            var status = stat()
            guard lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { return current }
            let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else {
                let directory = Self.directory(of: current)
                current = directory.isEmpty ? target : directory.hasSuffix("/") ? directory + target : directory + "/" + target
            }
        }
        throw error(.inaccessible, "cannot use \"\(path)\" as a circuit breaker state file: too many levels of symbolic links")
    }

    /// The most symbolic links followed from ``path`` (Linux's own limit).
    static let maximumLinks = 40

    /// The largest state file read; a state is a few kilobytes.
    static let maximumSize = 16 << 20

    /// Creates the store of the state file at `path`; nothing is opened or created yet.
    ///
    /// - Parameters:
    ///   - path: The state file's path.
    ///   - lockTimeout: How long to wait for the lock before giving up; 10 seconds by default.
    ///   - configuration: The configuration the breaker runs with.
    package init(
        path: String,
        lockTimeout: Duration = BreakerSettings.defaultLockTimeout,
        configuration: CircuitBreakerConfiguration = .default
    ) {
        self.path = path
        self.lockTimeout = lockTimeout
        self.configuration = configuration
    }

    /// Reads the state, lets `body` change it, and writes it back if it changed (or was read from a
    /// file of format version 1, which is rewritten as version 2), all under the lock.
    ///
    /// - Parameter body: Gets the state, or `nil` when there is none yet, and may change it. Setting
    ///   a state writes it; setting `nil` leaves the file as it is.
    /// - Returns: What `body` returns.
    /// - Throws: ``BreakerStoreError`` when the file cannot be locked, read, decoded or written; `body`
    ///   does not run when it cannot be read or decoded.
    package func update<Result>(_ body: (inout BreakerState?) -> Result) throws(BreakerStoreError) -> Result {
        let target = try resolvedPath()
        try checkNotDirectory(target)
        let lock = try acquireLock(target + ".lock")
        defer { close(lock) }

        let (original, version, identity) = try read(target)
        var state = original
        let result = body(&state)
        if let state, state != original || version != BreakerState.formatVersion {
            try write(state, to: target, replacing: identity)
        }
        return result
    }

    /// Replaces the state, whatever the file holds, under the lock: the file is never read (only
    /// checked to be a regular file or absent), so nothing in it, however damaged, can stop this.
    ///
    /// - Parameter state: The new state.
    /// - Throws: ``BreakerStoreError`` when the file cannot be locked or written, or is not a regular file.
    package func replace(with state: BreakerState) throws(BreakerStoreError) {
        let target = try resolvedPath()
        try checkNotDirectory(target)
        let lock = try acquireLock(target + ".lock")
        defer { close(lock) }
        try write(state, to: target, replacing: try identify(target))
    }

    /// The state in the file, read under the lock; `nil` when there is none yet.
    ///
    /// - Returns: The state, or `nil`.
    /// - Throws: ``BreakerStoreError`` when the file cannot be locked, read or decoded.
    package func load() throws(BreakerStoreError) -> BreakerState? {
        try update { $0 }
    }

    // MARK: - Steps

    private func error(_ code: BreakerStoreError.Code, _ message: String) -> BreakerStoreError {
        BreakerStoreError(code, path: path, message: message)
    }

    private func checkNotDirectory(_ target: String) throws(BreakerStoreError) {
        var status = stat()
        if target.hasSuffix("/") || (stat(target, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR) {
            throw error(.inaccessible, "cannot use \"\(path)\" as a circuit breaker state file: it is a directory; name a file in it")
        }
    }

    /// Opens (creating it if needed) and exclusively locks the lock file; closing the descriptor
    /// releases the lock.
    private func acquireLock(_ lockPath: String) throws(BreakerStoreError) -> Int32 {
        // O_NONBLOCK: a FIFO in its place must not block the open; O_NOFOLLOW: a link planted there
        // must not make us create or lock another file. Either is then refused by the check below.
        let flags = O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW
        var descriptor = Self.retryingInterrupts { open(lockPath, O_RDWR | O_CREAT | flags, 0o666) }
        var code = errno
        if descriptor < 0 && (code == EACCES || code == EROFS) {
            // An existing lock file we may not write (another user's) can still be locked.
            descriptor = Self.retryingInterrupts { open(lockPath, O_RDONLY | flags) }
            if descriptor < 0 && errno != ENOENT { code = errno }
        }
        if descriptor >= 0, let kind = Self.kindOfNonRegularFile(descriptor: descriptor) {
            close(descriptor)
            throw error(
                .inaccessible,
                "cannot use the circuit breaker state file \"\(path)\": its lock file \"\(lockPath)\" is \(kind), not a regular file")
        }
        guard descriptor >= 0 else {
            let directory = Self.directory(of: lockPath)
            let why =
                switch code {
                case ENOENT: "its directory \"\(directory.isEmpty ? "." : directory)\" does not exist"
                case ENOTDIR: "a part of its path is not a directory"
                case ELOOP: "its lock file \"\(lockPath)\" is a symbolic link, not a regular file"
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

    /// The state in `target` (`nil` if it does not exist or is empty), the format version it was
    /// read from, and which file it came from.
    private func read(_ target: String) throws(BreakerStoreError) -> (BreakerState?, Int, FileIdentity?) {
        guard let (descriptor, identity) = try openForReading(target) else { return (nil, BreakerState.formatVersion, nil) }
        defer { close(descriptor) }
        let (state, version) = try decode(descriptor)
        return (state, version, identity)
    }

    /// Which file `target` is (`nil` when it does not exist), checking that it is a regular file,
    /// without reading it.
    private func identify(_ target: String) throws(BreakerStoreError) -> FileIdentity? {
        guard let (descriptor, identity) = try openForReading(target) else { return nil }
        close(descriptor)
        return identity
    }

    /// Opens `target` for reading (`nil` when it does not exist), checking that it is a regular file.
    private func openForReading(_ target: String) throws(BreakerStoreError) -> (Int32, FileIdentity)? {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: `target` is resolved, so a
        // link there now was planted meanwhile.
        let descriptor = Self.retryingInterrupts { open(target, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW) }
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw error(.inaccessible, "cannot read the circuit breaker state file \"\(path)\": \(SystemError.message(code))")
        }
        if let kind = Self.kindOfNonRegularFile(descriptor: descriptor) {
            close(descriptor)
            throw error(
                .inaccessible,
                "cannot use \"\(path)\" as a circuit breaker state file: it is \(kind), not a regular file; name a regular file (or a path that does not exist yet)"
            )
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw error(.inaccessible, "cannot read the circuit breaker state file \"\(path)\": \(SystemError.message(code))")
        }
        return (descriptor, FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino)))
    }

    /// The state in the open file `descriptor` (`nil` if it is empty) and its format version.
    private func decode(_ descriptor: Int32) throws(BreakerStoreError) -> (BreakerState?, Int) {

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
                    .damaged, "the circuit breaker state file \"\(path)\" is damaged: it is far too large; \(BreakerStoreError.resetAdvice)"
                )
            }
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return (nil, BreakerState.formatVersion) }

        do {
            let (state, version) = try BreakerState.decode(from: Data(bytes), configuration: configuration)
            return (state, version)
        } catch {
            throw self.error(
                .damaged,
                "the circuit breaker state file \"\(path)\" is damaged: \(Self.describe(error)); \(BreakerStoreError.resetAdvice)"
            )
        }
    }

    /// Writes `state` to a new temporary file beside `target`, flushes it, and renames it over
    /// `target`, provided `target` is still the file read (`identity`), or still absent (`nil`).
    private func write(_ state: BreakerState, to target: String, replacing identity: FileIdentity?) throws(BreakerStoreError) {
        let bytes: [UInt8]
        do {
            bytes = Array(try state.encoded())
        } catch {
            throw self.error(.inaccessible, "cannot encode the circuit breaker state for \"\(path)\": \(error)")
        }

        removeStaleTemporaryFiles(of: target)
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<100 {
            temporary = target + ".tmp." + String(UInt64.random(in: 0...UInt64.max), radix: 16)
            descriptor = Self.retryingInterrupts {
                open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            }
            if descriptor >= 0 || errno != EEXIST { break }
        }
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
        if failure == nil, let replaced = replacedKind(target, expected: identity) {
            unlink(temporary)
            throw error(
                .inaccessible,
                "cannot write the circuit breaker state file \"\(path)\": \(replaced) while it was being updated; not replacing it")
        }
        if failure == nil && rename(temporary, target) != 0 { failure = errno }
        if let failure {
            unlink(temporary)
            throw error(.inaccessible, "cannot write the circuit breaker state file \"\(path)\": \(SystemError.message(failure))")
        }
    }

    /// `nil` when `target` is still the file read (`expected`), or absent (removed meanwhile, as
    /// deleting the file to reset the breaker does); otherwise what happened, for the error message.
    private func replacedKind(_ target: String, expected: FileIdentity?) -> String? {
        var status = stat()
        guard lstat(target, &status) == 0 else { return nil }
        let identity = FileIdentity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
        return identity == expected ? nil : "another file took its place"
    }

    /// Removes the temporary files earlier writers of `target` left behind (see the type's
    /// documentation): `FILE.tmp.*` and `FILE.tmp` in its directory. Called under the lock, when no
    /// other writer can have one open.
    private func removeStaleTemporaryFiles(of target: String) {
        let directory = Self.directory(of: target)
        let prefix = Self.lastComponent(of: target) + ".tmp"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return }
        for name in names where name == prefix || name.hasPrefix(prefix + ".") {
            unlink(directory.isEmpty ? name : directory.hasSuffix("/") ? directory + name : directory + "/" + name)
        }
    }

    /// The directory part of `path`: what comes before its last `/` (`/` for a file at the root), or
    /// `""` for a bare name.
    ///
    /// Not `NSString.deletingLastPathComponent`, which this platform's Foundation traps on for a
    /// one-character name (`--breaker B`).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of `path`: what comes after its last `/`, or the whole of a bare name.
    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Which file a state came from: its device and inode numbers.
    private struct FileIdentity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// `nil` for a regular file; else what the open file is, such as `a character device`.
    static func kindOfNonRegularFile(descriptor: Int32) -> String? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a directory"
        default: return "a special file"
        }
    }

    // MARK: - Helpers

    /// A decoding error in a sentence, such as `the key "version" is missing`.
    package static func describe(_ error: any Error) -> String {
        if let error = error as? CircuitBreakerRecordError {
            if error.code == .unknownField {
                return BreakerState.UnknownField(path: [error.field], version: BreakerState.formatVersion).description
            }
            return "\(error.field) \(error.reason)"
        }
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
