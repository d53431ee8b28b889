import Foundation
import Resilience
import ResilienceTestKit
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience run`, end to end: the real binary running real `sh -c` scripts that count their
/// invocations in a temporary directory.
@Suite("resilience run (the real binary)", .timeLimit(.minutes(5)))
struct RunCommandTests {
    let scratch: Scratch

    init() throws {
        scratch = try Scratch()
    }

    func run(_ arguments: [String], input: String? = nil) async throws -> ResilienceBinary.Result {
        try await ResilienceBinary.run(["run"] + arguments, in: scratch, input: input)
    }

    var invocations: Int { Int(scratch.read("count").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 }

    // MARK: - Attempts and exit statuses

    @Test("a command failing twice then succeeding runs exactly 3 times and exits 0")
    func retriesUntilSuccess() async throws {
        let result = try await run(["--attempts", "5", "--base", "0", "--", "sh", "-c", countingScript(exiting: [1, 1, 0])])
        #expect(result.status == 0)
        #expect(invocations == 3)
        #expect(result.standardError.contains("resilience: attempt 1/5 failed: exit status 1; retrying in 0s"))
        #expect(result.standardError.contains("resilience: attempt 3/5 succeeded"))
    }

    @Test("a command that always fails runs --attempts times and exits with its status", arguments: [1, 2, 4])
    func givesUpAfterAttempts(attempts: Int) async throws {
        let result = try await run(["--attempts", "\(attempts)", "--base", "0", "--", "sh", "-c", countingScript(exiting: [3])])
        #expect(result.status == 3)
        #expect(invocations == attempts)
        #expect(result.standardError.contains("attempt \(attempts)/\(attempts) failed: exit status 3; no attempts left"))
    }

    @Test("the exit status is the last attempt's")
    func lastAttemptsStatus() async throws {
        let result = try await run(["--attempts", "3", "--base", "0", "--", "sh", "-c", countingScript(exiting: [1, 2, 7])])
        #expect(result.status == 7)
        #expect(invocations == 3)
    }

    @Test("a success on the first attempt prints nothing of its own")
    func quietSuccess() async throws {
        let result = try await run(["--", "sh", "-c", "echo fine"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "fine\n")
        #expect(result.standardError.isEmpty)
    }

    @Test(
        "without --attempts the preset decides: default 3, aggressive 5, conservative 2",
        arguments: [
            ("default", 3), ("aggressive", 5), ("conservative", 2), ("rate-limit", 5), ("adaptive", 5),
        ])
    func presetAttempts(preset: String, attempts: Int) async throws {
        let result = try await run(["--policy", preset, "--base", "0", "--", "sh", "-c", countingScript(exiting: [1])])
        #expect(result.status == 1)
        #expect(invocations == attempts)
    }

    @Test("--attempts forever keeps going until the command succeeds")
    func forever() async throws {
        let result = try await run(["--attempts", "forever", "--base", "0", "--", "sh", "-c", countingScript(exiting: [1, 1, 1, 1, 1, 0])])
        #expect(result.status == 0)
        #expect(invocations == 6)
        #expect(result.standardError.contains("resilience: attempt 5 failed"))
    }

    @Test("the command may follow the options without '--'")
    func withoutTerminator() async throws {
        let result = try await run(["--attempts", "2", "--base", "0", "sh", "-c", countingScript(exiting: [1])])
        #expect(result.status == 1)
        #expect(invocations == 2)
    }

    // MARK: - Which outcomes retry

    @Test(
        "--retry-on and --stop-on decide which exits retry",
        arguments: [
            // (options, the command's statuses in turn, expected attempts, expected exit status)
            ([String](), [Int32](arrayLiteral: 1, 1, 0), 3, Int32(0)),
            (["--retry-on", "75"], [75, 75, 0], 3, 0),
            (["--retry-on", "75"], [1, 0], 1, 1),
            (["--retry-on", "75,100-110"], [104, 75, 1, 0], 3, 1),
            (["--retry-on", "1-3", "--retry-on", "9"], [2, 9, 3, 0], 4, 0),
            (["--stop-on", "2"], [1, 2, 0], 2, 2),
            (["--stop-on", "1-3"], [3, 0], 1, 3),
            (["--retry-on", "1-10", "--stop-on", "5"], [4, 5, 0], 2, 5),
            (["--retry-on", "0"], [0], 4, 0),
        ]
    )
    func retryOnStopOn(options: [String], statuses: [Int32], attempts: Int, status: Int32) async throws {
        let result = try await run(["--attempts", "4", "--base", "0"] + options + ["--", "sh", "-c", countingScript(exiting: statuses)])
        #expect(invocations == attempts)
        #expect(result.status == status)
    }

    @Test("a stop says why: listed in --stop-on, or not listed in --retry-on")
    func stopMessages() async throws {
        let stopped = try await run(["--stop-on", "2", "--base", "0", "--", "sh", "-c", "exit 2"])
        #expect(stopped.standardError.contains("attempt 1/3 failed: exit status 2; not retrying: its status is listed in --stop-on"))
        let notListed = try await run(["--retry-on", "75", "--base", "0", "--", "sh", "-c", "exit 4"])
        #expect(notListed.standardError.contains("not retrying: its status is not listed in --retry-on"))
    }

    @Test(
        "an attempt ended by a signal exits 128+N and matches 'signal' and its status",
        arguments: [
            ([String](), 3),
            (["--retry-on", "signal"], 3),
            (["--retry-on", "137"], 3),
            (["--retry-on", "75"], 1),
            (["--stop-on", "signal"], 1),
        ]
    )
    func signalOutcomes(options: [String], attempts: Int) async throws {
        let script = countingScript(exiting: [0], extra: "kill -KILL $$;")
        let result = try await run(["--attempts", "3", "--base", "0"] + options + ["--", "sh", "-c", script])
        #expect(result.status == 128 + SIGKILL)
        #expect(invocations == attempts)
        #expect(result.standardError.contains("killed by SIGKILL (status 137)"))
    }

    // MARK: - Standard streams

    @Test("standard input is captured once and replayed in full to every attempt")
    func replaysStandardInput() async throws {
        let input = "first line\nsecond line\n" + String(repeating: "x", count: 200_000) + "\n"
        let script = countingScript(exiting: [1, 1, 0], extra: "cat > seen.$n;")
        let result = try await run(["--attempts", "3", "--base", "0", "--", "sh", "-c", script], input: input)
        #expect(result.status == 0)
        for attempt in 1...3 {
            #expect(scratch.read("seen.\(attempt)") == input, "attempt \(attempt) saw other input")
        }
    }

    @Test("an input larger than memory keeps (8 MiB) is replayed in full from a temporary file, leaving none behind")
    func replaysLargeStandardInput() async throws {
        // 12 MiB of numbered lines, so that a byte out of place shows.
        let line = (0..<1_000).map { "line \($0) " }.joined() + "\n"
        let input = String(repeating: line, count: (12 << 20) / line.utf8.count + 1)
        let spoolDirectory = scratch.path("tmp")
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: false)
        let script = countingScript(exiting: [1, 0], extra: "cat > seen.$n;")
        let result = try await ResilienceBinary.run(
            ["run", "--attempts", "2", "--base", "0", "--", "sh", "-c", script], in: scratch, input: input,
            environment: ["TMPDIR": spoolDirectory])
        #expect(result.status == 0)
        for attempt in 1...2 {
            #expect(scratch.read("seen.\(attempt)") == input, "attempt \(attempt) saw other input")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory) == [])
    }

    @Test("an output larger than memory keeps goes whole to stdout from the last attempt, and whole to stderr from earlier ones")
    func largeStandardOutput() async throws {
        let spoolDirectory = scratch.path("tmp")
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: false)
        // 12 MiB of "attempt N" lines from each attempt.
        let size = 12 << 20
        let script = countingScript(exiting: [1, 0], extra: "yes \"attempt $n\" | head -c \(size);")
        let result = try await ResilienceBinary.run(
            ["run", "--attempts", "2", "--base", "0", "--", "sh", "-c", script], in: scratch,
            environment: ["TMPDIR": spoolDirectory])
        #expect(result.status == 0)
        let line = "attempt 2\n"
        #expect(result.standardOutput.utf8.count == size)
        #expect(result.standardOutput == String(String(repeating: line, count: size / line.utf8.count + 1).prefix(size)))
        #expect(result.standardError.components(separatedBy: "attempt 1\n").count - 1 == size / "attempt 1\n".utf8.count)
        #expect(!result.standardError.contains("attempt 2\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory) == [])
    }

    @Test("an input too large for memory that cannot be kept in a temporary file stops the attempt before it sees an end of input (74)")
    func largeStandardInputWithoutTemporaryDirectory() async throws {
        let input = String(repeating: "z", count: 9 << 20)
        let script = countingScript(exiting: [0], extra: "cat > seen; echo \"cat ended: $?\" > ended;")
        let result = try await ResilienceBinary.run(
            ["run", "--", "sh", "-c", script], in: scratch, input: input, environment: ["TMPDIR": scratch.path("missing")])
        #expect(result.status == 74)
        #expect(result.standardError.contains("resilience: cannot keep standard input to replay it: cannot create a temporary file in"))
        #expect(result.standardError.contains("missing"))
        #expect(result.standardError.contains("attempt 1/3 was stopped, no further attempts"))
        #expect(invocations == 1)
        // Stopped by SIGTERM while waiting for more input, not handed a cut-off input as if it were whole.
        #expect(scratch.read("seen").utf8.count < input.utf8.count)
        #expect(scratch.read("ended").isEmpty)
    }

    @Test("the attempt starts while standard input is still arriving, and ends without waiting for the rest")
    func streamsStandardInput() async throws {
        // The input's writer says one line, then holds the pipe open for 600 s.
        let (_, finished) = try ResilienceBinary.start(
            ["run", "--json-file", "summary.json", "--", "head", "-1"], in: scratch,
            inputCommand: "sh -c 'echo $$ > feeder; echo first; exec sleep 600'")
        try await scratch.waitUntil { scratch.read("summary.json").hasSuffix("}\n") }
        if let feeder = Int32(scratch.read("feeder").trimmingCharacters(in: .whitespacesAndNewlines)) { kill(feeder, SIGKILL) }
        let result = await finished()
        #expect(result.status == 0)
        #expect(result.standardOutput == "first\n")
        let summary = try #require(JSONSerialization.jsonObject(with: Data(scratch.read("summary.json").utf8)) as? [String: Any])
        #expect(summary.seconds("totalSeconds") < 300)  // not the writer's 600 s
    }

    @Test("endless input that the command stops reading is not spooled: yes | resilience run -- head -1 ends at once")
    func endlessInput() async throws {
        let spoolDirectory = scratch.path("tmp")
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: false)
        let result = try await ResilienceBinary.run(
            ["run", "--spool-limit", "64MiB", "--json", "--", "head", "-1"], in: scratch,
            environment: ["TMPDIR": spoolDirectory], inputCommand: "yes")
        #expect(result.status == 0)
        #expect(result.standardOutput == "y\n")
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory) == [])
    }

    @Test("standard input past --spool-limit stops the attempt and fails the run (74), naming the limit")
    func standardInputPastSpoolLimit() async throws {
        let result = try await ResilienceBinary.run(
            ["run", "--spool-limit", "1MiB", "--json", "--", "sh", "-c", countingScript(exiting: [1], extra: "cat > /dev/null;")],
            in: scratch, inputCommand: "head -c 3000000 /dev/zero")
        #expect(result.status == 74)
        #expect(
            result.standardError.contains(
                "resilience: cannot keep standard input to replay it: it passed the --spool-limit of 1MiB; attempt 1/3 was stopped, no further attempts"
            ))
        #expect(invocations == 1)
        let summary = try result.summary()
        #expect(summary["stopReason"] as? String == "spoolFailed")
        let history = try #require(summary["history"] as? [[String: Any]])
        #expect(history.first?["outcome"] as? String == "spoolFailed")
    }

    @Test("an attempt's output past --spool-limit stops it and fails the run (74): resilience run -- yes does not fill the disk")
    func standardOutputPastSpoolLimit() async throws {
        let result = try await run(["--no-stdin", "--spool-limit", "1MiB", "--json", "--", "yes"])
        #expect(result.status == 74)
        #expect(
            result.standardError.contains(
                "resilience: cannot keep the command's standard output: it passed the --spool-limit of 1MiB; attempt 1/3 was stopped"))
        #expect(result.standardOutput.isEmpty)
        #expect(try result.summary().seconds("totalSeconds") < 300)
    }

    @Test("a command that does not read its input is not disturbed by it")
    func unreadInput() async throws {
        let input = String(repeating: "y", count: 1_000_000)
        let result = try await run(["--attempts", "2", "--base", "0", "--", "sh", "-c", countingScript(exiting: [1, 0])], input: input)
        #expect(result.status == 0)
        #expect(invocations == 2)
    }

    @Test("--no-stdin gives attempts /dev/null and leaves standard input unread")
    func noStandardInput() async throws {
        let result = try await run(["--no-stdin", "--", "sh", "-c", "wc -c < /dev/stdin"], input: "hello")
        #expect(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test("only the attempt that ends the run writes to standard output; earlier attempts' output goes to standard error")
    func standardOutputOnce() async throws {
        let script = countingScript(exiting: [1, 1, 0], extra: "echo \"output of attempt $n\";")
        let result = try await run(["--attempts", "3", "--base", "0", "--", "sh", "-c", script])
        #expect(result.status == 0)
        #expect(result.standardOutput == "output of attempt 3\n")
        #expect(result.standardError.contains("output of attempt 1\n"))
        #expect(result.standardError.contains("output of attempt 2\n"))
        #expect(!result.standardError.contains("output of attempt 3"))
        // Each failed attempt's output comes before the message about it.
        let error = result.standardError
        let output1 = try #require(error.range(of: "output of attempt 1"))
        let message1 = try #require(error.range(of: "attempt 1/3 failed"))
        #expect(output1.lowerBound < message1.lowerBound)
    }

    @Test("when attempts run out, the last attempt's output is the one on standard output")
    func lastFailedOutput() async throws {
        let script = countingScript(exiting: [5], extra: "echo \"attempt $n\";")
        let result = try await run(["--attempts", "2", "--base", "0", "--", "sh", "-c", script])
        #expect(result.status == 5)
        #expect(result.standardOutput == "attempt 2\n")
        #expect(result.standardError.contains("attempt 1\n"))
    }

    @Test("the command's standard error passes straight through")
    func standardErrorPassesThrough() async throws {
        let script = countingScript(exiting: [1, 0], extra: "echo \"complaint $n\" >&2;")
        let result = try await run(["--attempts", "2", "--base", "0", "--quiet", "--", "sh", "-c", script])
        #expect(result.standardError == "complaint 1\ncomplaint 2\n")
    }

    @Test("it sits inside a pipeline: input in, the successful attempt's output out")
    func pipeline() async throws {
        let script = countingScript(exiting: [1, 0], extra: "tr a-z A-Z;")
        let result = try await run(["--base", "0", "--", "sh", "-c", script], input: "hello\n")
        #expect(result.standardOutput == "HELLO\n")
        #expect(result.standardError.contains("HELLO\n"))
    }

    @Test("--quiet leaves out progress messages")
    func quiet() async throws {
        let result = try await run(["--quiet", "--attempts", "3", "--base", "0", "--", "sh", "-c", countingScript(exiting: [1])])
        #expect(result.status == 1)
        #expect(invocations == 3)
        #expect(result.standardError.isEmpty)
    }

    @Test("a background process holding the output pipe open does not hold up the attempt")
    func backgroundProcessHoldingOutput() async throws {
        let result = try await run(["--json", "--", "sh", "-c", "echo started; sleep 600 & echo $! > background"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "started\n")
        #expect(try result.summary().seconds("totalSeconds") < 300)  // not the background sleep's 600 s
        if let pid = Int32(scratch.read("background").trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGKILL) }
    }

    // MARK: - Time limits

    @Test("--timeout kills the attempt's whole process group, grandchildren included, and exits 124")
    func timeoutKillsProcessGroup() async throws {
        let script = "sleep 600 & echo $! > grandchild; echo $$ > child; wait"
        let result = try await run(["--attempts", "1", "--timeout", "200ms", "--kill-after", "100ms", "--json", "--", "sh", "-c", script])
        #expect(result.status == 124)
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(result.standardError.contains("attempt 1/1 failed: timed out after 200ms and its process group was killed"))
        let grandchild = try #require(Int32(scratch.read("grandchild").trimmingCharacters(in: .whitespacesAndNewlines)))
        let child = try #require(Int32(scratch.read("child").trimmingCharacters(in: .whitespacesAndNewlines)))
        try await scratch.waitUntil { processIsGone(grandchild) && processIsGone(child) }
        #expect(processIsGone(grandchild))
        #expect(processIsGone(child))
    }

    @Test("a process group that ignores SIGTERM gets SIGKILL after --kill-after")
    func timeoutEscalatesToKill() async throws {
        let script = "trap '' TERM; sleep 600 & echo $! > grandchild; wait; wait"
        let result = try await run(["--attempts", "1", "--timeout", "200ms", "--kill-after", "200ms", "--json", "--", "sh", "-c", script])
        #expect(result.status == 124)
        #expect(try result.summary().seconds("totalSeconds") < 300)
        let grandchild = try #require(Int32(scratch.read("grandchild").trimmingCharacters(in: .whitespacesAndNewlines)))
        try await scratch.waitUntil { processIsGone(grandchild) }
    }

    @Test("a timed-out attempt is retried by default, and not with --stop-on timeout")
    func timeoutsRetry() async throws {
        let script = countingScript(exiting: [0], extra: "[ $n -lt 2 ] && sleep 30;")
        // The limit is what is under test only for the first attempt; a second `sh` attempt must finish
        // within it even on a loaded machine, hence 1 s rather than less.
        let retried = try await run([
            "--attempts", "3", "--base", "0", "--timeout", "1s", "--kill-after", "100ms", "--", "sh", "-c", script,
        ])
        #expect(retried.status == 0)
        #expect(invocations == 2)

        try FileManager.default.removeItem(atPath: scratch.path("count"))
        let stopped = try await run([
            "--attempts", "3", "--base", "0", "--timeout", "200ms", "--kill-after", "100ms", "--stop-on", "timeout", "--", "sh", "-c",
            script,
        ])
        #expect(stopped.status == 124)
        #expect(invocations == 1)
    }

    @Test("--deadline: no wait starts that would end past it")
    func deadlineStopsWaits() async throws {
        let result = try await run([
            "--attempts", "5", "--base", "600s", "--deadline", "2s", "--json", "--", "sh", "-c", countingScript(exiting: [1]),
        ])
        #expect(result.status == 1)
        #expect(invocations == 1)
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(try result.summary()["stopReason"] as? String == "deadlineExceeded")
        #expect(result.standardError.contains("giving up: the next attempt would start after the --deadline (2s)"))
    }

    @Test("--deadline bounds the running attempt too")
    func deadlineBoundsAttempt() async throws {
        let result = try await run([
            "--attempts", "5", "--base", "0", "--deadline", "300ms", "--kill-after", "100ms", "--json", "--", "sh", "-c",
            countingScript(exiting: [0], extra: "sleep 600;"),
        ])
        #expect(result.status == 124)
        #expect(invocations == 1)
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(try result.summary()["stopReason"] as? String == "deadlineExceeded")
    }

    // MARK: - Signals

    @Test("SIGTERM to resilience reaches the attempt, which exits 143, and no further attempt starts")
    func forwardsSigterm() async throws {
        let script = countingScript(exiting: [0], extra: "trap 'echo TERM >> received; exit 143' TERM; touch ready; sleep 30 & wait;")
        let (running, finished) = try ResilienceBinary.start(
            ["run", "--attempts", "5", "--base", "0", "--", "sh", "-c", script],
            in: scratch
        )
        try await scratch.waitUntil { FileManager.default.fileExists(atPath: scratch.path("ready")) }
        running.send(SIGTERM)
        let result = await finished()
        #expect(result.status == 128 + SIGTERM)
        #expect(scratch.lines("received") == ["TERM"])
        #expect(invocations == 1)
        #expect(result.standardError.contains("interrupted by SIGTERM, no further attempts"))
    }

    @Test("with --timeout, an interrupted attempt that ignores the signal is killed after --kill-after")
    func interruptedAttemptIgnoringTheSignal() async throws {
        // `trap '' TERM` makes the shell and its `sleep` ignore SIGTERM; only SIGKILL ends them.
        let script = countingScript(exiting: [0], extra: "trap '' TERM; touch ready; sleep 600;")
        let (running, finished) = try ResilienceBinary.start(
            ["run", "--attempts", "5", "--base", "0", "--timeout", "600s", "--kill-after", "300ms", "--json", "--", "sh", "-c", script],
            in: scratch
        )
        try await scratch.waitUntil { FileManager.default.fileExists(atPath: scratch.path("ready")) }
        running.send(SIGTERM)
        let result = await finished()
        // Not the 600 s limit, nor the 600 s sleep. The bound is wide: under the thread sanitizer on
        // a loaded host, the test's own poll for `ready` (and so the SIGTERM) can come 20 s late.
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(result.status == 128 + SIGKILL)  // the attempt's own end: killed, not timed out (124)
        #expect(invocations == 1)
    }

    @Test("SIGINT during the wait between attempts ends the run at once with 130")
    func interruptsWait() async throws {
        let (running, finished) = try ResilienceBinary.start(
            ["run", "--attempts", "5", "--base", "600s", "--jitter", "none", "--json", "--", "sh", "-c", countingScript(exiting: [1])],
            in: scratch
        )
        // The retry is announced just before its 600 s wait begins. The bound below is far from both the
        // wait and a fast run: on a loaded host under the thread sanitizer the poll (and so the SIGINT)
        // can come tens of seconds late.
        try await scratch.waitUntil { running.standardErrorSoFar.contains("retrying in 10m") }
        running.send(SIGINT)
        let result = await finished()
        #expect(result.status == 128 + SIGINT)
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(invocations == 1)
        #expect(try result.summary()["stopReason"] as? String == "interrupted")
    }

    @Test(
        "commands get the signals resilience ignores or forwards back at their default disposition",
        arguments: [("PIPE", SIGPIPE), ("INT", SIGINT), ("TERM", SIGTERM), ("HUP", SIGHUP)]
    )
    func defaultDispositions(name: String, signal: Int32) async throws {
        let result = try await run(["--attempts", "1", "--", "sh", "-c", "kill -\(name) $$; exit 0"])
        #expect(result.status == 128 + signal)
    }

    /// Sends `signal` to `running` again and again (every 50 ms of polling) until it has exited, for at
    /// most 30 s of polling: whatever stage the run is at when a signal lands, one must end it.
    func signalUntilGone(_ running: ResilienceBinary.Running, _ signal: Int32) async throws {
        var polls = 0
        try await scratch.waitUntil(timeout: .seconds(30)) {
            if polls % 10 == 0 { running.send(signal) }
            polls += 1
            return processIsGone(running.processID)
        }
        running.send(SIGKILL)
    }

    @Test(
        "a signal ends resilience promptly while it writes the final output to a stalled pipe, with 128+N",
        arguments: [SIGTERM, SIGINT])
    func signalWhileOutputStalls(signal: Int32) async throws {
        // 1 MB: far more than a pipe holds, so the write blocks until someone reads (nobody does).
        let (running, finished) = try ResilienceBinary.start(
            ["run", "--no-stdin", "--attempts", "1", "--", "sh", "-c", "head -c 1000000 /dev/zero; echo done > finished"],
            in: scratch, stalledOutput: true)
        try await scratch.waitUntil { FileManager.default.fileExists(atPath: scratch.path("finished")) }
        try await signalUntilGone(running, signal)
        let result = await finished()
        #expect(result.status == 128 + signal)
    }

    @Test("a signal ends resilience promptly while --json-file waits for a FIFO's reader, with 128+N")
    func signalWhileSummaryStalls() async throws {
        #expect(mkfifo(scratch.path("summary"), 0o644) == 0)
        let (running, finished) = try ResilienceBinary.start(
            ["run", "--no-stdin", "--attempts", "1", "--json-file", "summary", "--", "sh", "-c", "echo done > finished"],
            in: scratch)
        try await scratch.waitUntil { FileManager.default.fileExists(atPath: scratch.path("finished")) }
        try await signalUntilGone(running, SIGTERM)
        let result = await finished()
        #expect(result.status == 128 + SIGTERM)
    }

    @Test("a signal ignored when resilience starts (nohup) stays ignored for its commands")
    func ignoredAtStart() async throws {
        let result = try await ResilienceBinary.run(
            ["run", "--attempts", "1", "--", "sh", "-c", "kill -HUP $$; echo alive"],
            in: scratch,
            ignoring: ["HUP"]
        )
        #expect(result.status == 0)
        #expect(result.standardOutput == "alive\n")
    }

    // MARK: - Commands that cannot start

    @Test("a command that is not found is an error with status 127, not a retry loop")
    func commandNotFound() async throws {
        let result = try await run(["--attempts", "5", "--base", "600s", "--json", "--", "no-such-command-\(UUID().uuidString)", "arg"])
        #expect(result.status == 127)
        // A retry loop would wait 600 s and more.
        #expect(try result.summary().seconds("totalSeconds") < 300)
        #expect(!result.standardError.contains("retrying"))
        #expect(result.standardError.contains("command not found"))
        let summary = try result.summary()
        #expect(summary["stopReason"] as? String == "cannotStart")
        #expect(summary["attempts"] as? Int == 1)
    }

    @Test("a file that is not executable is an error with status 126")
    func commandNotExecutable() async throws {
        try scratch.write("script.sh", "#!/bin/sh\nexit 0\n")
        let result = try await run(["--attempts", "5", "--base", "1s", "--", "./script.sh"])
        #expect(result.status == 126)
        #expect(result.standardError.contains("cannot run \"./script.sh\""))
    }

    // MARK: - JSON summary

    @Test("--json writes a summary of every attempt to standard error")
    func jsonSummary() async throws {
        let script = countingScript(exiting: [4, 0], extra: "echo out;")
        let result = try await run(["--attempts", "3", "--base", "0", "--json", "--", "sh", "-c", script])
        #expect(result.status == 0)
        #expect(result.standardOutput == "out\n")
        let summary = try result.summary()
        #expect(summary["attempts"] as? Int == 2)
        #expect(summary["maxAttempts"] as? Int == 3)
        #expect(summary["exitStatus"] as? Int == 0)
        #expect(summary["stopReason"] as? String == "succeeded")
        #expect(summary["command"] as? [String] == ["sh", "-c", script])
        #expect((summary["totalSeconds"] as? Double).map { $0 >= 0 } == true)
        let history = try #require(summary["history"] as? [[String: Any]])
        #expect(history.count == 2)
        #expect(history.map { $0["attempt"] as? Int } == [1, 2])
        #expect(history.map { $0["exitCode"] as? Int } == [4, 0])
        #expect(history.map { $0["outcome"] as? String } == ["exited", "exited"])
        #expect(history[0]["delayAfterSeconds"] as? Double == 0)
        #expect(history[1]["delayAfterSeconds"] == nil)
        #expect(history.allSatisfy { ($0["durationSeconds"] as? Double).map { $0 > 0 } == true })
    }

    @Test("--json-file writes the summary to a file instead")
    func jsonFile() async throws {
        let result = try await run(["--json-file", "summary.json", "--base", "0", "--", "sh", "-c", "exit 0"])
        #expect(result.status == 0)
        #expect(!result.standardError.contains("{"))
        let summary = try #require(JSONSerialization.jsonObject(with: Data(scratch.read("summary.json").utf8)) as? [String: Any])
        #expect(summary["stopReason"] as? String == "succeeded")
    }

    @Test("the waits are the library's: --seed makes them JitteredBackoff's delays for that seed")
    func delaysUseLibraryFormulas() async throws {
        let result = try await run([
            "--attempts", "4", "--base", "1ms", "--multiplier", "3", "--max-delay", "20ms", "--jitter", "full", "--seed", "42",
            "--json", "--", "sh", "-c", countingScript(exiting: [1]),
        ])
        let history = try #require(try result.summary()["history"] as? [[String: Any]])
        let delays = history.compactMap { $0["delayAfterSeconds"] as? Double }
        var expected = JitteredBackoff(.exponential(initial: .milliseconds(1), multiplier: 3, maxDelay: .milliseconds(20)), jitter: .full)
        var generator = SeededRandomNumberGenerator(seed: 42)
        let expectedDelays = (1...3).map { _ in
            let (seconds, attoseconds) = expected.nextDelay(using: &generator).components
            return ((Double(seconds) + Double(attoseconds) * 1e-18) * 1e6).rounded() / 1e6
        }
        #expect(delays == expectedDelays)
    }

    // MARK: - Bad options

    @Test(
        "bad options are a clear usage error (status 64), never a crash",
        arguments: [
            (["--attempts", "0", "--", "true"], "'--attempts <n>': the number of attempts must be at least 1"),
            (["--attempts", "-1", "--", "true"], "'--attempts <n>': -1 is negative; the number of attempts must be at least 1"),
            (["--seed", "-4", "--", "true"], "'--seed <n>': \"-4\" is negative"),
            (["--multiplier", "-2", "--", "true"], "--multiplier must be at least 1, got -2.0"),
            (["--timeout", "-5s", "--", "true"], "'--timeout <duration>': \"-5s\" is negative"),
            (["--attempts=-2", "--", "true"], "'--attempts <n>': -2 is negative"),
            (["--attempts", "many", "--", "true"], "'--attempts <n>': expected a whole number of attempts"),
            (["--base", "5x", "--", "true"], "'--base <duration>': \"5x\" has an unknown unit \"x\""),
            (["--base=-1s", "--", "true"], "'--base <duration>': \"-1s\" is negative"),
            (["--timeout", "soon", "--", "true"], "'--timeout <duration>': \"soon\" is not a duration"),
            (["--timeout", "0", "--", "true"], "--timeout must be positive"),
            (["--deadline", "0", "--", "true"], "--deadline must be positive"),
            (["--retry-on", "3-1", "--", "true"], "'--retry-on <list>': the range \"3-1\" is empty"),
            (["--retry-on", "256", "--", "true"], "'--retry-on <list>': \"256\" is not an exit status"),
            (["--stop-on", "1,,2", "--", "true"], "'--stop-on <list>': \"1,,2\" has an empty element"),
            (
                ["--policy", "reckless", "--", "true"],
                "unknown --policy \"reckless\"; expected one of adaptive, aggressive, conservative, default, rate-limit"
            ),
            (["--backoff", "cubic", "--", "true"], "'--backoff <kind>'. Please provide one of 'constant', 'linear' or 'exponential'"),
            (
                ["--jitter", "proportional:2", "--", "true"],
                "'--jitter <kind>': the proportional jitter's fraction must be a number in 0...1"
            ),
            (["--jitter", "wobbly", "--", "true"], "'--jitter <kind>': unknown jitter \"wobbly\""),
            (["--multiplier", "0.5", "--", "true"], "--multiplier must be at least 1, got 0.5"),
            (["--multiplier", "nan", "--", "true"], "--multiplier must be a finite number"),
            (["--base", "2s", "--max-delay", "1s", "--", "true"], "--max-delay must be at least --base"),
            (["--backoff", "constant", "--max-delay", "1s", "--", "true"], "--max-delay applies to linear and exponential backoff only"),
            (["--kill-after", "forever", "--", "true"], "'--kill-after <duration>': \"forever\" is not a duration"),
            ([], "missing the command to run"),
            (["--"], "missing the command to run"),
            (["--attemps", "3", "true"], "unknown option \"--attemps\"; put the command after '--'"),
            (["--spool-limit", "1XB", "--", "true"], "'--spool-limit <size>': \"1XB\" has an unknown unit \"XB\""),
            (["--spool-limit", "-1GiB", "--", "true"], "'--spool-limit <size>': \"-1GiB\" is negative"),
            (["--spool-limit", "0", "--", "true"], "'--spool-limit <size>': the size must be at least 1 byte"),
        ]
    )
    func badOptions(arguments: [String], message: String) async throws {
        let result = try await run(arguments)
        #expect(result.status == 64)
        #expect(result.standardError.contains(message), "stderr was: \(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }
}
