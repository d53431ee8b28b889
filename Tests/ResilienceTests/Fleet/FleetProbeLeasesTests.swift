import Foundation
import Resilience
import Testing

@Suite("Fleet probe leases")
struct FleetProbeLeasesTests {
    let configuration: FleetConfiguration

    init() throws {
        configuration = try FleetConfiguration(probeHolders: 2, probeLeaseDuration: .seconds(10))
    }

    @Test("at most N instances hold a lease; a holder asking again gets its lease back unchanged")
    func atMostN() {
        var leases = FleetProbeLeases()
        let a = leases.acquire(for: "a", knownRound: 0, at: unix(1), configuration: configuration)
        #expect(a == FleetProbeLease(instance: "a", grantedAt: unix(1), expiresAt: unix(11)))
        #expect(leases.acquire(for: "b", knownRound: 0, at: unix(2), configuration: configuration) != nil)
        #expect(leases.acquire(for: "c", knownRound: 0, at: unix(3), configuration: configuration) == nil)
        #expect(leases.acquire(for: "a", knownRound: 0, at: unix(4), configuration: configuration) == a)
        #expect(leases.activeLeases(at: unix(4)) == 2)
        #expect(leases.holders.map(\.instance) == ["a", "b"])
    }

    @Test("a lease expires, so a probe whose instance died is freed for another")
    func expiry() throws {
        var leases = FleetProbeLeases()
        let one = try FleetConfiguration(probeHolders: 1)
        leases.acquire(for: "dead", knownRound: 0, at: unix(0), configuration: one)
        #expect(leases.acquire(for: "b", knownRound: 0, at: unix(9.999), configuration: one) == nil)
        #expect(leases.lease(of: "dead", at: unix(9.999)) != nil)
        #expect(leases.lease(of: "dead", at: unix(10)) == nil)
        #expect(leases.acquire(for: "b", knownRound: 0, at: unix(10), configuration: one)?.instance == "b")
        #expect(leases.holders.map(\.instance) == ["b"])
    }

    @Test("a release with an outcome frees the lease, records the verdict and starts a round; a closed verdict is the recovery")
    func verdicts() {
        var leases = FleetProbeLeases()
        leases.acquire(for: "a", knownRound: 0, at: unix(1), configuration: configuration)
        leases.release(for: "a", outcome: .reopened, at: unix(2))
        #expect(leases.holders.isEmpty)
        #expect(leases.round == 1)
        #expect(leases.lastVerdict == FleetProbeVerdict(outcome: .reopened, at: unix(2), instance: "a", round: 1))
        #expect(leases.recoveredAt == nil)
        leases.apply(.acquire(knownRound: 1), from: "b", at: unix(3), configuration: configuration)
        leases.apply(.release(.closed), from: "b", at: unix(4), configuration: configuration)
        #expect(leases.round == 2)
        #expect(leases.recoveredAt == unix(4))
        #expect(leases.lastVerdict?.instance == "b")
    }

    @Test("an undecided release frees the lease without a verdict")
    func undecidedRelease() {
        var leases = FleetProbeLeases()
        leases.acquire(for: "a", knownRound: 0, at: unix(1), configuration: configuration)
        leases.apply(.release(nil), from: "a", at: unix(2), configuration: configuration)
        #expect(leases.holders.isEmpty)
        #expect(leases.round == 0)
        #expect(leases.lastVerdict == nil)
    }

    @Test("an instance that has not seen the latest verdict gets no lease: it has a verdict to follow first")
    func staleRoundRefused() {
        var leases = FleetProbeLeases()
        leases.release(for: "a", outcome: .reopened, at: unix(1))
        #expect(leases.acquire(for: "b", knownRound: 0, at: unix(2), configuration: configuration) == nil)
        #expect(leases.acquire(for: "b", knownRound: 1, at: unix(2), configuration: configuration) != nil)
    }

    @Test("requests describe themselves and expose what they carry")
    func requests() {
        #expect(FleetProbeRequest.acquire(knownRound: 3).knownRound == 3)
        #expect(!FleetProbeRequest.acquire(knownRound: 3).isRelease)
        #expect(FleetProbeRequest.release(.closed).outcome == .closed)
        #expect(FleetProbeRequest.release(nil).isRelease)
        #expect("\(FleetProbeRequest.acquire(knownRound: 3))" == "acquire (round 3)")
        #expect("\(FleetProbeRequest.release(.reopened))" == "release (reopened)")
        #expect("\(FleetProbeRequest.release(nil))" == "release (undecided)")
    }

    @Test("leases round-trip as versioned JSON; crafted ones are named errors")
    func coding() throws {
        var leases = FleetProbeLeases()
        leases.release(for: "a", outcome: .closed, at: unix(1))
        leases.acquire(for: "b", knownRound: 1, at: unix(2), configuration: configuration)
        let data = try JSONEncoder().encode(leases)
        #expect(try JSONDecoder().decode(FleetProbeLeases.self, from: data) == leases)
        for json in [
            #"{"version": 2, "round": 0, "holders": []}"#,
            #"{"version": 1, "round": 0, "holders": [{"instance": "a", "grantedAt": 5, "expiresAt": 4}]}"#,
            #"{"version": 1, "round": 0, "holders": [{"instance": "a", "grantedAt": 1, "expiresAt": 4}, {"instance": "a", "grantedAt": 1, "expiresAt": 4}]}"#,
            #"{"version": 1, "round": 0, "holders": [], "lastVerdict": {"outcome": "closed", "at": 1, "instance": "a", "round": 1}}"#,
            #"{"version": 1, "round": 1, "holders": [], "lastVerdict": {"outcome": "ajar", "at": 1, "instance": "a", "round": 1}}"#,
            #"{"version": 1, "round": -1, "holders": []}"#,
        ] {
            #expect(throws: DecodingError.self, "\(json)") { try JSONDecoder().decode(FleetProbeLeases.self, from: Data(json.utf8)) }
        }
    }

    @Test("a state rebuilt from columns is total: duplicate holders keep the first, and the round covers the verdict")
    func rebuilt() {
        let lease = FleetProbeLease(instance: "a", grantedAt: 1, expiresAt: 2)
        let rebuilt = FleetProbeLeases(
            round: 0, holders: [lease, FleetProbeLease(instance: "a", grantedAt: 3, expiresAt: 4)],
            lastVerdict: FleetProbeVerdict(outcome: .closed, at: 1, instance: "b", round: 4), recoveredAt: 1)
        #expect(rebuilt.holders == [lease])
        #expect(rebuilt.round == 4)
    }
}
