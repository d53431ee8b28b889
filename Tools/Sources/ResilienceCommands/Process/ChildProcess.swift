import Foundation
@_spi(ResilienceTools) import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a command in a process group of its own, replays its standard input and collects its
/// standard output, with `posix_spawnp`.
///
/// - The command is found on `PATH` as a shell would (`posix_spawnp`); a failure to start it (not
///   found, not executable) is reported by the launch itself, with the `errno`, never as an exit status.
/// - It leads a new process group (`POSIX_SPAWN_SETPGROUP`), so that a time-out or a forwarded signal
///   reaches everything it started, and a terminal's `^C` reaches `resilience` alone, which forwards it.
/// - Its signal mask is empty and the signals `resilience` ignores or handles are back at their
///   default (``ProcessSignals/resetInChildren``).
/// - Its standard input is a pipe fed from an ``InputSpool`` (what earlier attempts took, then more
///   of `resilience`'s standard input as the command takes it), closed at the input's end (or
///   `/dev/null`); its standard output is a pipe read into a ``Spool``; its standard error is
///   `resilience`'s own.
/// - When its input or output cannot be kept (past `--spool-limit`, or the temporary file failed),
///   its process group gets `SIGTERM`, then `SIGKILL` after the kill grace, and the termination
///   says why (``ChildTermination/spoolFailure``). Its standard input is not closed meanwhile, so
///   it never mistakes a cut-off input for the whole.
///
/// Two threads serve each child (they block in `waitpid` and `poll`, which must not happen on the
/// cooperative pool): one reaps it, one moves the bytes. Once the command has exited, output is read
/// until end of file or for at most `drainGrace` more, so that a background process still holding
/// the pipe open cannot hold up the attempt.
///
/// **Why not swift-subprocess.** swiftlang/swift-subprocess 1.0.2 was checked against what the tests
/// pin, and cannot do all of it; since it cannot take over a process it did not spawn, the spawn and
/// everything after it stay here:
/// - *Dispositions.* On Linux its spawn always resets every signal to its default
///   (`_subprocess_spawnattr_reset_signals`: `POSIX_SPAWN_SETSIGDEF` with `sigfillset`), and Linux's
///   `PlatformOptions` has no hook to change that (`preSpawnProcessConfigurator` is Darwin-only;
///   the Unix options are `userID`, `groupID`, `supplementaryGroups`, `processGroupID`,
///   `createSession` and `teardownSequence`). A signal ignored when `resilience` starts (`nohup`'s
///   `SIGHUP`) must stay ignored for its commands.
/// - *Output.* A custom `OutputProtocol` only implements `output(from: RawSpan)`, handed every byte
///   at once in memory up to `maxSize` (`captureOutput(from:for:)` is internal), so output cannot go
///   to a disk spool or be bounded by `--spool-limit` while it arrives; only `.sequence` streams,
///   inside the `run` body.
/// - *Exit while output is open.* The body cannot learn that the child exited
///   (`waitForProcessTermination(for:)` is internal; `Execution` has `processIdentifier`,
///   `standardInputWriter`, `standardOutput`, `standardError` and `send(signal:toProcessGroup:)`), so
///   the 250 ms drain grace after exit, with a background process holding the pipe, cannot be had
///   without polling the pidfd behind its back.
/// - *Teardown.* `teardownSequence` runs only when the calling task is cancelled, waits with
///   `Task.sleep` (the wall clock, not the run's injected clock), and stops once the group's leader
///   has exited, while a time-out here kills whatever is left of the group after `--kill-after`.
/// What it does offer (process groups via `processGroupID`, an empty signal mask, `send(signal:
/// toProcessGroup:)`, the `errno` of a failed spawn in `SubprocessError.underlyingError`, a
/// `StandardInputWriter` for streamed input) would suffice for those parts alone.
package enum ChildProcess {
    /// Starts `arguments` (the command and its arguments).
    ///
    /// - Parameters:
    ///   - arguments: The command, looked up on `PATH` unless it contains a `/`, and its arguments.
    ///   - standardInput: The input to feed to the command's standard input before closing it, or
    ///     `nil` to connect it to `/dev/null`. Read as the command takes it, so a large input kept in
    ///     a file is never all in memory.
    ///   - outputLimit: The most bytes of standard output kept (`--spool-limit`).
    ///   - killGrace: How long the process group has between `SIGTERM` and `SIGKILL` when its input
    ///     or output cannot be kept.
    ///   - drainGrace: How long to keep reading standard output after the command exits when something
    ///     else still holds the pipe open.
    /// - Returns: The running command.
    /// - Throws: ``LaunchError`` with the `errno` when the command cannot be started.
    package static func launch(
        _ arguments: [String],
        standardInput: InputSpool?,
        outputLimit: Int = Spool.defaultLimit,
        killGrace: Duration = .seconds(2),
        drainGrace: Duration = .milliseconds(250)
    ) throws(LaunchError) -> RunningChild {
        guard let executable = arguments.first, !executable.isEmpty else { throw LaunchError(errno: ENOENT) }
        // A command that exits without reading all of its input must not kill `resilience`.
        ProcessSignals.ignore(SIGPIPE)

        let outputPipe = try makePipe()
        let inputRead: Int32
        var inputWrite: Int32 = -1
        if standardInput != nil {
            let inputPipe: (read: Int32, write: Int32)
            do {
                inputPipe = try makePipe()
            } catch {
                closeAll([outputPipe.read, outputPipe.write])
                throw error
            }
            (inputRead, inputWrite) = inputPipe
        } else {
            inputRead = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard inputRead >= 0 else {
                let error = errno
                closeAll([outputPipe.read, outputPipe.write])
                throw LaunchError(errno: error)
            }
        }
        let wakePipe: (read: Int32, write: Int32)
        do {
            wakePipe = try makePipe()
        } catch {
            closeAll([outputPipe.read, outputPipe.write, inputRead, inputWrite])
            throw error
        }

        let spawnResult = spawn(arguments, executable: executable, standardInput: inputRead, standardOutput: outputPipe.write)
        closeAll([inputRead, outputPipe.write])
        let processID: pid_t
        switch spawnResult {
        case .success(let pid):
            processID = pid
        case .failure(let error):
            closeAll([outputPipe.read, inputWrite, wakePipe.read, wakePipe.write])
            throw error
        }

        setNonBlocking(outputPipe.read)
        if inputWrite >= 0 { setNonBlocking(inputWrite) }
        let child = RunningChild(processID: processID)
        child.start(
            outputFD: outputPipe.read,
            inputFD: inputWrite,
            input: standardInput ?? InputSpool([]),
            wake: wakePipe,
            limits: PumpLimits(output: outputLimit, killGrace: killGrace, drainGrace: drainGrace)
        )
        return child
    }

    private static func spawn(
        _ arguments: [String],
        executable: String,
        standardInput: Int32,
        standardOutput: Int32
    ) -> Result<pid_t, LaunchError> {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_adddup2(&actions, standardInput, STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, STDOUT_FILENO)

        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in ProcessSignals.resetInChildren { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        guard !argv.contains(where: { $0 == nil }) else { return .failure(LaunchError(errno: ENOMEM)) }
        argv.append(nil)

        var processID: pid_t = 0
        let result = posix_spawnp(&processID, executable, &actions, &attributes, &argv, environ)
        guard result == 0 else { return .failure(LaunchError(errno: result)) }
        return .success(processID)
    }

    private static func makePipe() throws(LaunchError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        if let pipe2 = systemPipe2 {
            guard pipe2(&descriptors, O_CLOEXEC) == 0 else { throw LaunchError(errno: errno) }
        } else {
            guard pipe(&descriptors) == 0 else { throw LaunchError(errno: errno) }
            for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        }
        return (descriptors[0], descriptors[1])
    }

    /// `pipe2(2)`, which creates both ends close-on-exec atomically, so that no command started
    /// meanwhile by another thread inherits them. The C library has it on Linux, but the Glibc module
    /// does not export it (it needs `_GNU_SOURCE`), so it is looked up at run time; elsewhere `pipe`
    /// and `fcntl` do.
    private static let systemPipe2: (@convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32)? = {
        #if os(Linux)
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pipe2") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    private static func setNonBlocking(_ descriptor: Int32) {
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) }
    }

    private static func closeAll(_ descriptors: [Int32]) {
        for descriptor in descriptors where descriptor >= 0 { close(descriptor) }
    }
}

/// A command could not be started.
package struct LaunchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why: `ENOENT` (not found), `EACCES` (not executable), `ENOEXEC` (not a program), ….
    package var errno: Int32

    /// Creates an error for an `errno` value.
    ///
    /// - Parameter errno: The reason.
    package init(errno: Int32) {
        self.errno = errno
    }

    /// The system's message, such as `No such file or directory`.
    package var description: String { SystemError.message(errno) }
}

/// How a child process ended, with what it wrote to its standard output.
package struct ChildTermination: Hashable, Sendable {
    /// How the process ended.
    package enum Status: Hashable, Sendable {
        /// It exited with `code`.
        case exited(Int32)
        /// Signal `signal` ended it.
        case signaled(Int32)
    }

    /// How the process ended.
    package var status: Status
    /// Its standard output: in memory, or beyond 8 MiB in a temporary file (see ``Spool``).
    package var standardOutput: Spool
    /// Why the attempt was stopped because its input or output could not be kept, if it was.
    package var spoolFailure: SpoolFailure? = nil
}

/// An attempt's standard input or output that could not be kept: past `--spool-limit`, or its
/// temporary file could not be written. The attempt is stopped and the run fails with status 74.
package struct SpoolFailure: Hashable, Sendable, CustomStringConvertible {
    /// Which stream could not be kept.
    package enum Stream: Hashable, Sendable {
        /// `resilience`'s standard input, kept to replay it to later attempts.
        case standardInput
        /// The attempt's standard output, kept until the attempt ends.
        case standardOutput
    }

    /// Which stream could not be kept.
    package var stream: Stream
    /// Why.
    package var error: SpoolError

    /// What happened, such as `cannot keep standard input to replay it: it passed the --spool-limit
    /// of 1GiB`.
    package var description: String {
        switch stream {
        case .standardInput: "cannot keep standard input to replay it: \(error.message)"
        case .standardOutput: "cannot keep the command's standard output: \(error.message)"
        }
    }
}

/// The bounds of a child's pump.
struct PumpLimits {
    /// The most bytes of standard output kept.
    var output: Int
    /// How long between `SIGTERM` and `SIGKILL` when input or output cannot be kept.
    var killGrace: Duration
    /// How long to keep reading output after the command exits.
    var drainGrace: Duration
}

/// A command started by ``ChildProcess/launch(_:standardInput:drainGrace:)``.
///
/// `Sendable`: its mutable state is behind a lock (``LockedState``); the two threads serving it own their file
/// descriptors.
package final class RunningChild: Sendable {
    /// The command's process ID, which is also its process group ID.
    package let processID: pid_t

    private struct State {
        var waitStatus: ChildTermination.Status?
        var termination: ChildTermination?
        var continuation: CheckedContinuation<ChildTermination, Never>?
    }

    private let state = LockedState(State())

    init(processID: pid_t) {
        self.processID = processID
    }

    /// Waits until the command has exited and its output is collected.
    ///
    /// Not cancellable: a cancelled caller still waits for the command, which it should signal.
    ///
    /// - Returns: How the command ended and its standard output.
    package func waitForTermination() async -> ChildTermination {
        await withCheckedContinuation { continuation in
            let ready: ChildTermination? = state.withLock { state in
                if let termination = state.termination { return termination }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Sends `signal` to every process in the command's process group.
    ///
    /// - Parameter signal: The signal, such as `SIGTERM`.
    /// - Returns: Whether the group still existed.
    @discardableResult
    package func signalGroup(_ signal: Int32) -> Bool {
        killpg(processID, signal) == 0
    }

    /// Whether any process of the command's process group is still alive (or not yet reaped).
    package var groupExists: Bool {
        killpg(processID, 0) == 0 || errno == EPERM
    }

    // MARK: - The serving threads

    fileprivate func start(outputFD: Int32, inputFD: Int32, input: InputSpool, wake: (read: Int32, write: Int32), limits: PumpLimits) {
        let processID = processID
        Thread { [self] in
            var rawStatus: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(processID, &rawStatus, 0)
            } while result == -1 && errno == EINTR
            let status: ChildTermination.Status = result == processID ? Self.decode(rawStatus) : .exited(255)
            state.withLock { $0.waitStatus = status }
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
            close(wake.write)
        }.start()
        Thread { [self] in
            let (output, failure) = Self.pump(
                processID: processID, outputFD: outputFD, inputFD: inputFD, input: input, wakeFD: wake.read, limits: limits)
            let continuation: CheckedContinuation<ChildTermination, Never>?
            let termination: ChildTermination
            (termination, continuation) = state.withLock { state in
                let termination = ChildTermination(
                    status: state.waitStatus ?? .exited(255), standardOutput: output, spoolFailure: failure)
                state.termination = termination
                defer { state.continuation = nil }
                return (termination, state.continuation)
            }
            continuation?.resume(returning: termination)
        }.start()
    }

    /// Decodes a `waitpid` status (the `WIFEXITED`/`WTERMSIG` macros are not imported into Swift).
    private static func decode(_ status: Int32) -> ChildTermination.Status {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }

    /// Feeds the input, collects the output, and returns once the child has exited and its output is
    /// at end of file (or `drainGrace` has passed since the exit).
    ///
    /// When the input or the output cannot be kept, the child's process group gets `SIGTERM` (and
    /// `SIGKILL` after the kill grace, if the child is still there); the failure is returned with the
    /// output collected so far.
    private static func pump(
        processID: pid_t, outputFD: Int32, inputFD: Int32, input: InputSpool, wakeFD: Int32, limits: PumpLimits
    ) -> (Spool, SpoolFailure?) {
        var outputFD = outputFD
        var inputFD = inputFD
        var wakeFD = wakeFD
        // Output that cannot go to a temporary file is better held in memory than lost.
        var output = SpoolWriter(limit: limits.output)
        var failure: SpoolFailure?
        var killDeadline: ContinuousClock.Instant?
        var written = 0
        var drainDeadline: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var inputChunk = [UInt8](repeating: 0, count: 65_536)

        func stop(_ stream: SpoolFailure.Stream, _ error: SpoolError) {
            guard failure == nil else { return }
            failure = SpoolFailure(stream: stream, error: error)
            killpg(processID, SIGTERM)
            killDeadline = ContinuousClock.now.advanced(by: limits.killGrace)
        }

        while true {
            let now = ContinuousClock.now
            if let deadline = killDeadline, now >= deadline {
                if wakeFD >= 0 { killpg(processID, SIGKILL) }
                killDeadline = nil
            }
            var timeout: Int32 = -1
            if let drainDeadline {
                let left = now.duration(to: drainDeadline)
                if outputFD < 0 || left <= .zero { break }
                timeout = milliseconds(left)
            }
            if let killDeadline {
                let left = milliseconds(now.duration(to: killDeadline))
                timeout = timeout < 0 ? left : min(timeout, left)
            }
            // The input: what is kept and not yet written goes to the child; once it has all of it,
            // the source is read for more; at the source's end the pipe is closed. After a failure
            // the pipe stays open (no end of file) until the child exits.
            var writesInput = false
            var readsSource = false
            if inputFD >= 0 && failure == nil {
                if written < input.count {
                    writesInput = true
                } else if !input.isComplete {
                    readsSource = true
                } else {
                    close(inputFD)
                    inputFD = -1
                }
            }
            var descriptors = [
                pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: writesInput ? inputFD : -1, events: Int16(POLLOUT), revents: 0),
                pollfd(fd: readsSource ? input.source : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if outputFD >= 0 && descriptors[0].revents != 0 {
                let count = read(outputFD, &buffer, buffer.count)
                if count > 0 {
                    let failed = buffer.withUnsafeBytes { bytes -> SpoolError? in
                        do throws(SpoolError) {
                            try output.appendFallingBackToMemory(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
                            return nil
                        } catch {
                            return error
                        }
                    }
                    if let error = failed {
                        // Past the limit: what is kept is of no use, and the child must not block on
                        // a pipe nobody reads while it is being stopped.
                        stop(.standardOutput, error)
                        close(outputFD)
                        outputFD = -1
                    }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(outputFD)
                    outputFD = -1
                }
            }
            if writesInput && descriptors[1].revents != 0 {
                // The spool is read at the offset written so far; bytes a short write left are read again.
                let count =
                    descriptors[1].revents & Int16(POLLOUT) != 0
                    ? inputChunk.withUnsafeMutableBytes { chunk in
                        let available = input.read(at: written, into: chunk)
                        return available > 0 ? write(inputFD, chunk.baseAddress, available) : -1
                    } : -1
                if count > 0 {
                    written += count
                } else if count < 0 && errno != EAGAIN && errno != EINTR {
                    // The child closed its input (EPIPE): it wants no more.
                    close(inputFD)
                    inputFD = -1
                }
            }
            if readsSource && descriptors[2].revents != 0 {
                let failed = inputChunk.withUnsafeMutableBytes { chunk -> SpoolError? in
                    do throws(SpoolError) {
                        try input.fill(using: chunk)
                        return nil
                    } catch {
                        return error
                    }
                }
                if let error = failed { stop(.standardInput, error) }
            }
            if wakeFD >= 0 && descriptors[3].revents != 0 {
                close(wakeFD)
                wakeFD = -1
                drainDeadline = ContinuousClock.now.advanced(by: limits.drainGrace)
                killDeadline = nil
                if inputFD >= 0 {
                    close(inputFD)
                    inputFD = -1
                }
            }
        }
        for descriptor in [outputFD, inputFD, wakeFD] where descriptor >= 0 { close(descriptor) }
        return (output.finish(), failure)
    }

    /// `duration` in whole milliseconds for `poll(2)`, rounded up, at least 1.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(1, duration.saturatingNanoseconds / 1_000_000 + 1))
    }
}
