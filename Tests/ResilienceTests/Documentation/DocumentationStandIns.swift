import Foundation
import Logging
import Resilience

/// The services and values the documentation's examples call, standing in for the reader's own.
///
/// This file is compiled with the tests (so it stays valid) and is also read as text by
/// ``DocumentationExamples``, which compiles every Swift block of the README and the DocC articles as the
/// body of a function after this source and a file-scope alias for each member declared at the first
/// level of indentation (`static let NAME`, `struct NAME`, `enum NAME`): a block sees these names
/// unqualified, as a reader's code sees its own services, and blocks cannot see each other's
/// declarations. (In the test target the members stay inside this type, clear of the tests' names.)
///
/// Keep it to stand-ins: an example that needs more than a name it can call belongs in the example.
enum DocumentationStandIns {
    /// An HTTP response.
    struct Response: Sendable, Equatable {
        var status: Int
        var retryAfter: Duration?
        var body = ""
    }

    /// What the vision service makes of a receipt.
    enum Analysis: Sendable, Equatable {
        case detected(total: Double)
        case skipped
    }

    /// An HTTP client.
    struct HTTPClient: Sendable {
        func fetch(_ url: String) async throws -> String { "data from \(url)" }
        func get(_ url: String) async throws -> Response { Response(status: 200) }
    }

    /// A text-recognition service.
    struct OCRService: Sendable {
        func extract(_ receiptID: String) async throws -> String { "text of \(receiptID)" }
    }

    /// An image-analysis service.
    struct VisionService: Sendable {
        func analyze(_ receiptID: String) async throws -> Analysis { .detected(total: 12.5) }
    }

    /// A database.
    struct Database: Sendable {
        func query(_ sql: String) async throws -> [String] { [] }
    }

    /// An error of a database driver the reader does not own.
    struct DatabaseError: Error {
        var isDeadlock: Bool
    }

    /// An error saying when a quota resets.
    struct QuotaError: Error {
        var resetsInSeconds: Int
    }

    /// An error of a vision API the reader does own.
    struct VisionAPIError: Error {
        var status: Int
        var retryAfter: Duration?
    }

    static let client = HTTPClient()
    static let url = "https://api.example.com/data"
    static let ocr = OCRService()
    static let localOCR = OCRService()
    static let vision = VisionService()
    static let db = Database()
    static let sql = "SELECT * FROM receipts"
    static let receiptID = "receipt-42"
    static let requestID = "request-7"
    static let logger = Logger(label: "receipts")
    static let ocrBreaker = CircuitBreaker(name: "ocr")
    static let visionBreaker = CircuitBreaker(name: "vision")

    /// A language model's completion.
    enum Completion: Sendable {
        case text(String)
        case busy
    }

    /// A language model.
    struct Model: Sendable {
        func complete(_ prompt: String) async throws -> Completion { .text("done") }
    }

    /// An incoming request.
    struct Request: Sendable {
        var tenant = "tenant-1"
        var prompt = "Summarise the receipt"
    }

    /// The caller's task-local request context.
    enum RequestContext {
        @TaskLocal static var tenant = "anonymous"
    }

    /// A fleet's shared store (a database of the reader's own): one round trip a sync for all the
    /// shared breakers of an instance.
    struct FleetStore: Sendable {
        /// The store's clock, in nanoseconds since the Unix epoch.
        func now() -> Int64 { 1_767_225_601_000_000_000 }
        /// Upserts the reports and reads each breaker's view back, keyed by breaker name.
        func sync(_ reports: [(String, FleetBreakerReport)], at now: Int64) async throws -> [String: FleetBreakerView] {
            var views: [String: FleetBreakerView] = [:]
            for (breaker, report) in reports { views[breaker, default: FleetBreakerView(summaries: [])].summaries.append(report.summary) }
            return views
        }
    }

    static let store = FleetStore()
    static let coordinations = [FleetCoordination(instance: "api-7f9c")]

    static let model = Model()
    static let request = Request()
    static let anonymousQuota = RateLimiterConfiguration.permits(10, per: .seconds(1))
    static let tenantQuota = RateLimiterConfiguration.permits(100, per: .seconds(1))
    static let perTenant = PartitionedRateLimiter(name: "tenants", keyedBy: { RequestContext.tenant }) { _ in tenantQuota }
    static let ocrSlots = ConcurrencyLimiter(name: "ocr-slots", configuration: .concurrentCalls(8))
    static let ocrQuota = RateLimiter(name: "ocr-quota", configuration: .permits(20, per: .seconds(1)))
    static let apiQuota = RateLimiter(name: "api-quota", configuration: .permits(5, per: .seconds(1)))

    /// A search backend.
    struct SearchService: Sendable {
        func query(_ text: String) async throws -> [String] { [] }
        func search(_ text: String) async throws -> [String] { [] }
    }

    static let search = SearchService()
    static let replicas = [SearchService(), SearchService(), SearchService()]
    static let q = "receipts from May"
    static let query = "receipts from May"
    static let searchBudget = RetryBudget.tokenBucketOrFailure()

    /// A store of serialised breaker states, one row per breaker name (a file or a database table).
    struct BreakerStore: Sendable {
        func load(_ name: String) async throws -> Data? { nil }
        func save(_ name: String, _ row: Data) async throws {}
    }

    /// The system's wall clock.
    struct WallClock: Sendable {
        func nanosecondsSinceEpoch() -> Int64 { 1_800_000_000_000_000_000 }
    }

    static let breakerStore = BreakerStore()
    static let wallClock = WallClock()
}

extension RetryBudget {
    /// A token bucket with the default values, which are valid.
    static func tokenBucketOrFailure() -> RetryBudget {
        do {
            return try .tokenBucket()
        } catch {
            preconditionFailure("the default token bucket is valid: \(error)")
        }
    }

}
