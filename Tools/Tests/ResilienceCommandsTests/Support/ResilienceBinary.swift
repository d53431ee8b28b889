import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the real, built `resilience` executable as a child process, the way users meet it.
///
/// `swift test` builds it next to the test bundle (the test target depends on the executable target),
/// in whichever build folder is in use (`.build/debug`, `.build-tsan/debug`, …).
struct ResilienceBinary {
    /// The build folder the executables are in.
    static let folder: URL = {
        #if os(Linux)
        let testExecutable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: testExecutable).deletingLastPathComponent()
        #else
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        return (bundle?.bundleURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
        #endif
    }()

    /// The `resilience` executable's path.
    static let path = folder.appendingPathComponent("resilience").path

    /// The `resilience-simulate` executable's path (`resilience simulate` alone, which CI builds in release).
    static let simulatePath = folder.appendingPathComponent("resilience-simulate").path

    /// What a finished run left behind.
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var elapsed: Duration

        /// The JSON summary, when `--json` put it on the last line of standard error.
        func summary() throws -> [String: Any] {
            let line = try #require(standardError.split(separator: "\n").last { $0.hasPrefix("{") })
            return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// A started run.
    struct Running: Sendable {
        let processID: pid_t
        let errorPath: String

        /// What `resilience` has written to standard error so far.
        var standardErrorSoFar: String {
            (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        }

        /// Sends `signal` to the `resilience` process itself.
        func send(_ signal: Int32) {
            kill(processID, signal)
        }
    }

    /// Starts `resilience` with `arguments` in `directory`, its standard input read from `input`
    /// (or `/dev/null`), its outputs going to files in the directory, with the signals named in
    /// `ignoring` (such as `HUP`) ignored from the start, as `nohup` does, and `environment` added to
    /// its environment. With `stalledOutput`, its standard output is instead a pipe that nobody reads
    /// (closed once it has exited), as in `resilience run ... | sleep 60`; with `inputCommand`, its
    /// standard input is a pipe from that shell command, as in `yes | resilience run ...`.
    ///
    /// The harness spawns with `posix_spawn` and reaps with `waitpid` on a thread of its own, rather
    /// than with Foundation's `Process`, which on Linux learns of an exit from a socket that every
    /// descendant inherits, so a test would wait for background processes it left on purpose.
    static func start(
        _ arguments: [String],
        in directory: Scratch,
        input: String? = nil,
        ignoring ignoredSignals: [String] = [],
        environment: [String: String] = [:],
        stalledOutput: Bool = false,
        inputCommand: String? = nil,
        executable: String = path
    ) throws -> (Running, finished: () async -> Result) {
        let id = UUID().uuidString
        let inputPath = input == nil ? "/dev/null" : directory.path("stdin.\(id)")
        let outputPath = directory.path("stdout.\(id)")
        let errorPath = directory.path("stderr.\(id)")
        if let input { try Data(input.utf8).write(to: URL(fileURLWithPath: inputPath)) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        var stalledPipe: [Int32] = [-1, -1]
        if stalledOutput {
            guard pipe(&stalledPipe) == 0 else { throw POSIXError(.EMFILE) }
            posix_spawn_file_actions_adddup2(&actions, stalledPipe[1], 1)
            posix_spawn_file_actions_addclose(&actions, stalledPipe[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // `cd DIR && exec resilience ARGS...`, so the process is `resilience` itself, in the directory.
        let traps = ignoredSignals.map { "trap '' \($0); " }.joined()
        let exports = environment.sorted { $0.key < $1.key }.map { "export \($0.key)='\($0.value)'; " }.joined()
        // With an input command, `exec` runs `resilience` as the last part of the pipeline; the shell
        // waits for the whole pipeline.
        let run = inputCommand.map { "{ \($0) ; } | \"$@\"" } ?? "exec \"$@\""
        let command = ["/bin/sh", "-c", "\(traps)\(exports)cd \"$0\" && \(run)", directory.url.path, executable] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The signals `resilience` changes start at their default, as from a shell, whatever this test
        // process does with them: SwiftNIO (in the integration tests sharing this process) ignores
        // SIGPIPE process-wide, and an ignored signal would stay ignored in `resilience` and its commands.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        var processID: pid_t = 0
        let started = ContinuousClock.now
        let result = posix_spawn(&processID, "/bin/sh", &actions, &attributes, &argv, environ)
        if stalledOutput { close(stalledPipe[1]) }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        let stalledReader = stalledPipe[0]

        let exited = AsyncStream<Int32>.makeStream()
        let pid = processID
        Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            exited.continuation.yield(status)
            exited.continuation.finish()
        }.start()
        let finished: () async -> Result = {
            var status: Int32 = -1
            for await rawStatus in exited.stream { status = rawStatus }
            if stalledReader >= 0 { close(stalledReader) }
            let elapsed = started.duration(to: .now)
            // A signal-ended process reports 128 + N here, as a shell would.
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let error = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            return Result(status: code, standardOutput: output, standardError: error, elapsed: elapsed)
        }
        return (Running(processID: processID, errorPath: errorPath), finished)
    }

    /// Runs `resilience` with `arguments` to completion.
    static func run(
        _ arguments: [String],
        in directory: Scratch,
        input: String? = nil,
        ignoring: [String] = [],
        environment: [String: String] = [:],
        inputCommand: String? = nil,
        executable: String = path
    ) async throws -> Result {
        let (_, finished) = try start(
            arguments, in: directory, input: input, ignoring: ignoring, environment: environment, inputCommand: inputCommand,
            executable: executable)
        return await finished()
    }
}

/// A temporary directory for one test, removed when the test ends.
final class Scratch: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("resilience-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// The contents of a file in the directory, or `""`.
    func read(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
    }

    /// The lines of a file in the directory.
    func lines(_ name: String) -> [String] {
        read(name).split(separator: "\n").map(String.init)
    }

    /// Writes a file in the directory.
    func write(_ name: String, _ contents: String, executable: Bool = false) throws {
        try Data(contents.utf8).write(to: url.appendingPathComponent(name))
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path(name))
        }
    }

    /// Waits, polling every few milliseconds, until `condition` holds; records an issue after
    /// `timeout` of waiting.
    ///
    /// The limit only bounds a failure, so it is generous, and it counts the time this loop was
    /// awake to poll rather than the wall clock: when the whole machine stalls (a loaded CI host,
    /// a paused VM), the process under test stalls too, and that time is not held against it. Each
    /// poll adds at most 100 ms however long its sleep really took.
    func waitUntil(timeout: Duration = .seconds(60), _ condition: () -> Bool) async throws {
        let pollInterval = Duration.milliseconds(5)
        let largestStep = Duration.milliseconds(100)
        var waited = Duration.zero
        var lastPoll = ContinuousClock.now
        while !condition() {
            guard waited < timeout else {
                Issue.record("condition not met within \(timeout) of polling")
                return
            }
            try await Task.sleep(for: pollInterval)
            let now = ContinuousClock.now
            waited += min(lastPoll.duration(to: now), largestStep)
            lastPoll = now
        }
    }
}

extension [String: Any] {
    /// A number of seconds from a JSON summary; infinity when absent, so that a bound fails.
    func seconds(_ key: String) -> Double {
        (self[key] as? Double) ?? (self[key] as? Int).map(Double.init) ?? .infinity
    }
}

/// Whether process `pid` is gone: no such process, or a zombie only waiting to be reaped (this
/// machine's PID 1 does not reap orphans).
func processIsGone(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // The state follows the command name in parentheses: "1234 (sleep) S ...".
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}

/// A shell script that counts its invocations in the file `count` and exits with the status at that
/// position in `statuses` (the last one repeating).
func countingScript(exiting statuses: [Int32], extra: String = "") -> String {
    let cases = statuses.enumerated().map { "\($0.offset + 1)) s=\($0.element) ;;" }.joined(separator: " ")
    return """
        n=$(($(cat count 2>/dev/null || echo 0) + 1)); echo $n > count; \
        case $n in \(cases) *) s=\(statuses.last ?? 0) ;; esac; \(extra) exit $s
        """
}
