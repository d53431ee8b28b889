import FaultServer
import Testing

@testable import ResilienceCommands
@testable import ResilienceDemo

/// The demo's fault script: a function of the seed, the service, the receipt and the attempt.
@Suite("Demo fault plan")
struct DemoFaultPlanTests {
    private static func plan(seed: UInt64 = 42, receipts: Int = 50, concurrency: Int = 4) -> DemoFaultPlan {
        DemoFaultPlan(seed: seed, receipts: receipts, concurrency: concurrency, attemptTimeout: .seconds(10))
    }

    private static func steps(_ plan: DemoFaultPlan) -> [String] {
        DemoFaultPlan.Service.allCases.flatMap { service in
            (0..<plan.receipts).flatMap { receipt in
                (0..<3).map { "\(service) \(receipt) \($0): \(plan.step(for: service, receipt: receipt, attempt: $0))" }
            }
        }
    }

    @Test("the same seed gives the same step for every receipt and attempt; another seed, other steps")
    func seeded() {
        #expect(Self.steps(Self.plan(seed: 7)) == Self.steps(Self.plan(seed: 7)))
        #expect(Self.steps(Self.plan(seed: 7)) != Self.steps(Self.plan(seed: 8)))
    }

    @Test("a request's step is read off its path and its number on that path; other paths get 404")
    func byPath() {
        let plan = Self.plan()
        #expect("\(plan.step(path: "/ocr/receipts/12", index: 0))" == "\(plan.step(for: .ocr, receipt: 12, attempt: 0))")
        #expect("\(plan.step(path: "/vision/receipts/4", index: 1))" == "\(plan.step(for: .vision, receipt: 4, attempt: 1))")
        #expect("\(plan.step(path: "/ocr/receipts/x", index: 0))".hasPrefix("404"))
        #expect("\(plan.step(path: "/metrics", index: 0))".hasPrefix("404"))
    }

    @Test(
        "the outage: 2 × concurrency + 3 receipts from a fifth of the way in, with a receipt after it",
        arguments: [(50, 4, 10..<21), (12, 2, 2..<9), (50, 1, 10..<15), (8, 4, 1..<7), (2, 4, 0..<0)]
    )
    func outage(receipts: Int, concurrency: Int, expected: Range<Int>) {
        #expect(DemoFaultPlan.outage(receipts: receipts, concurrency: concurrency) == expected)
    }

    @Test("the outage's OCR requests all get 503 Retry-After: 60; other receipts recover after at most one fault per service")
    func faults() {
        for seed in UInt64(1)...20 {
            let plan = Self.plan(seed: seed)
            for receipt in 0..<plan.receipts {
                if plan.outage.contains(receipt) {
                    for attempt in 0..<5 {
                        #expect("\(plan.step(for: .ocr, receipt: receipt, attempt: attempt))" == "503 [Retry-After: 60]")
                    }
                    continue
                }
                for service in DemoFaultPlan.Service.allCases {
                    let success = "\(DemoFaultPlan.success(service, receipt: receipt))"
                    #expect("\(plan.step(for: service, receipt: receipt, attempt: 1))" == success)
                }
            }
        }
    }

    @Test("outside the outage no 4 receipts in a row hold 5 OCR faults or 3 vision faults: neither breaker trips on them")
    func breakersHold() {
        for seed in UInt64(1)...50 {
            let plan = Self.plan(seed: seed)
            for first in 0...(plan.receipts - 4) {
                let window = first..<(first + 4)
                let ocr = window.filter {
                    !plan.outage.contains($0) && [.unavailable, .reset, .tooSlow].contains(plan.fault(for: .ocr, receipt: $0))
                }
                let vision = window.filter { [.rateLimited, .unavailable, .tooSlow].contains(plan.fault(for: .vision, receipt: $0)) }
                #expect(ocr.count < 5)
                #expect(vision.count < 3)
            }
        }
    }

    @Test("the default run's faults include every kind the demo shows")
    func everyKind() {
        let plan = Self.plan()
        let kinds = Set(DemoFaultPlan.Service.allCases.flatMap { service in (0..<50).compactMap { plan.fault(for: service, receipt: $0) } })
        #expect(kinds == Set(DemoFaultPlan.Fault.allCases))
        #expect(plan.expectedOutcomes == ReceiptOutcomeCounts(processed: 39, processedWithFallback: 11, failed: 0))
    }
}
