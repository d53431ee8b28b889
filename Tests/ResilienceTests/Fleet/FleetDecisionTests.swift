import Foundation
import Resilience
import Testing

/// 1 January 2026, in nanoseconds since the Unix epoch: the fleet tests' time zero.
let fleetEpoch: Int64 = 1_767_225_600_000_000_000

/// The fleet's time `seconds` after ``fleetEpoch``.
func unix(_ seconds: Double) -> Int64 {
    fleetEpoch + Int64((seconds * 1e9).rounded())
}

/// A summary, briefly: closed with an empty window unless told otherwise.
func summary(
    _ instance: String,
    _ state: CircuitState = .closed,
    calls: Int = 0,
    failures: Int = 0,
    followsFleet: Bool = false,
    since: Double = 0,
    heartbeat: Double = 0
) -> FleetBreakerSummary {
    FleetBreakerSummary(
        instance: instance, state: state, followsFleet: followsFleet, stateSince: unix(since), calls: calls, failures: failures,
        heartbeat: unix(heartbeat))
}

@Suite("Fleet decisions")
struct FleetDecisionTests {
    let rules: FleetBreakerRules

    init() throws {
        rules = try FleetBreakerRules(
            failureRateThreshold: 0.5, minimumThroughput: 20, quorum: 2, quorumShare: nil, instanceFailureRateThreshold: 0.5,
            instanceMinimumThroughput: 10)
    }

    func decide(
        _ summaries: [FleetBreakerSummary], rules: FleetBreakerRules? = nil, now: Double = 1, recoveredAt: Int64? = nil
    )
        -> FleetDecision
    {
        FleetDecision(evaluating: summaries, rules: rules ?? self.rules, timeToLive: .seconds(5), now: unix(now), recoveredAt: recoveredAt)
    }

    @Test("the pooled rule adds up closed windows: 4 instances at 4 of 8 calls failed, below each one's minimum, are 16 of 32 pooled")
    func pooledFailureRate() {
        let decision = decide((1...4).map { summary("i\($0)", calls: 8, failures: 4) })
        #expect(decision.verdict == .open)
        #expect(decision.reason == .pooledFailureRate)
        #expect(decision.isOpen)
        #expect(decision.pooledCalls == 32)
        #expect(decision.pooledFailures == 16)
        #expect(decision.pooledFailureRate == 0.5)
        #expect(decision.failingInstances == 0)
        #expect(decision.liveInstances == 4)
    }

    @Test("below the pooled rate with enough calls the fleet is closed; below the fleet's minimum throughput it has no opinion")
    func closedAndNoOpinion() {
        let healthy = decide((1...4).map { summary("i\($0)", calls: 8, failures: 3) })
        #expect(healthy.verdict == .closed)
        #expect(healthy.reason == .healthy)
        let quiet = decide([summary("a", calls: 10, failures: 9)])
        #expect(quiet.verdict == .noOpinion)
        #expect(quiet.reason == .tooFewCalls)
        #expect(quiet.failingInstances == 1)
        #expect(decide([]).verdict == .noOpinion)
        #expect(decide([]).pooledFailureRate == nil)
    }

    @Test("a quorum of 2 instances open on their own evidence opens the fleet; one does not")
    func quorumCount() {
        let one = decide([summary("a", .open), summary("b"), summary("c")])
        #expect(one.verdict == .noOpinion)
        #expect(one.failingInstances == 1)
        let two = decide([summary("a", .open), summary("b", .open), summary("c")])
        #expect(two.verdict == .open)
        #expect(two.reason == .quorum)
        #expect(two.failingInstances == 2)
        #expect(two.liveInstances == 3)
    }

    @Test("a closed instance whose own window is at the instance threshold, with its minimum of calls, counts towards the quorum")
    func failingWindow() {
        #expect(summary("a", calls: 10, failures: 5).seesDownstreamFailing(rules: rules))
        #expect(!summary("a", calls: 10, failures: 4).seesDownstreamFailing(rules: rules))
        #expect(!summary("a", calls: 9, failures: 9).seesDownstreamFailing(rules: rules))
        #expect(summary("a", .disabled, calls: 10, failures: 10).seesDownstreamFailing(rules: rules))
        let decision = decide(
            [summary("a", calls: 10, failures: 5), summary("b", .open)], rules: try? rules.with { $0.minimumThroughput = 1_000 })
        #expect(decision.reason == .quorum)
    }

    @Test("an instance opened by the fleet, half-open, or isolated is not failing: a decision cannot keep itself alive")
    func followersDoNotCount() {
        #expect(!summary("a", .open, followsFleet: true).seesDownstreamFailing(rules: rules))
        #expect(!summary("a", .halfOpen).seesDownstreamFailing(rules: rules))
        #expect(!summary("a", .isolated).seesDownstreamFailing(rules: rules))
        let decision = decide([summary("a", .open), summary("b", .open, followsFleet: true), summary("c", .open, followsFleet: true)])
        #expect(decision.verdict == .noOpinion)
        #expect(decision.failingInstances == 1)
    }

    @Test("an opening before the fleet's last recovery is old news")
    func recoveredAt() {
        let summaries = [summary("a", .open, since: 3), summary("b", .open, since: 5)]
        #expect(decide(summaries).isOpen)
        #expect(!decide(summaries, recoveredAt: unix(4)).isOpen)
        #expect(decide(summaries, recoveredAt: unix(4)).failingInstances == 1)
        #expect(decide(summaries, recoveredAt: unix(2)).isOpen)
    }

    @Test("a share P of live instances opens the fleet: 2 of 10 at 0.2, not 1 of 10")
    func quorumShare() throws {
        let share = try FleetBreakerRules(failureRateThreshold: nil, minimumThroughput: 20, quorum: nil, quorumShare: 0.2)
        let healthy = (3...10).map { summary("i\($0)") }
        #expect(!decide([summary("i1", .open), summary("i2")] + healthy, rules: share).isOpen)
        let decision = decide([summary("i1", .open), summary("i2", .open)] + healthy, rules: share)
        #expect(decision.reason == .quorumShare)
        #expect(decision.liveInstances == 10)
    }

    @Test("open and half-open windows are not pooled: they hold the calls that tripped them")
    func openWindowsNotPooled() {
        let decision = decide([summary("a", .open, calls: 100, failures: 100, followsFleet: true), summary("b", calls: 30, failures: 3)])
        #expect(decision.pooledCalls == 30)
        #expect(decision.verdict == .closed)
    }

    @Test("instances silent for longer than the time to live are ignored; a heartbeat in the future is live")
    func liveness() {
        let summaries = [summary("a", .open, heartbeat: 0), summary("b", .open, heartbeat: 4)]
        #expect(decide(summaries, now: 5).isOpen)
        #expect(decide(summaries, now: 5.001).liveInstances == 1)
        #expect(!decide(summaries, now: 5.001).isOpen)
        #expect(summary("c", heartbeat: 100).isLive(at: unix(1), timeToLive: .seconds(5)))
        #expect(!summary("c").isLive(at: .max, timeToLive: .seconds(5)))
        #expect(
            FleetBreakerSummary(instance: "d", state: .closed, stateSince: 0, calls: 0, failures: 0, heartbeat: .min)
                .isLive(at: .max, timeToLive: .seconds(5)) == false)
    }

    @Test("a summary is total: counts are clamped, failures and slow calls to at most the calls")
    func summaryIsTotal() {
        let clamped = FleetBreakerSummary(instance: "a", state: .closed, stateSince: 0, calls: 5, failures: 9, slowCalls: -3, heartbeat: 0)
        #expect(clamped.failures == 5)
        #expect(clamped.slowCalls == 0)
        #expect(
            FleetBreakerSummary(instance: "a", state: .closed, stateSince: 0, calls: .max, failures: 0, heartbeat: 0).calls
                == Int(Int32.max))
    }

    @Test("a decision describes itself")
    func description() {
        let decision = decide([summary("a", .open), summary("b", .open)])
        #expect(decision.description == "open (quorum): 2 of 2 live instances failing, 0 of 0 pooled calls failed")
    }
}

@Suite("Fleet configuration")
struct FleetConfigurationTests {
    static func rules(invalidIn field: String) -> FleetBreakerRules {
        var rules = FleetBreakerRules.default
        switch field {
        case "failureRateThreshold": rules.failureRateThreshold = 0
        case "minimumThroughput": rules.minimumThroughput = 0
        case "quorum": rules.quorum = 0
        case "quorumShare": rules.quorumShare = 1.5
        case "instanceFailureRateThreshold": rules.instanceFailureRateThreshold = -1
        case "instanceMinimumThroughput": rules.instanceMinimumThroughput = 0
        default: (rules.failureRateThreshold, rules.quorum, rules.quorumShare) = (nil, nil, nil)
        }
        return rules
    }

    @Test(
        "invalid rules name the field (no rule at all names failureRateThreshold)",
        arguments: [
            "failureRateThreshold", "minimumThroughput", "quorum", "quorumShare", "instanceFailureRateThreshold",
            "instanceMinimumThroughput", "none",
        ])
    func invalidRules(field: String) {
        do {
            try Self.rules(invalidIn: field).validate()
            Issue.record("expected an error naming \(field)")
        } catch {
            #expect(error.field == (field == "none" ? "failureRateThreshold" : field))
        }
    }

    static func configuration(invalidIn field: String) -> FleetConfiguration {
        var configuration = FleetConfiguration.default
        switch field {
        case "syncInterval": configuration.syncInterval = .zero
        case "timeToLive": configuration.timeToLive = .seconds(1)
        case "staleAfter": configuration.staleAfter = .milliseconds(500)
        case "probeHolders": configuration.probeHolders = 0
        case "probeLeaseDuration": configuration.probeLeaseDuration = .zero
        default: configuration.rules.quorum = -1
        }
        return configuration
    }

    @Test(
        "invalid configurations name the field",
        arguments: ["syncInterval", "timeToLive", "staleAfter", "probeHolders", "probeLeaseDuration", "rules.quorum"])
    func invalidConfiguration(field: String) {
        do {
            try Self.configuration(invalidIn: field).validate()
            Issue.record("expected an error naming \(field)")
        } catch {
            #expect(error.field == field)
        }
        #expect(throws: ConfigurationError.self) { try FleetConfiguration.default.with { $0 = Self.configuration(invalidIn: field) } }
    }

    @Test("a configuration round-trips through JSON, durations in seconds, and decoding names a bad field by its path")
    func coding() throws {
        let configuration = try FleetConfiguration(
            syncInterval: .milliseconds(500), timeToLive: .seconds(3), staleAfter: .seconds(2), probeHolders: 2,
            probeLeaseDuration: .seconds(15), rules: FleetBreakerRules(failureRateThreshold: nil, quorum: 4, quorumShare: 0.25))
        let data = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(FleetConfiguration.self, from: data) == configuration)
        let partial = try JSONDecoder().decode(FleetConfiguration.self, from: Data(#"{"probeHolders": 3, "rules": {"quorum": null}}"#.utf8))
        #expect(partial.probeHolders == 3)
        #expect(partial.rules.quorum == nil)
        #expect(partial.rules.failureRateThreshold == 0.5)
        for (json, field) in [
            (#"{"rules": {"quorum": 0}}"#, "rules.quorum"),
            (#"{"rules": {"quorums": 2}}"#, "rules.quorums"),
            (#"{"syncInterval": "1s"}"#, "syncInterval"),
            (#"{"timeToLive": 0.5}"#, "timeToLive"),
        ] {
            do {
                _ = try JSONDecoder().decode(FleetConfiguration.self, from: Data(json.utf8))
                Issue.record("expected \(json) to fail")
            } catch let error as ConfigurationError {
                #expect(error.field == field)
            }
        }
    }

    @Test("summaries round-trip as versioned JSON; crafted ones are named errors, never crashes")
    func summaryCoding() throws {
        let original = FleetBreakerSummary(
            instance: "api-1", state: .open, followsFleet: true, stateSince: unix(1), calls: 20, failures: 12, slowCalls: 2,
            heartbeat: unix(2))
        let data = try JSONEncoder().encode(original)
        #expect(try JSONDecoder().decode(FleetBreakerSummary.self, from: data) == original)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        let valid: [String: Any] = [
            "version": 1, "instance": "a", "state": "closed", "followsFleet": false, "stateSince": 0, "calls": 10, "failures": 2,
            "slowCalls": 0, "heartbeat": 0,
        ]
        for (key, value) in [
            ("version", 2 as Any), ("instance", ""), ("state", "ajar"), ("calls", -1), ("failures", 11), ("slowCalls", 11),
            ("calls", 3_000_000_000), ("heartbeat", "soon"),
        ] {
            var crafted = valid
            crafted[key] = value
            let json = try JSONSerialization.data(withJSONObject: crafted)
            #expect(throws: DecodingError.self, "\(key): \(value)") { try JSONDecoder().decode(FleetBreakerSummary.self, from: json) }
        }
        let json = try JSONSerialization.data(withJSONObject: valid)
        #expect(try JSONDecoder().decode(FleetBreakerSummary.self, from: json).failures == 2)
    }
}
