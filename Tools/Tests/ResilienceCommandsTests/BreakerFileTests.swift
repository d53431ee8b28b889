import Foundation
import Resilience
import Testing

@testable import ResilienceCommands

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("The breaker state file: locked read-modify-write, atomic replacement", .timeLimit(.minutes(5)))
struct BreakerFileTests {
    let scratch: Scratch
    let configuration = CircuitBreakerConfiguration.default

    init() throws {
        scratch = try Scratch()
    }

    func fresh(_ seconds: Double = 0) -> BreakerState {
        BreakerState(configuration: configuration, now: wall(seconds))
    }

    @Test("a missing file holds no state; a state set is written, and read back equal")
    func createsAndReadsBack() throws {
        let file = BreakerFile(path: scratch.path("breaker.json"))
        #expect(try file.load() == nil)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("breaker.json")))
        let seen = try file.update { state -> BreakerState? in
            let before = state
            state = fresh()
            return before
        }
        #expect(seen == nil)
        #expect(try file.load() == fresh())
        // The lock file stays; no temporary file is left behind.
        #expect(FileManager.default.fileExists(atPath: scratch.path("breaker.json.lock")))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("breaker.json.tmp")))
        let text = scratch.read("breaker.json")
        #expect(text.hasPrefix(#"{"breaker":{"consecutiveFailures":0,"#) && text.hasSuffix("\"version\":2}\n"))
    }

    @Test("an unchanged state is not rewritten")
    func unchangedNotRewritten() throws {
        let file = BreakerFile(path: scratch.path("breaker.json"))
        try file.update { $0 = fresh() }
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 0)], ofItemAtPath: scratch.path("breaker.json"))
        try file.update { _ in }
        try file.update { state in state = state }
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path("breaker.json"))
        #expect((attributes[.modificationDate] as? Date) == Date(timeIntervalSince1970: 0))
    }

    @Test("a write replaces the file by rename, keeping the permissions it was given")
    func replacesByRename() throws {
        let path = scratch.path("breaker.json")
        let file = BreakerFile(path: path)
        try file.update { $0 = fresh() }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let inodeBefore = try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        try file.update { $0 = fresh(1) }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.systemFileNumber] as? Int != inodeBefore)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        #expect(try file.load() == fresh(1))
    }

    @Test("a stale temporary file from a crashed writer is harmless")
    func staleTemporaryFile() throws {
        let file = BreakerFile(path: scratch.path("breaker.json"))
        try file.update { $0 = fresh() }
        try scratch.write("breaker.json.tmp", #"{"breaker":"#)
        #expect(try file.load() == fresh())
        try file.update { $0 = fresh(2) }
        #expect(try file.load() == fresh(2))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("breaker.json.tmp")))
    }

    @Test("an empty file (as touch leaves it) holds no state yet")
    func emptyFile() throws {
        try scratch.write("breaker.json", "")
        #expect(try BreakerFile(path: scratch.path("breaker.json")).load() == nil)
        try scratch.write("breaker.json", " \n")
        #expect(try BreakerFile(path: scratch.path("breaker.json")).load() == nil)
    }

    @Test(
        "a damaged file is an error naming the file and the way out; the change does not run",
        arguments: [
            ("not json", "it is not valid JSON"),
            (#"{"breaker":{}}"#, "the field \"version\" is missing"),
            (#"{"version":7,"updatedAt":0,"breaker":{}}"#, "it has format version 7, written by a later resilience"),
            (#"{"version":1,"updatedAt":"noon","breaker":{}}"#, "a value has the wrong type (at updatedAt)"),
            (#"{"version":1,"updatedAt":0,"breaker":{"origin":0}}"#, "the field \"core\" is missing (at breaker)"),
            ("[1,2]", "a value has the wrong type"),
        ]
    )
    func damagedFile(contents: String, reason: String) throws {
        try scratch.write("breaker.json", contents)
        let file = BreakerFile(path: scratch.path("breaker.json"))
        var ran = false
        #expect {
            try file.update { _ in ran = true }
        } throws: { error in
            guard let error = error as? BreakerStoreError else { return false }
            return error.code == .damaged && error.exitStatus == 65 && error.message.contains(scratch.path("breaker.json"))
                && error.message.contains(reason) && error.message.contains("--breaker-reset")
        }
        #expect(!ran)
        #expect(scratch.read("breaker.json") == contents)
    }

    @Test("replacing the state (--breaker-reset) never reads the file: whatever it holds is replaced")
    func replacing() throws {
        let file = BreakerFile(path: scratch.path("breaker.json"))
        for contents in ["garbage", #"{"version":99}"#, String(repeating: "[", count: 100_000)] {
            try scratch.write("breaker.json", contents)
            try file.replace(with: fresh(4))
            #expect(try file.load() == fresh(4))
        }
        // Nothing there yet: created.
        try FileManager.default.removeItem(atPath: scratch.path("breaker.json"))
        try file.replace(with: fresh(5))
        #expect(try file.load() == fresh(5))
        // Only a regular file is replaced.
        #expect(mkfifo(scratch.path("fifo.json"), 0o644) == 0)
        #expect(throws: BreakerStoreError.self) { try BreakerFile(path: scratch.path("fifo.json")).replace(with: fresh()) }
        #expect(fileType(scratch.path("fifo.json")) == S_IFIFO)
    }

    @Test("a directory, a missing directory, or a path under a file is an access error, not a crash")
    func inaccessiblePaths() throws {
        try scratch.write("plain", "x")
        let cases = [
            (scratch.url.path, "it is a directory"),
            (scratch.url.path + "/", "it is a directory"),
            (scratch.path("missing/breaker.json"), "its directory \"\(scratch.path("missing"))\" does not exist"),
            (scratch.path("plain/breaker.json"), "a part of its path is not a directory"),
        ]
        for (path, reason) in cases {
            #expect {
                try BreakerFile(path: path).update { $0 = fresh() }
            } throws: { error in
                guard let error = error as? BreakerStoreError else { return false }
                return error.code == .inaccessible && error.exitStatus == 74 && error.message.contains(reason)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("missing")))
    }

    #if os(Linux)
    @Test("a lock file that cannot be created is a permission error (sysfs refuses even root)")
    func permissionDenied() throws {
        #expect {
            try BreakerFile(path: "/sys/resilience-breaker-test").update { $0 = fresh() }
        } throws: { error in
            // EACCES, or EROFS where sysfs is mounted read-only.
            let message = (error as? BreakerStoreError)?.message ?? ""
            return message.contains("Permission denied") || message.contains("Read-only file system")
        }
    }
    #endif

    @Test("a symbolic link to the state file is followed: the file it names is replaced, the link stays")
    func symbolicLink() throws {
        let file = BreakerFile(path: scratch.path("link.json"))
        try BreakerFile(path: scratch.path("target.json")).update { $0 = fresh() }
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.json"), withDestinationPath: scratch.path("target.json"))
        try file.update { $0 = fresh(3) }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path("link.json")) == scratch.path("target.json"))
        #expect(try BreakerFile(path: scratch.path("target.json")).load() == fresh(3))
    }

    @Test("the change runs under an exclusive lock: a holder of the lock makes it wait, then give up")
    func waitsForTheLock() throws {
        let file = BreakerFile(path: scratch.path("breaker.json"), lockTimeout: .milliseconds(50))
        try file.update { $0 = fresh() }
        // Another open file description of the lock file (as another process would have) holds it.
        // Close-on-exec, or a child process that another test starts meanwhile would share the lock.
        let holder = open(scratch.path("breaker.json.lock"), O_RDWR | O_CLOEXEC)
        #expect(holder >= 0)
        #expect(flock(holder, LOCK_EX) == 0)
        let started = ContinuousClock.now
        var ran = false
        #expect {
            try file.update { _ in ran = true }
        } throws: { error in
            (error as? BreakerStoreError)?.message.contains("waiting for the lock") == true
        }
        #expect(!ran)
        #expect(started.duration(to: .now) >= .milliseconds(50))
        close(holder)
        try file.update { _ in ran = true }
        #expect(ran)
    }

    @Test("concurrent updates from many threads lose none")
    func concurrentUpdates() async throws {
        let path = scratch.path("breaker.json")
        let configuration = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 1_000)
        try BreakerFile(path: path).update { $0 = BreakerState(configuration: configuration, now: wall(0)) }
        // Threads of their own, not tasks: the lock is waited for by blocking, which would hold up the
        // cooperative pool that every other test runs on.
        let errors = LockedState<[String]>([])
        let done = DispatchGroup()
        for _ in 0..<40 {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    // Each thread has its own descriptor of the lock file, as separate processes would;
                    // a patient one, since a slow disk's fsync under the lock is not under test.
                    try BreakerFile(path: path, lockTimeout: .seconds(600)).update { state in
                        state?.modify(at: wall(1), configuration: configuration) { machine in
                            guard let permit = (machine.acquire(at: wall(1), configuration: configuration)).permit else { return }
                            _ = machine.record(.failure, for: permit, at: wall(1), configuration: configuration)
                        }
                    }
                } catch {
                    errors.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        await withCheckedContinuation { finished in done.notify(queue: .global()) { finished.resume() } }
        #expect(errors.withLock { $0 } == [])
        let state = try #require(try BreakerFile(path: path).load())
        #expect(state.machine.snapshot(at: wall(1), configuration: configuration).consecutiveFailures == 40)
    }
}

@Suite("Waiting for the state file's lock")
struct LockWaitTests {
    @Test("pauses count as they took, so the wait ends at its limit")
    func pausesCount() {
        var wait = LockWait(limit: .milliseconds(50))
        for _ in 0..<4 { wait.count(.milliseconds(10)) }
        #expect(wait.waited == .milliseconds(40))
        #expect(!wait.isOver)
        wait.count(.milliseconds(10))
        #expect(wait.isOver)
    }

    @Test("a pause in which the process was stopped counts 100 ms, however long it took")
    func stopsAreNotWaiting() {
        var wait = LockWait(limit: .seconds(10))
        wait.count(.seconds(30))  // stopped for 30 s: the holder most likely was too
        #expect(wait.waited == .milliseconds(100))
        #expect(!wait.isOver)
        wait.count(.milliseconds(-5))  // a clock never goes back, but a negative step would not count
        #expect(wait.waited == .milliseconds(100))
    }
}
