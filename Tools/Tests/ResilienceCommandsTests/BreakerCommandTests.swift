import Foundation
import Resilience
import Testing

@testable import ResilienceCommands

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `resilience run --breaker FILE`, end to end: the real binary, invoked again and again (and many
/// times at once) with the same state file, running `sh -c` scripts that count their runs.
///
/// No test waits for a break to pass: it moves the state into the past instead, by subtracting from
/// the documented times in the file, as an operator could. Margins are wide (probe
/// timeouts of 10 minutes where a probe must still be in flight, no bounds tighter than the break), so
/// that a slow machine (the thread sanitizer) cannot make the wall clock overtake a test. Serialized:
/// several tests start a dozen processes at once, which is load enough.
@Suite("resilience run --breaker (the real binary)", .serialized, .timeLimit(.minutes(10)))
struct BreakerCommandTests {
    let scratch: Scratch

    init() throws {
        scratch = try Scratch()
    }

    var stateFile: String { scratch.path("breaker.json") }

    /// One `resilience run --breaker breaker.json` (relative: the binary runs in the scratch directory).
    func invoke(_ options: [String], _ script: String = "echo x >> runs; exit 1") async throws -> ResilienceBinary.Result {
        try await ResilienceBinary.run(
            ["run", "--breaker", "breaker.json", "--no-stdin"] + options + ["--", "sh", "-c", script], in: scratch)
    }

    /// How many times the scripts ran, from the lines they appended to `runs`.
    var runs: Int { scratch.lines("runs").count }

    /// The state in the file, read as a later invocation would.
    func state() throws -> BreakerState {
        try #require(try BreakerFile(path: stateFile).load())
    }

    /// Moves everything in the state `seconds` into the past, by editing the file's documented times
    /// (`openUntil`, the probes' `grantedAt`, a time window's `newestBucketStart`), as an operator could.
    func age(by seconds: Int64) throws {
        let shift = seconds * 1_000_000_000
        var file = try #require(JSONSerialization.jsonObject(with: Data(scratch.read("breaker.json").utf8)) as? [String: Any])
        var breaker = try #require(file["breaker"] as? [String: Any])
        if let until = breaker["openUntil"] as? Int64 { breaker["openUntil"] = until - shift }
        if let probes = breaker["probes"] as? [[String: Any]] {
            breaker["probes"] = probes.map { probe in
                var probe = probe
                if let granted = probe["grantedAt"] as? Int64 { probe["grantedAt"] = granted - shift }
                return probe
            }
        }
        if var window = breaker["window"] as? [String: Any], let start = window["newestBucketStart"] as? Int64 {
            window["newestBucketStart"] = start - shift
            breaker["window"] = window
        }
        file["breaker"] = breaker
        try scratch.write("breaker.json", String(decoding: try JSONSerialization.data(withJSONObject: file), as: UTF8.self))
    }

    /// Trips the breaker with `threshold` failing invocations, checking each ran.
    func trip(_ threshold: Int, options: [String] = []) async throws {
        for _ in 0..<threshold {
            let result = try await invoke(["--attempts", "1", "--breaker-failures", "\(threshold)"] + options)
            #expect(result.status == 1)
        }
        #expect(try state().machine.state == .open)
    }

    // MARK: - Across invocations

    @Test("failing invocations trip it: the next is refused with 75 without running the command, saying why")
    func tripsAcrossInvocations() async throws {
        for invocation in 1...3 {
            let result = try await invoke(["--attempts", "1", "--breaker-failures", "3"])
            #expect(result.status == 1)
            #expect(runs == invocation)
        }
        #expect(try state().machine.state == .open)
        let refused = try await invoke(["--attempts", "1", "--breaker-failures", "3", "--json"])
        #expect(refused.status == 75)
        #expect(runs == 3)
        #expect(
            refused.standardError.contains(
                "resilience: attempt 1/1 rejected: circuit breaker \"breaker.json\" is open: not running the command; a run may probe in "))
        #expect(refused.standardError.contains("Z); no further attempts"))
        let summary = try refused.summary()
        #expect(summary["stopReason"] as? String == "rejected")
        #expect(summary["exitStatus"] as? Int == 75)
        let history = try #require(summary["history"] as? [[String: Any]])
        #expect(history.count == 1)
        #expect(history[0]["outcome"] as? String == "rejected")
        #expect((history[0]["rejection"] as? String)?.contains("circuit breaker \"breaker.json\" is open") == true)
        let retryAfter = try #require(history[0]["retryAfterSeconds"] as? Double)
        #expect(retryAfter > 0 && retryAfter <= 60)
    }

    @Test("the default breaker is the guide's: 5 failures in a row open it")
    func defaultThreshold() async throws {
        for _ in 1...4 { _ = try await invoke(["--attempts", "1"]) }
        #expect(try state().machine.state == .closed)
        _ = try await invoke(["--attempts", "1"])
        #expect(try state().machine.state == .open)
        #expect(try await invoke(["--attempts", "1"]).status == 75)
        #expect(runs == 5)
    }

    @Test("every attempt of a run goes through the breaker: retries stop when it opens")
    func attemptsWithinOneRun() async throws {
        let result = try await invoke(["--attempts", "5", "--base", "0", "--breaker-failures", "3"])
        #expect(result.status == 75)
        #expect(runs == 3)
        #expect(result.standardError.contains("opened after 3 failed attempts in a row; runs are refused until"))
        #expect(result.standardError.contains("attempt 4/5 rejected: circuit breaker \"breaker.json\" is open"))
    }

    @Test("--quiet leaves out the progress, but not why the command did not run")
    func quietRefusal() async throws {
        try await trip(1)
        let refused = try await invoke(["--attempts", "1", "--breaker-failures", "1", "--quiet"])
        #expect(refused.status == 75)
        #expect(refused.standardError.hasPrefix("resilience: attempt 1/1 rejected: circuit breaker \"breaker.json\" is open"))
        #expect(refused.standardError.split(separator: "\n").count == 1)
    }

    @Test("a success between failures starts the count again")
    func successResetsTheCount() async throws {
        for status in [1, 0, 1, 0, 1] {
            _ = try await invoke(["--attempts", "1", "--breaker-failures", "2"], "echo x >> runs; exit \(status)")
        }
        #expect(try state().machine.state == .closed)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "2"]).status == 1)
        #expect(try state().machine.state == .open)
    }

    @Test(
        "outcomes the run would not retry count neither way",
        arguments: [
            (["--stop-on", "2"], "exit 2", Int32(2)),
            (["--retry-on", "75"], "exit 1", 1),
            (["--stop-on", "signal"], "kill -KILL $$", 137),
        ]
    )
    func notRetriedOutcomes(options: [String], command: String, status: Int32) async throws {
        for _ in 0..<3 {
            let result = try await invoke(["--attempts", "1", "--breaker-failures", "1"] + options, "echo x >> runs; \(command)")
            #expect(result.status == status)
        }
        #expect(runs == 3)
        #expect(try state().machine.state == .closed)
    }

    @Test("time-outs and signals count as failures")
    func timeoutsAndSignalsFail() async throws {
        let timedOut = try await invoke(
            ["--attempts", "1", "--breaker-failures", "2", "--timeout", "100ms", "--kill-after", "100ms"], "sleep 30")
        #expect(timedOut.status == 124)
        let killed = try await invoke(["--attempts", "1", "--breaker-failures", "2"], "kill -KILL $$")
        #expect(killed.status == 137)
        #expect(try state().machine.state == .open)
    }

    @Test("a run interrupted by SIGTERM counts neither way")
    func interruptionCountsNeitherWay() async throws {
        let (running, finished) = try ResilienceBinary.start(
            [
                "run", "--breaker", "breaker.json", "--breaker-failures", "1", "--attempts", "1", "--", "sh", "-c",
                "touch ready; sleep 30 & wait",
            ],
            in: scratch
        )
        try await scratch.waitUntil { FileManager.default.fileExists(atPath: scratch.path("ready")) }
        running.send(SIGTERM)
        #expect(await finished().status == 128 + SIGTERM)
        #expect(try state().machine.state == .closed)
        #expect(try state().machine.snapshot(at: WallClock().now, configuration: .default).calls == 0)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "1"]).status == 1)
        #expect(runs == 1)
    }

    // MARK: - Probing after the break

    @Test("before the break has passed it still refuses; after it, one run probes and its success closes the breaker")
    func probeSucceeds() async throws {
        try await trip(2)
        try age(by: 10)
        let early = try await invoke(["--attempts", "1", "--breaker-failures", "2"], "echo x >> runs; exit 0")
        #expect(early.status == 75)
        let wait = try #require(early.standardError.firstMatch(of: #/a run may probe in (\d+(?:\.\d+)?)s \(at /#))
        #expect(Double(wait.1).map { $0 > 0 && $0 <= 50 } == true)
        #expect(runs == 2)

        try age(by: 51)
        let probe = try await invoke(["--attempts", "1", "--breaker-failures", "2"], "echo x >> runs; exit 0")
        #expect(probe.status == 0)
        #expect(runs == 3)
        #expect(probe.standardError.contains("circuit breaker \"breaker.json\" is half-open: this run probes"))
        #expect(probe.standardError.contains("circuit breaker \"breaker.json\" closed: the probe succeeded"))
        #expect(try state().machine.state == .closed)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "2"]).status == 1)
        #expect(runs == 4)
    }

    @Test("a failed probe opens the breaker again for another break")
    func probeFails() async throws {
        try await trip(2)
        try age(by: 61)
        let probe = try await invoke(["--attempts", "3", "--base", "0", "--breaker-failures", "2"])
        #expect(probe.status == 75)
        #expect(runs == 3)
        #expect(probe.standardError.contains("opened again: the probe failed"))
        #expect(try state().machine.state == .open)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "2"]).status == 75)
        #expect(runs == 3)
    }

    @Test("--breaker-break sets how long it stays open")
    func breakDuration() async throws {
        try await trip(1, options: ["--breaker-break", "10m"])
        try age(by: 61)
        let refused = try await invoke(["--attempts", "1", "--breaker-failures", "1", "--breaker-break", "10m"])
        #expect(refused.status == 75)
        // 10 minutes, less the 61 s, less however long the test has taken so far.
        #expect(refused.standardError.contains(#/a run may probe in [5-8]m\d+s \(at /#))
        try age(by: 540)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "1", "--breaker-break", "10m"]).status == 1)
        #expect(runs == 2)
    }

    @Test("--breaker-config: a whole configuration in JSON, here two probe successes to close")
    func configurationFile() async throws {
        try scratch.write("breaker-config.json", #"{"consecutiveFailureThreshold": 1, "successesToClose": 2, "maxConcurrentProbes": 1}"#)
        let options = ["--attempts", "1", "--breaker-config", "breaker-config.json"]
        #expect(try await invoke(options).status == 1)
        #expect(try state().machine.state == .open)
        try age(by: 61)
        #expect(try await invoke(options, "echo x >> runs; exit 0").status == 0)
        #expect(try state().machine.state == .halfOpen)
        #expect(try await invoke(options, "echo x >> runs; exit 0").status == 0)
        #expect(try state().machine.state == .closed)
    }

    @Test("a probe whose process was killed does not leave the breaker stuck: after the probe timeout another run probes")
    func killedProbe() async throws {
        let options = ["--attempts", "1", "--breaker-failures", "1", "--breaker-probe-timeout", "10m"]
        try await trip(1)
        try age(by: 61)
        let script = "echo $$ > probe.pid; exec sleep 30"
        let (probe, finished) = try ResilienceBinary.start(
            ["run", "--breaker", "breaker.json"] + options + ["--", "sh", "-c", script], in: scratch)
        try await scratch.waitUntil { !scratch.read("probe.pid").isEmpty }
        probe.send(SIGKILL)
        #expect(await finished().status == 128 + SIGKILL)
        if let child = Int32(scratch.read("probe.pid").trimmingCharacters(in: .whitespacesAndNewlines)) { kill(child, SIGKILL) }
        #expect(try state().machine.state == .halfOpen)

        let refused = try await invoke(options, "echo x >> runs; exit 0")
        #expect(refused.status == 75)
        #expect(refused.standardError.contains("is half-open and another run is probing: not running the command"))
        #expect(refused.standardError.contains("within 10m of its start (the probe timeout)"))

        try age(by: 601)
        let next = try await invoke(options, "echo x >> runs; exit 0")
        #expect(next.status == 0)
        #expect(runs == 2)
        #expect(try state().machine.state == .closed)
    }

    @Test("the default probe timeout covers --timeout plus --kill-after when longer")
    func probeTimeoutCoversAttemptTimeout() throws {
        let options = try RunOptions.parse(["--breaker", "b", "--timeout", "5m", "--kill-after", "10s", "--", "true"])
        #expect(try options.breakerSettings(for: options.configuration())?.configuration.probeTimeout == .seconds(310))
        let short = try RunOptions.parse(["--breaker", "b", "--timeout", "5s", "--", "true"])
        #expect(try short.breakerSettings(for: short.configuration())?.configuration.probeTimeout == .seconds(60))
        let explicit = try RunOptions.parse(["--breaker", "b", "--timeout", "5m", "--breaker-probe-timeout", "30s", "--", "true"])
        #expect(try explicit.breakerSettings(for: explicit.configuration())?.configuration.probeTimeout == .seconds(30))
        let defaults = try RunOptions.parse(["--breaker", "b", "--", "true"])
        #expect(try defaults.breakerSettings(for: defaults.configuration())?.configuration == .default)
    }

    @Test("--breaker-lock-timeout sets how long to wait for the lock; a holder that keeps it past that is an error (74)")
    func lockTimeout() async throws {
        let defaults = try RunOptions.parse(["--breaker", "b", "--", "true"])
        #expect(try defaults.breakerSettings(for: defaults.configuration())?.lockTimeout == .seconds(10))
        let given = try RunOptions.parse(["--breaker", "b", "--breaker-lock-timeout", "2m", "--", "true"])
        #expect(try given.breakerSettings(for: given.configuration())?.lockTimeout == .seconds(120))

        // Another open file description of the lock file, as another invocation would have, holds it.
        let holder = open(scratch.path("breaker.json.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        #expect(holder >= 0)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX) == 0)
        let result = try await invoke(["--attempts", "1", "--breaker-lock-timeout", "200ms"], "echo x >> runs")
        #expect(result.status == 74)
        #expect(result.standardError.contains("gave up after 200ms waiting for the lock on"))
        #expect(runs == 0)
    }

    // MARK: - Concurrent invocations

    /// Options for invocations started at once: what is under test is that they queue for the lock
    /// and lose no update, not how long they wait, so a slow disk (every write is `fsync`ed under the
    /// lock) must not make one give up.
    static let patientLocking = ["--breaker-lock-timeout", "10m"]

    /// Starts `count` invocations at once and waits for them all; their exit statuses.
    func invokeConcurrently(_ count: Int, _ options: [String], _ script: String) async throws -> [Int32] {
        var finishers: [() async -> ResilienceBinary.Result] = []
        for _ in 0..<count {
            let arguments =
                ["run", "--breaker", "breaker.json", "--no-stdin"] + Self.patientLocking + options + ["--", "sh", "-c", script]
            finishers.append(try ResilienceBinary.start(arguments, in: scratch).finished)
        }
        var statuses: [Int32] = []
        for finished in finishers { statuses.append(await finished().status) }
        return statuses
    }

    @Test("concurrent invocations sharing the file lose no update: the counts are exact")
    func concurrentCountsAreExact() async throws {
        let statuses = try await invokeConcurrently(
            16, ["--attempts", "3", "--base", "0", "--breaker-failures", "1000"], "echo x >> runs; exit 1")
        #expect(statuses == Array(repeating: 1, count: 16))
        #expect(runs == 48)
        let snapshot = try state().machine.snapshot(at: WallClock().now, configuration: .default)
        #expect(snapshot.calls == 48)
        #expect(snapshot.failures == 48)
        #expect(snapshot.consecutiveFailures == 48)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("breaker.json.tmp")))
    }

    @Test("concurrent failing invocations: exactly those admitted before the trip run, the rest are refused")
    func concurrentTrip() async throws {
        let statuses = try await invokeConcurrently(16, ["--attempts", "1", "--breaker-failures", "5"], "echo x >> runs; exit 1")
        #expect(statuses.allSatisfy { $0 == 1 || $0 == 75 })
        let ran = statuses.count { $0 == 1 }
        #expect(ran >= 5)
        #expect(runs == ran)
        #expect(try state().machine.state == .open)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "5"]).status == 75)
        #expect(runs == ran)
    }

    @Test("half-open, exactly one of many concurrent invocations probes; the others are refused", arguments: [0, 1])
    func concurrentProbe(probeStatus: Int) async throws {
        try await trip(1)
        try age(by: 61)
        try FileManager.default.removeItem(atPath: scratch.path("runs"))
        // The probe holds on until every other invocation has been refused.
        let script = "echo x >> runs; while [ ! -e go ]; do sleep 0.01; done; exit \(probeStatus)"
        var started: [(ResilienceBinary.Running, () async -> ResilienceBinary.Result)] = []
        for _ in 0..<12 {
            let arguments =
                ["run", "--breaker", "breaker.json", "--no-stdin"] + Self.patientLocking
                + ["--attempts", "1", "--breaker-failures", "1", "--breaker-probe-timeout", "10m", "--", "sh", "-c", script]
            started.append(try ResilienceBinary.start(arguments, in: scratch))
        }
        try await scratch.waitUntil { started.count { processIsGone($0.0.processID) } >= 11 }
        #expect(runs == 1)
        try scratch.write("go", "")
        var statuses: [Int32] = []
        for (_, finished) in started { statuses.append(await finished().status) }
        #expect(statuses.count { $0 == 75 } == 11)
        #expect(statuses.count { $0 == Int32(probeStatus) } == 1)
        #expect(runs == 1)
        #expect(try state().machine.state == (probeStatus == 0 ? .closed : .open))
    }

    // MARK: - Bad input

    @Test("a damaged state file is a clear error (65) naming it and the way out; the command does not run")
    func damagedFile() async throws {
        try scratch.write("breaker.json", "{ this is not a breaker")
        let result = try await invoke(["--attempts", "1"], "echo x >> runs; exit 0")
        #expect(result.status == 65)
        #expect(
            result.standardError
                == "resilience: the circuit breaker state file \"breaker.json\" is damaged: it is not valid JSON; "
                + "delete it, or run with --breaker-reset, to start again from a closed breaker\n")
        #expect(runs == 0)
        #expect(scratch.read("breaker.json") == "{ this is not a breaker")
    }

    @Test("--breaker-reset starts again from a closed breaker, with or without a command")
    func reset() async throws {
        try scratch.write("breaker.json", "damaged")
        let withCommand = try await invoke(["--attempts", "1", "--breaker-reset"], "echo x >> runs; exit 0")
        #expect(withCommand.status == 0)
        #expect(runs == 1)
        #expect(withCommand.standardError.contains("circuit breaker \"breaker.json\" reset: closed"))

        try await trip(1)
        let resetOnly = try await ResilienceBinary.run(["run", "--breaker", "breaker.json", "--breaker-reset"], in: scratch)
        #expect(resetOnly.status == 0)
        #expect(resetOnly.standardError == "resilience: circuit breaker \"breaker.json\" reset: closed\n")
        #expect(try state().machine.state == .closed)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "1"]).status == 1)
    }

    @Test("deleting the file resets the breaker too")
    func deleting() async throws {
        try await trip(1)
        try FileManager.default.removeItem(atPath: stateFile)
        #expect(try await invoke(["--attempts", "1", "--breaker-failures", "1"]).status == 1)
        #expect(runs == 2)
    }

    @Test(
        "a state file that cannot be used is a clear error (74); the command does not run",
        arguments: [
            (
                "missing/breaker.json",
                "cannot use the circuit breaker state file \"missing/breaker.json\": its directory \"missing\" does not exist"
            ),
            (".", "cannot use \".\" as a circuit breaker state file: it is a directory; name a file in it"),
            ("runs-dir/", "cannot use \"runs-dir/\" as a circuit breaker state file: it is a directory"),
        ]
    )
    func unusablePath(path: String, message: String) async throws {
        try FileManager.default.createDirectory(atPath: scratch.path("runs-dir"), withIntermediateDirectories: true)
        let result = try await ResilienceBinary.run(["run", "--breaker", path, "--", "sh", "-c", "echo x >> runs"], in: scratch)
        #expect(result.status == 74)
        #expect(result.standardError.contains(message), "stderr was: \(result.standardError)")
        #expect(runs == 0)
    }

    #if os(Linux)
    @Test("a permission denied is a clear error (74)")
    func permissionDenied() async throws {
        let result = try await ResilienceBinary.run(
            ["run", "--breaker", "/sys/resilience-breaker", "--", "sh", "-c", "echo x >> runs"], in: scratch)
        #expect(result.status == 74)
        // EACCES, or EROFS where sysfs is mounted read-only.
        #expect(
            result.standardError.contains("\"/sys/resilience-breaker.lock\": Permission denied")
                || result.standardError.contains("\"/sys/resilience-breaker.lock\": Read-only file system"))
        #expect(runs == 0)
    }
    #endif

    @Test(
        "bad breaker options are a usage error (64) naming the option",
        arguments: [
            (["--breaker-failures", "3"], "--breaker-failures needs --breaker FILE"),
            (["--breaker-reset"], "--breaker-reset needs --breaker FILE"),
            (["--breaker-lock-timeout", "1m"], "--breaker-lock-timeout needs --breaker FILE"),
            (["--breaker", ""], "--breaker needs the path of a state file"),
            (
                ["--breaker", "b", "--breaker-failures", "0"],
                "'--breaker-failures <n>': expected a whole number of failures, at least 1, got \"0\""
            ),
            (["--breaker", "b", "--breaker-failures", "many"], "'--breaker-failures <n>': expected a whole number of failures"),
            (
                ["--breaker", "b", "--breaker-failures", "-3"],
                "'--breaker-failures <n>': expected a whole number of failures, at least 1, got \"-3\" (a negative number)"
            ),
            (["--breaker", "b", "--breaker-break", "-1s"], "'--breaker-break <duration>': \"-1s\" is negative"),
            (["--breaker", "b", "--breaker-break", "0"], "--breaker-break must be positive, got 0"),
            (["--breaker", "b", "--breaker-break", "soon"], "'--breaker-break <duration>': \"soon\" is not a duration"),
            (["--breaker", "b", "--breaker-probe-timeout", "0s"], "--breaker-probe-timeout must be positive"),
            (["--breaker", "b", "--breaker-lock-timeout", "0"], "--breaker-lock-timeout must be positive, got 0"),
            (["--breaker", "b", "--breaker-config", "nope.json"], "--breaker-config: cannot read \"nope.json\""),
            (
                ["--breaker", "b", "--breaker-config", "bad.json"],
                "--breaker-config \"bad.json\": invalid configuration: maxConcurrentProbes must be at least 1"
            ),
            (
                ["--breaker", "b", "--breaker-config", "typo.json"],
                "--breaker-config \"typo.json\": invalid configuration: consecutiveFailures"
            ),
            (["--breaker", "b", "--breaker-config", "garbage.json"], "--breaker-config \"garbage.json\": it is not valid JSON"),
            (["--breaker", "b", "--breaker-config", "config-dir"], "--breaker-config: \"config-dir\" is a directory; name a JSON file"),
            (
                ["--breaker", "b", "--breaker-config", "huge.json"],
                "--breaker-config: a --breaker state file holds a count window of at most 10000 calls, got 1000000"
            ),
        ]
    )
    func badOptions(options: [String], message: String) async throws {
        try FileManager.default.createDirectory(atPath: scratch.path("config-dir"), withIntermediateDirectories: true)
        try scratch.write("huge.json", #"{"slidingWindow": {"type": "count", "size": 1000000}}"#)
        try scratch.write("bad.json", #"{"maxConcurrentProbes": 0}"#)
        try scratch.write("typo.json", #"{"consecutiveFailures": 3}"#)
        try scratch.write("garbage.json", "{")
        let result = try await ResilienceBinary.run(["run"] + options + ["--", "sh", "-c", "echo x >> runs"], in: scratch)
        #expect(result.status == 64)
        #expect(result.standardError.contains(message), "stderr was: \(result.standardError)")
        #expect(runs == 0)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("b")))
    }

    @Test("the largest count window a state file allows (10,000 calls) still updates quickly")
    func largestCountWindow() async throws {
        try scratch.write("window.json", #"{"slidingWindow": {"type": "count", "size": 10000}, "minimumThroughput": 10000}"#)
        for _ in 0..<3 {
            #expect(try await invoke(["--attempts", "1", "--breaker-config", "window.json", "--breaker-lock-timeout", "1m"]).status == 1)
        }
        #expect(runs == 3)
        // A window of 10,000 is about 20 kB (a million was 2 MB, a second per locked update).
        let size = try #require(try FileManager.default.attributesOfItem(atPath: stateFile)[.size] as? Int)
        #expect(size < 100_000)
    }

    // MARK: - What FILE may be

    /// The failures in a row recorded in the state file `name` (following a link), read from its
    /// documented JSON; `nil` if it has none.
    func consecutiveFailures(in name: String) -> Int? {
        guard let match = scratch.read(name).firstMatch(of: /"consecutiveFailures":(\d+)/) else { return nil }
        return Int(match.1)
    }

    /// Runs `resilience run --breaker FILE` on a FILE that may hang a careless open: waits (counting
    /// polling time) for it to end, killing it if it does not, so that a hang fails the test.
    func runBounded(_ path: String) async throws -> ResilienceBinary.Result {
        let (running, finished) = try ResilienceBinary.start(
            ["run", "--breaker", path, "--no-stdin", "--", "sh", "-c", "echo x >> runs"], in: scratch)
        try await scratch.waitUntil(timeout: .seconds(30)) { processIsGone(running.processID) }
        running.send(SIGKILL)
        return await finished()
    }

    @Test("a FIFO as the state file is an error (74) at once, not a hang; it stays a FIFO")
    func fifoStateFile() async throws {
        #expect(mkfifo(scratch.path("fifo"), 0o644) == 0)
        let result = try await runBounded("fifo")
        #expect(result.status == 74)
        #expect(
            result.standardError.contains(
                "cannot use \"fifo\" as a circuit breaker state file: it is a FIFO (named pipe), not a regular file"))
        #expect(runs == 0)
        #expect(fileType(scratch.path("fifo")) == S_IFIFO)
    }

    @Test("a FIFO as the lock file is an error (74) at once, not a hang")
    func fifoLockFile() async throws {
        #expect(mkfifo(scratch.path("breaker.json.lock"), 0o644) == 0)
        let result = try await runBounded("breaker.json")
        #expect(result.status == 74)
        #expect(result.standardError.contains("its lock file \"breaker.json.lock\" is a FIFO (named pipe), not a regular file"))
        #expect(runs == 0)
    }

    @Test("a character device as the state file (as /dev/null) is an error (74); the device stays", .enabled(if: getuid() == 0))
    func deviceStateFile() async throws {
        // A copy of /dev/null (character device 1:3) in the scratch directory, so that a failure cannot
        // replace the machine's own (1:3 encoded as glibc's makedev does for small numbers, which is not
        // imported). Creating device nodes takes root.
        #expect(mknod(scratch.path("null"), S_IFCHR | 0o666, (1 << 8) | 3) == 0)
        let result = try await runBounded("null")
        #expect(result.status == 74)
        #expect(
            result.standardError.contains(
                "cannot use \"null\" as a circuit breaker state file: it is a character device, not a regular file"))
        #expect(runs == 0)
        #expect(fileType(scratch.path("null")) == S_IFCHR)
    }

    @Test("a leftover FILE.tmp symbolic link is not followed: its target keeps its contents, and the link goes")
    func temporaryFileSymlink() async throws {
        try scratch.write("victim", "precious\n")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("breaker.json.tmp"), withDestinationPath: "victim")
        #expect(try await invoke(["--attempts", "1"]).status == 1)
        #expect(scratch.read("victim") == "precious\n")
        #expect(consecutiveFailures(in: "breaker.json") == 1)
        #expect(fileType(scratch.path("breaker.json")) == S_IFREG)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("breaker.json.tmp")))
    }

    @Test("temporary files earlier writers left (FILE.tmp.*) are removed by the next write; none is left behind")
    func staleTemporaryFiles() async throws {
        try scratch.write("breaker.json.tmp.1f2e3d", "half a state")
        try scratch.write("breaker.json.tmp-unrelated", "someone else's")
        #expect(try await invoke(["--attempts", "1"]).status == 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        #expect(!names.contains { $0.hasPrefix("breaker.json.tmp.") })
        #expect(names.contains("breaker.json.tmp-unrelated"))
        #expect(consecutiveFailures(in: "breaker.json") == 1)
    }

    @Test("a dangling symbolic link as FILE names the state file to create: the link stays, its target gets the state")
    func danglingSymlink() async throws {
        try FileManager.default.createSymbolicLink(atPath: stateFile, withDestinationPath: "target.json")
        #expect(try await invoke(["--attempts", "1"]).status == 1)
        #expect(fileType(stateFile) == S_IFLNK)
        #expect(fileType(scratch.path("target.json")) == S_IFREG)
        #expect(consecutiveFailures(in: "target.json") == 1)
        #expect(try await invoke(["--attempts", "1"]).status == 1)
        #expect(consecutiveFailures(in: "breaker.json") == 2)
    }

    // MARK: - Formats and crafted files (issue 8, item 6; issue 9, defects 1-3)

    @Test("a version 1 state file, as the old resilience wrote it, is read and rewritten as version 2")
    func versionOneFile() async throws {
        try scratch.write("breaker.json", String(decoding: try Fixtures.data("v1-readme-example.json"), as: UTF8.self))
        // Open since 2025-05-01T12:00:00Z for 60 s: this run probes, and its success closes the breaker.
        let result = try await invoke(["--attempts", "1"], "echo x >> runs; exit 0")
        #expect(result.status == 0)
        #expect(result.standardError.contains("circuit breaker \"breaker.json\" is half-open: this run probes"))
        #expect(result.standardError.contains("circuit breaker \"breaker.json\" closed: the probe succeeded"))
        let text = scratch.read("breaker.json")
        #expect(text.hasPrefix(#"{"breaker":{"consecutiveFailures":0,"#) && text.hasSuffix(#""version":2}"# + "\n"))
        #expect(try state().machine.state == .closed)
    }

    @Test("a one-character file name works (Foundation's path functions trap on one)")
    func oneCharacterName() async throws {
        let result = try await ResilienceBinary.run(["run", "--breaker", "B", "--no-stdin", "--", "true"], in: scratch)
        #expect(result.status == 0)
        #expect(scratch.read("B").hasSuffix(#""version":2}"# + "\n"))
    }

    @Test("a break as long as the flags allow is written as a time the next run reads (issue 9, defect 3)")
    func longestBreak() async throws {
        let breaker = ["run", "--breaker", "B", "--no-stdin", "--quiet"]
        #expect(try await ResilienceBinary.run(breaker + ["--", "true"], in: scratch).status == 0)
        let tripping = try await ResilienceBinary.run(
            breaker + ["--attempts", "1", "--breaker-break", "2562047h47m16s", "--breaker-failures", "1", "--", "false"], in: scratch)
        #expect(tripping.status == 1)
        // The break ends at the largest time a state holds (2262-04-11T23:47:16Z): refused, not damaged.
        let next = try await ResilienceBinary.run(breaker + ["--", "true"], in: scratch)
        #expect(next.status == 75)
        #expect(next.standardError.contains("is open: not running the command; a run may probe in "))
        #expect(next.standardError.contains("(at 2262-04-11T23:47:16Z)"))
        #expect(scratch.read("B").contains(#""openUntil":9223372036854775807,"#))
    }

    /// A version 1 time-window state whose two buckets' calls add up past Int64, with totals that
    /// wrap around to match: the old decoder's consistency check trapped on its sum (exit 132).
    func overflowingVersionOneFile() throws -> String {
        let big = #"{"calls":4611686018427387904,"failures":0,"slowCalls":0}"#
        return String(decoding: try Fixtures.data("v1-closed-time.json"), as: UTF8.self)
            .replacingOccurrences(
                of:
                    #"{"calls":1,"failures":0,"slowCalls":0},{"calls":0,"failures":0,"slowCalls":0},{"calls":1,"failures":1,"slowCalls":0}"#,
                with: "\(big),\(big),\(big)"
            ).replacingOccurrences(of: #""calls":3,"#, with: #""calls":-4611686018427387903,"#)
    }

    @Test(
        "a crafted file whose counts add up past Int64 is damaged (65), not a crash; --breaker-reset replaces it unread (issue 9, defect 1)"
    )
    func overflowingCounts() async throws {
        try scratch.write("time.json", String(decoding: try Fixtures.data("time-configuration.json"), as: UTF8.self))
        let crafted = try overflowingVersionOneFile()
        try scratch.write("breaker.json", crafted)
        let result = try await invoke(["--attempts", "1", "--breaker-config", "time.json"])
        #expect(result.status == 65)
        #expect(result.standardError.contains("is damaged: a bucket's count is negative or out of range (at breaker.core.window)"))
        #expect(runs == 0 && scratch.read("breaker.json") == crafted)
        // --breaker-reset never reads what it replaces, with a command or without.
        let withCommand = try await invoke(["--attempts", "1", "--breaker-config", "time.json", "--breaker-reset"], "echo x >> runs")
        #expect(withCommand.status == 0 && runs == 1)
        try scratch.write("breaker.json", crafted)
        let resetOnly = try await ResilienceBinary.run(["run", "--breaker", "breaker.json", "--breaker-reset"], in: scratch)
        #expect(resetOnly.status == 0)
        #expect(try state().machine.state == .closed)
    }

    /// A time window of one bucket of an hour, for the crafted files.
    static let hourWindow =
        #"{"consecutiveFailureThreshold": null, "failureRateThreshold": 0.5, "slidingWindow": {"type": "time", "duration": 3600, "buckets": 1}, "minimumThroughput": 1}"#

    @Test(
        "a crafted consistent state with a bucket at Int64.max calls is damaged (65), not a crash at the next outcome (issue 9, defect 2)")
    func bucketAtInt64Max() async throws {
        try scratch.write("hour.json", Self.hourWindow)
        // Version 1, as the old decoder accepted it: its totals are its bucket's; counting the next
        // call in that bucket trapped.
        let start = WallClock().now.nanosecondsSinceEpoch - 1_000_000_000
        let crafted =
            #"{"breaker":{"core":{"consecutiveFailures":0,"consecutiveOpenings":0,"generation":0,"nextProbeID":1,"probeFailures":0,"#
            + #""probeSuccesses":0,"probes":[],"rejectedCalls":0,"state":"closed","window":{"buckets":[{"calls":9223372036854775807,"#
            + #""failures":0,"slowCalls":0}],"calls":9223372036854775807,"currentBucket":0,"failures":0,"layout":{"buckets":1,"#
            + #""duration":3600,"type":"time"},"nextIndex":0,"outcomes":[],"slowCalls":0}},"origin":\#(start)},"updatedAt":\#(start),"version":1}"#
        try scratch.write("breaker.json", crafted)
        let result = try await invoke(["--attempts", "1", "--breaker-config", "hour.json"])
        #expect(result.status == 65)
        #expect(result.standardError.contains("is damaged: a bucket's count is negative or out of range (at breaker.core.window)"))
        #expect(runs == 0)
        // The same in version 2: a bucket past the most a record holds.
        try scratch.write(
            "breaker.json",
            #"{"breaker":{"consecutiveFailures":0,"consecutiveOpenings":0,"generation":7,"nextProbeID":1,"probeFailures":0,"#
                + #""probeSuccesses":0,"probes":[],"rejectedCalls":0,"state":"closed","version":1,"window":{"bucketCount":1,"#
                + #""bucketNanoseconds":3600000000000,"buckets":[[9223372036854775807,0,0]],"newestBucketStart":\#(start),"type":"time"}},"#
                + #""updatedAt":\#(start),"version":2}"#)
        let second = try await invoke(["--attempts", "1", "--breaker-config", "hour.json"])
        #expect(second.status == 65)
        #expect(second.standardError.contains("is damaged: breaker.window.buckets[0] must count from 0 to 281474976710656 calls"))
        #expect(runs == 0)
    }

    @Test("the longest break, from a state written long ago, is written as a time the next run reads (issue 9, defect 3)")
    func longestBreakFromAnOldState() async throws {
        // The old format measured times from the state's first write: 2025-05-01 plus the longest
        // break was past the largest time it held, and the next run found the file damaged.
        try scratch.write(
            "breaker.json",
            String(decoding: try Fixtures.data("v1-closed-count.json"), as: UTF8.self)
                .replacingOccurrences(of: #""origin":1796175745917495045"#, with: #""origin":1746100800000000000"#))
        let options = ["--attempts", "1", "--breaker-break", "2562047h47m16s", "--breaker-failures", "1"]
        #expect(try await invoke(options).status == 1)
        #expect(try await invoke(options).status == 75)
        #expect(runs == 1)
    }

    @Test("a full bucket (the most calls a state holds) counts no more: the run records its outcome, and the next reads it")
    func fullBucket() async throws {
        try scratch.write("hour.json", Self.hourWindow)
        let start = WallClock().now.nanosecondsSinceEpoch - 1_000_000_000
        try scratch.write(
            "breaker.json",
            #"{"breaker":{"consecutiveFailures":0,"consecutiveOpenings":0,"generation":7,"nextProbeID":1,"probeFailures":0,"#
                + #""probeSuccesses":0,"probes":[],"rejectedCalls":0,"state":"closed","version":1,"window":{"bucketCount":1,"#
                + #""bucketNanoseconds":3600000000000,"buckets":[[281474976710656,0,0]],"newestBucketStart":\#(start),"type":"time"}},"#
                + #""updatedAt":\#(start),"version":2}"#)
        #expect(try await invoke(["--attempts", "1", "--breaker-config", "hour.json"]).status == 1)
        #expect(try await invoke(["--attempts", "1", "--breaker-config", "hour.json"], "echo x >> runs; exit 0").status == 0)
        #expect(runs == 2)
        #expect(scratch.read("breaker.json").contains("[[281474976710656,0,0]]"))
    }

    @Test("a crafted version 1 file the old decoder accepted (origin at Int64.min) leads to a state the next run reads (issue 9, defect 3)")
    func earliestOrigin() async throws {
        try scratch.write(
            "breaker.json",
            String(decoding: try Fixtures.data("v1-readme-example.json"), as: UTF8.self)
                .replacingOccurrences(of: #""origin":1746100800000000000"#, with: #""origin":-9223372036854775808"#))
        // The break passed in 1677: this run probes, and its failure opens the breaker again.
        #expect(try await invoke(["--attempts", "1"]).status == 1)
        #expect(try await invoke(["--attempts", "1"]).status == 75)
        #expect(runs == 1)
    }

    @Test(
        "a crafted state of the largest counts the decoder accepts (consecutiveOpenings at Int32.max) leads to a state the next run reads (issue 9, defect 3)"
    )
    func largestOpenings() async throws {
        try scratch.write(
            "breaker.json",
            String(decoding: try Fixtures.data("v1-readme-example.json"), as: UTF8.self)
                .replacingOccurrences(of: #""consecutiveOpenings":1"#, with: #""consecutiveOpenings":2147483647"#))
        #expect(try await invoke(["--attempts", "1"]).status == 1)  // probes, fails, opens again
        #expect(scratch.read("breaker.json").contains(#""consecutiveOpenings":2147483647,"#))
        #expect(try await invoke(["--attempts", "1"]).status == 75)
        #expect(runs == 1)
    }

    @Test(
        "a field the format does not have is a damaged state file (65), not silently dropped",
        arguments: [
            ("\"openUntil\"", "\"openUntill\"", "breaker.openUntill"),
            ("\"type\":\"count\"", "\"type\":\"count\",\"nextIndex\":0", "breaker.window.nextIndex"),
            ("\"version\":2", "\"version\":2,\"extra\":true", "extra"),
        ]
    )
    func unknownField(original: String, replacement: String, field: String) async throws {
        try await trip(1)
        let text = scratch.read("breaker.json")
        #expect(text.contains(original))
        try scratch.write("breaker.json", text.replacingOccurrences(of: original, with: replacement))
        let result = try await invoke(["--attempts", "1"])
        #expect(result.status == 65)
        #expect(result.standardError.contains("is damaged: it has a field \"\(field)\" that format version 2 does not have"))
        #expect(runs == 1)
    }
}

/// The type of the file at `path` (`S_IFREG`, `S_IFLNK`, ...), not following a link; 0 if none.
func fileType(_ path: String) -> mode_t {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
}
