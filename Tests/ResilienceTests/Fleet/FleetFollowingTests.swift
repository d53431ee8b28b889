import Resilience
import ResilienceTestKit
import Testing

/// A fleet's shared store, in memory: what a database would keep for one breaker.
struct FakeFleetStore {
    let configuration: FleetConfiguration
    var summaries: [String: FleetBreakerSummary] = [:]
    var leases = FleetProbeLeases()

    /// One instance's sync: upserts its summary, applies its probe request, returns the view.
    mutating func sync(_ report: FleetBreakerReport, at seconds: Double) -> FleetBreakerView {
        summaries[report.summary.instance] = report.summary
        if let request = report.probeRequest {
            leases.apply(request, from: report.summary.instance, at: unix(seconds), configuration: configuration)
        }
        return FleetBreakerView(summaries: summaries.values.sorted { $0.instance < $1.instance }, leases: leases)
    }
}

/// Instances of one service, each with its own breaker state machine, and their store.
struct FakeFleet {
    let breaker: CircuitBreakerConfiguration
    let configuration: FleetConfiguration
    var store: FakeFleetStore
    var machines: [String: Machine]

    init(_ instances: [String], breaker: CircuitBreakerConfiguration, configuration: FleetConfiguration) {
        self.breaker = breaker
        self.configuration = configuration
        store = FakeFleetStore(configuration: configuration)
        machines = Dictionary(uniqueKeysWithValues: instances.map { ($0, Machine(breaker)) })
    }

    /// `instance` syncs at `seconds`: reports, and follows the view.
    @discardableResult
    mutating func sync(_ instance: String, at seconds: Double) -> FleetSyncResult {
        let report = machines[instance]!.fleetReport(instance: instance, at: at(seconds), unixTime: unix(seconds), fleet: configuration)
        let view = store.sync(report, at: seconds)
        return machines[instance]!.followFleet(
            view, acknowledging: report, instance: instance, at: at(seconds), unixTime: unix(seconds), configuration: breaker,
            fleet: configuration)
    }

    /// Every instance syncs at `seconds`, in the order given; returns their transitions.
    @discardableResult
    mutating func syncAll(_ instances: [String], at seconds: Double) -> [String: [CircuitBreakerTransition]] {
        var transitions: [String: [CircuitBreakerTransition]] = [:]
        for instance in instances { transitions[instance] = sync(instance, at: seconds).transitions }
        return transitions
    }

    /// A call on `instance` at `start`, its outcome recorded at `end`.
    @discardableResult
    mutating func call(
        _ instance: String, _ outcome: CircuitBreakerOutcome, at start: Double, until end: Double? = nil
    )
        -> (granted: Bool, transitions: [CircuitBreakerTransition])
    {
        machines[instance]!.call(outcome, at: start, until: end, breaker)
    }

    func state(_ instance: String) -> CircuitState { machines[instance]!.state }
}

@Suite("Breakers following a fleet")
struct FleetFollowingTests {
    let breaker: CircuitBreakerConfiguration
    let fleet: FleetConfiguration
    let all = ["a", "b", "c"]

    init() throws {
        breaker = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 5, breakDuration: .constant(.seconds(10)))
        fleet = try FleetConfiguration(
            syncInterval: .seconds(1), timeToLive: .seconds(5), staleAfter: .seconds(3), probeHolders: 1, probeLeaseDuration: .seconds(10),
            rules: FleetBreakerRules(failureRateThreshold: 0.5, minimumThroughput: 20, quorum: 2))
    }

    /// a and b trip on their own at 0.4 s (5 failures each); every instance syncs at 1 s, and c opens.
    func trippedFleet() -> FakeFleet {
        var fleet = FakeFleet(all, breaker: breaker, configuration: self.fleet)
        for instance in ["a", "b"] {
            for tenth in 0..<5 { fleet.call(instance, .failure, at: Double(tenth) / 10) }
        }
        fleet.syncAll(all, at: 1)
        return fleet
    }

    @Test("a closed instance opens at its next sync once a quorum opened on their own evidence; its report then says it follows")
    func fleetOpens() {
        var fleet = FakeFleet(all, breaker: breaker, configuration: self.fleet)
        for instance in ["a", "b"] {
            for tenth in 0..<5 { fleet.call(instance, .failure, at: Double(tenth) / 10) }
        }
        #expect(fleet.state("a") == .open)
        #expect(fleet.sync("a", at: 1).transitions.isEmpty)
        let b = fleet.sync("b", at: 1)
        #expect(b.transitions.isEmpty)
        #expect(b.decision.reason == .quorum)
        let c = fleet.sync("c", at: 1)
        #expect(c.transitions == [change(.closed, .open, .fleetOpened)])
        #expect(c.decision.failingInstances == 2)
        #expect(c.decision.liveInstances == 3)
        #expect(fleet.call("c", .success, at: 1.5).granted == false)
        let report = fleet.machines["c"]!.fleetReport(instance: "c", at: at(2), unixTime: unix(2), fleet: self.fleet)
        #expect(report.summary.state == .open)
        #expect(report.summary.followsFleet)
        #expect(report.summary.stateSince == unix(1))
        #expect(report.summary.heartbeat == unix(2))
        #expect(report.probeRequest == nil)
    }

    @Test("one instance open alone does not open the others; each keeps its own rules")
    func oneIsNotAQuorum() {
        var fleet = FakeFleet(all, breaker: breaker, configuration: self.fleet)
        for tenth in 0..<5 { fleet.call("a", .failure, at: Double(tenth) / 10) }
        let quiet = fleet.syncAll(all, at: 1)
        #expect(quiet.values.allSatisfy { $0.isEmpty })
        #expect(fleet.state("b") == .closed)
        for second in 2..<6 { fleet.call("b", .failure, at: Double(second)) }
        #expect(fleet.call("b", .failure, at: 6).transitions == [change(.closed, .open, .consecutiveFailures)])
    }

    @Test("the pooled rule opens instances that see too few calls to trip alone")
    func pooledOpens() throws {
        var fleet = FakeFleet(all, breaker: try breaker.with { $0.consecutiveFailureThreshold = 50 }, configuration: self.fleet)
        for instance in all {
            for index in 0..<8 { fleet.call(instance, index < 4 ? .failure : .success, at: Double(index) / 10) }
        }
        let transitions = fleet.syncAll(all, at: 1)
        // a syncs first and sees only its own 8 calls; b sees 16; c sees 24, 12 failed: open.
        #expect(transitions["a"] == [])
        #expect(transitions["b"] == [])
        #expect(transitions["c"] == [change(.closed, .open, .fleetOpened)])
        #expect(fleet.sync("a", at: 2).transitions == [change(.closed, .open, .fleetOpened)])
    }

    @Test("when the break ends only the lease holder probes; the others reject until its probe succeeds, then close")
    func oneProbeThenFollowClosed() {
        var fleet = trippedFleet()
        for second in 2..<10 { fleet.syncAll(all, at: Double(second)) }
        // At 10 s a's break (until 10.4 s) ends within the next sync: a asks for the lease and gets it;
        // b (10.4 s) and c (11 s) ask too and are refused.
        fleet.syncAll(all, at: 10)
        #expect(fleet.store.leases.holders.map(\.instance) == ["a"])
        #expect(fleet.store.leases.lease(of: "a", at: unix(10))?.expiresAt == unix(20))
        // b's break has ended but it holds no lease: it stays open, rejecting.
        let rejected = fleet.machines["b"]!.acquire(at: at(10.5), configuration: breaker)
        #expect(rejected.rejectedState == .open)
        #expect(rejected.retryAfter == nil)
        #expect(fleet.state("b") == .open)
        // a probes, and closes.
        let probe = fleet.call("a", .success, at: 10.5, until: 10.6)
        #expect(probe.granted)
        #expect(probe.transitions == [change(.open, .halfOpen, .breakElapsed), change(.halfOpen, .closed, .probesSucceeded)])
        #expect(
            fleet.machines["a"]!.fleetReport(instance: "a", at: at(11), unixTime: unix(11), fleet: self.fleet).probeRequest
                == .release(.closed))
        let transitions = fleet.syncAll(all, at: 11)
        #expect(transitions["a"] == [])
        #expect(transitions["b"] == [change(.open, .closed, .fleetClosed)])
        #expect(transitions["c"] == [change(.open, .closed, .fleetClosed)])
        #expect(fleet.store.leases.holders.isEmpty)
        #expect(fleet.store.leases.lastVerdict == FleetProbeVerdict(outcome: .closed, at: unix(11), instance: "a", round: 1))
        // The stale "open" summaries of b and c (written before they followed) opened before the recovery:
        // nobody reopens, and the acknowledged verdict is not reported again.
        let later = fleet.syncAll(all, at: 12)
        #expect(later.values.allSatisfy { $0.isEmpty })
        #expect(fleet.machines["a"]!.fleetReport(instance: "a", at: at(12), unixTime: unix(12), fleet: self.fleet).probeRequest == nil)
        #expect(all.allSatisfy { fleet.state($0) == .closed })
    }

    @Test("when the holder's probe fails, the others start a new break with it instead of probing")
    func followReopened() {
        var fleet = trippedFleet()
        for second in 2...10 { fleet.syncAll(all, at: Double(second)) }
        let probe = fleet.call("a", .failure, at: 10.5, until: 10.6)
        #expect(probe.transitions == [change(.open, .halfOpen, .breakElapsed), change(.halfOpen, .open, .probeFailed)])
        fleet.syncAll(all, at: 11)
        #expect(fleet.store.leases.lastVerdict?.outcome == .reopened)
        // b and c were open past or near their break's end: each starts a new 10 s break at 11 s.
        #expect(fleet.machines["b"]!.acquire(at: at(11.5), configuration: breaker).retryAfter == .milliseconds(9_500))
        #expect(fleet.machines["c"]!.snapshot(at: at(11), configuration: breaker).consecutiveOpenings == 2)
        #expect(fleet.machines["b"]!.fleetReport(instance: "b", at: at(12), unixTime: unix(12), fleet: self.fleet).summary.followsFleet)
        // At 20 s a (break until 20.6 s) asks again and is the one to probe; b and c (21 s) are refused.
        for second in 12...20 { fleet.syncAll(all, at: Double(second)) }
        #expect(fleet.store.leases.holders.map(\.instance) == ["a"])
    }

    @Test("a half-open follower (one that half-opens on its own timer) reopens on a failed probe verdict")
    func halfOpenFollowerReopens() {
        var fleet = trippedFleet()
        for second in 2...10 { fleet.syncAll(all, at: Double(second)) }
        #expect(fleet.machines["b"]!.halfOpenIfDue(at: at(10.5), configuration: breaker) == change(.open, .halfOpen, .breakElapsed))
        #expect(fleet.machines["b"]!.acquire(at: at(10.6), configuration: breaker).rejectedState == .halfOpen)
        fleet.call("a", .failure, at: 10.5, until: 10.6)
        fleet.sync("a", at: 11)
        #expect(fleet.sync("b", at: 11).transitions == [change(.halfOpen, .open, .fleetReopened)])
    }

    @Test("a lease whose holder died expires, and another instance probes")
    func deadHolder() {
        var fleet = trippedFleet()
        for second in 2...10 { fleet.syncAll(all, at: Double(second)) }
        // a dies at 10 s holding the lease until 20 s.
        for second in 11...19 {
            fleet.syncAll(["b", "c"], at: Double(second))
            #expect(fleet.store.leases.holders.map(\.instance) == ["a"])
        }
        #expect(fleet.machines["b"]!.acquire(at: at(19.5), configuration: breaker).isGranted == false)
        fleet.syncAll(["b", "c"], at: 20)
        #expect(fleet.store.leases.holders.map(\.instance) == ["b"])
        #expect(fleet.call("b", .success, at: 20.5).transitions.last == change(.halfOpen, .closed, .probesSucceeded))
        let transitions = fleet.syncAll(["b", "c"], at: 21)
        #expect(transitions["c"] == [change(.open, .closed, .fleetClosed)])
    }

    @Test("with the shared view stale for longer than staleAfter, a breaker probes on its own again")
    func staleFallsBackToLocal() {
        var fleet = trippedFleet()
        for second in 2...10 { fleet.syncAll(all, at: Double(second)) }
        // The store goes down after the 10 s sync: b last synced at 10 s, so follows until 13 s.
        #expect(fleet.machines["b"]!.isFollowingFleet(at: at(12.999)))
        #expect(fleet.machines["b"]!.acquire(at: at(12.999), configuration: breaker).isGranted == false)
        #expect(!fleet.machines["b"]!.isFollowingFleet(at: at(13)))
        let local = fleet.call("b", .success, at: 13)
        #expect(local.granted)
        #expect(local.transitions == [change(.open, .halfOpen, .breakElapsed), change(.halfOpen, .closed, .probesSucceeded)])
        // A local probe is not a fleet verdict.
        #expect(fleet.machines["b"]!.fleetReport(instance: "b", at: at(14), unixTime: unix(14), fleet: self.fleet).probeRequest == nil)
    }

    @Test("a breaker that never synced acts alone: no lease needed")
    func neverSynced() {
        var machine = Machine(breaker)
        for second in 0..<5 { machine.call(.failure, at: Double(second), breaker) }
        #expect(!machine.isFollowingFleet(at: at(5)))
        #expect(machine.call(.success, at: 14, breaker).granted)
    }

    @Test("a verdict older than this breaker's opening is not followed")
    func oldVerdictIgnored() {
        var fleet = FakeFleet(all, breaker: breaker, configuration: self.fleet)
        fleet.store.leases.release(for: "a", outcome: .closed, at: unix(0.5))
        for tenth in 0..<5 { fleet.call("b", .failure, at: 1 + Double(tenth) / 10) }
        #expect(fleet.sync("b", at: 2).transitions.isEmpty)
        #expect(fleet.state("b") == .open)
    }

    @Test("an instance reset by hand while holding a lease gives it back, undecided")
    func resetHolderReleases() {
        var fleet = trippedFleet()
        for second in 2...10 { fleet.syncAll(all, at: Double(second)) }
        _ = fleet.machines["a"]!.reset(at: at(10.2), configuration: breaker)
        #expect(
            fleet.machines["a"]!.fleetReport(instance: "a", at: at(11), unixTime: unix(11), fleet: self.fleet).probeRequest == .release(nil)
        )
        fleet.sync("a", at: 11)
        #expect(fleet.store.leases.holders.isEmpty)
        #expect(fleet.store.leases.round == 0)
    }

    @Test("a manual state wins: an isolated or disabled breaker is not opened by the fleet")
    func manualStatesWin() {
        var fleet = FakeFleet(all + ["d"], breaker: breaker, configuration: self.fleet)
        for instance in ["a", "b"] {
            for tenth in 0..<5 { fleet.call(instance, .failure, at: Double(tenth) / 10) }
        }
        _ = fleet.machines["c"]!.disable(at: at(0.5), configuration: breaker)
        _ = fleet.machines["d"]!.isolate(at: at(0.5), configuration: breaker)
        let transitions = fleet.syncAll(all + ["d"], at: 1)
        #expect(transitions["c"] == [])
        #expect(transitions["d"] == [])
    }
}
