import FaultServer
import ResilienceCommands

/// The demo services' fault script: what the OCR and vision services do with each request, as a
/// function of the seed, the service, the receipt and the attempt (the request's place among that
/// receipt's requests to that service), never of the order in which receipts arrive.
///
/// - OCR: receipts in ``outage`` get `503 Retry-After: 60` (the service is down for a minute; the
///   OCR policy does not retry a hint that long, so each such receipt falls back to local OCR),
///   enough of them in a row, with the batch in order and at most `concurrency` receipts in flight,
///   that at least 5 OCR calls fail in a row and the OCR breaker opens; the receipts after it find
///   the service recovered, and the breaker half-opens and closes. Any other receipt may meet one
///   fault on its first attempt (a 503, a reset connection, a response slower than the attempt
///   time-out) or a slow response that still arrives in time.
/// - Vision: an even-numbered receipt may meet one fault on its first attempt (a 429 with
///   `Retry-After: 2`, a 503, a response slower than the attempt time-out) or a slow response in time.
///
/// Each receipt meets at most one fault per service outside the outage, so with at most 4 receipts
/// in flight neither breaker can trip on those alone (5 and 3 failures in a row). Every fault but the
/// outage is retried to success within the policies' attempts, so a receipt's outcome follows from
/// the plan alone: ``expectedOutcomes``.
struct DemoFaultPlan: Sendable, Hashable {
    /// What one request meets.
    enum Fault: String, Sendable, Hashable, CaseIterable, Codable {
        case outage = "503 Retry-After: 60 (outage)"
        case unavailable = "503"
        case reset = "connection reset"
        case tooSlow = "slower than the attempt time-out"
        case slow = "slow, in time"
        case rateLimited = "429 Retry-After: 2"
    }

    /// The services the plan scripts.
    enum Service: String, Sendable, Hashable, CaseIterable, Codable {
        case ocr, vision

        /// The path of `receipt`'s requests to the service, such as `/ocr/receipts/7`.
        func path(receipt: Int) -> String { "/\(rawValue)/receipts/\(receipt)" }
    }

    /// The seed of the faults' draws.
    var seed: UInt64
    /// The receipts in the batch.
    var receipts: Int
    /// The receipts in flight at most.
    var concurrency: Int
    /// The attempt time-out of both services, on the demo's (scaled) clock: a slow response takes a
    /// fifth of it, a too-slow one ten times it.
    var attemptTimeout: Duration
    /// The receipts whose OCR requests meet the outage.
    let outage: Range<Int>

    /// The plan for a batch of `receipts` with at most `concurrency` in flight.
    init(seed: UInt64, receipts: Int, concurrency: Int, attemptTimeout: Duration) {
        self.seed = seed
        self.receipts = max(receipts, 0)
        self.concurrency = max(concurrency, 1)
        self.attemptTimeout = attemptTimeout
        outage = Self.outage(receipts: self.receipts, concurrency: self.concurrency)
    }

    /// The outage: from a fifth of the way in, `2 × concurrency + 3` receipts (the receipts in flight
    /// around its start and end may still succeed; the 5 or more between them are the breaker's
    /// failures in a row), leaving at least one receipt after it to close the breaker again.
    static func outage(receipts: Int, concurrency: Int) -> Range<Int> {
        guard receipts >= 3 else { return 0..<0 }
        let start = max(1, receipts / 5)
        let length = min(2 * concurrency + 3, receipts - start - 1)
        return start..<(start + max(length, 0))
    }

    /// The fault `receipt`'s first attempt to `service` meets, if any.
    func fault(for service: Service, receipt: Int) -> Fault? {
        switch service {
        case .ocr:
            if outage.contains(receipt) { return .outage }
            return draw(service, receipt, rate: 0.35, among: [.unavailable, .reset, .tooSlow, .slow])
        case .vision:
            guard receipt % 2 == 0 else { return nil }
            return draw(service, receipt, rate: 0.6, among: [.rateLimited, .rateLimited, .unavailable, .tooSlow, .slow])
        }
    }

    /// What the request numbered `attempt` (from 0) of `receipt` to `service` meets.
    func step(for service: Service, receipt: Int, attempt: Int) -> FaultStep {
        let fault = fault(for: service, receipt: receipt)
        let success = Self.success(service, receipt: receipt)
        guard let fault, attempt == 0 || fault == .outage else { return success }
        switch fault {
        case .outage: return .retryAfter(503, seconds: 60)
        case .unavailable: return .respond(503, body: "unavailable")
        case .reset: return .resetConnection
        case .tooSlow: return .delayed(attemptTimeout * 10, then: success)
        case .slow: return .delayed(attemptTimeout / 5, then: success)
        case .rateLimited: return .retryAfter(429, seconds: 2)
        }
    }

    /// The step for a request to `path` (`/ocr/receipts/7`) numbered `index` on that path; 404 for a
    /// path of no receipt.
    func step(path: String, index: Int) -> FaultStep {
        let parts = path.split(separator: "/")
        guard parts.count == 3, parts[1] == "receipts", let service = Service(rawValue: String(parts[0])),
            let receipt = Int(parts[2]), receipt >= 0
        else { return .respond(404, body: "no such receipt") }
        return step(for: service, receipt: receipt, attempt: index)
    }

    /// A successful answer: the receipt's text, or its analysis.
    static func success(_ service: Service, receipt: Int) -> FaultStep {
        switch service {
        case .ocr: .respond(200, headers: [("Content-Type", "text/plain")], body: "RECEIPT \(receipt)\nTOTAL \(total(receipt))")
        case .vision: .respond(200, headers: [("Content-Type", "text/plain")], body: receipt % 3 == 0 ? "grocery" : "restaurant")
        }
    }

    /// The made-up total of `receipt`, such as `12.40`.
    static func total(_ receipt: Int) -> String {
        let cents = (receipt &* 7919 &+ 1234) % 20_000
        let fraction = cents % 100
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// How the batch ends when the services follow this plan: the outage's receipts with local OCR,
    /// every other one processed.
    var expectedOutcomes: ReceiptOutcomeCounts {
        let fallbacks = outage.clamped(to: 0..<receipts).count
        return ReceiptOutcomeCounts(processed: receipts - fallbacks, processedWithFallback: fallbacks, failed: 0)
    }

    /// A draw from the seed, the service and the receipt alone (SplitMix64).
    private func draw(_ service: Service, _ receipt: Int, rate: Double, among faults: [Fault]) -> Fault? {
        var state = seed &+ UInt64(truncatingIfNeeded: receipt) &* 0x9E37_79B9_7F4A_7C15 &+ (service == .ocr ? 0 : 0xD1B5_4A32_D192_ED03)
        let first = Self.splitMix(&state)
        guard Double(first >> 11) / Double(1 << 53) < rate else { return nil }
        return faults[Int(Self.splitMix(&state) % UInt64(faults.count))]
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
