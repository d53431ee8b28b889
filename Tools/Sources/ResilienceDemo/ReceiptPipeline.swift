import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceCommands
import ResilienceHTTP

/// The guide's receipt processing: each receipt's image through the OCR service (local OCR when it
/// is down), then through the vision service (the analysis skipped when it is down), over HTTP with
/// AsyncHTTPClient through `ResilienceAsyncHTTPClient`.
///
/// A service is "down" for a receipt when its call ends in a failure that is not the receipt's own
/// fault: a timeout, a connection failure, a 5xx or 429 the retries ended on, a breaker's refusal.
/// A permanent failure (a 4xx such as 422, "this is not a receipt") fails the receipt with that
/// error. ``process(_:)`` never throws: every receipt ends processed, processed with a fallback, or
/// failed with its error.
struct ReceiptPipeline<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    let client: HTTPClient
    /// The OCR service's base URL: receipt 7 is `POST <ocrURL>/receipts/7`.
    let ocrURL: String
    /// The vision service's base URL.
    let visionURL: String
    let ocr: DemoService<ClockType>
    let vision: DemoService<ClockType>
    /// The seed of each receipt's jitter: receipt `n` draws from a generator seeded with `seed ^ n`.
    let seed: UInt64
    let observer: (any ResilienceObserver)?

    /// Processes receipt `receipt`.
    func process(_ receipt: Int) async -> ReceiptResult {
        var result = ReceiptResult(receipt: receipt, outcome: .processed, ocrAttempts: 0, visionAttempts: 0)
        let ocrAttempts = AttemptCounter()
        let visionAttempts = AttemptCounter()
        let reasons = LockedState<[String]>([])
        let faults = LockedState<[String]>([])
        let ocrFallback = Fallback<OCRText>(name: "ocr-fallback", handling: [], shouldHandle: Self.serviceIsDown, observer: observer) {
            reason in
            reasons.withLock { $0.append("\(reason.error)") }
            return .local(receipt)
        }
        let visionFallback = Fallback<Analysis>(
            name: "vision-fallback", handling: [], shouldHandle: Self.serviceIsDown, observer: observer
        ) { reason in
            reasons.withLock { $0.append("\(reason.error)") }
            return .skipped
        }
        do {
            let text = try await ocrFallback.execute {
                OCRText(text: try await call(ocr, url: ocrURL, receipt: receipt, attempts: ocrAttempts, faults: faults), isLocal: false)
            }
            result.text = text.text
            result.textSource = text.isLocal ? .fallback : .service
            let analysis = try await visionFallback.execute {
                Analysis(category: try await call(vision, url: visionURL, receipt: receipt, attempts: visionAttempts, faults: faults))
            }
            result.analysis = analysis.description
            result.analysisSource = analysis.isSkipped ? .fallback : .service
            result.outcome = text.isLocal || analysis.isSkipped ? .processedWithFallback : .processed
            let why = reasons.withLock { $0 }
            result.error = why.isEmpty ? nil : why.joined(separator: "; ")
        } catch {
            result.outcome = .failed
            result.error = "\(error)"
        }
        result.faults = faults.withLock { $0 }
        result.ocrAttempts = ocrAttempts.value
        result.visionAttempts = visionAttempts.value
        return result
    }

    /// Sends receipt `receipt` to `service` and returns its answer's body.
    nonisolated(nonsending) private func call(
        _ service: DemoService<ClockType>, url: String, receipt: Int, attempts: AttemptCounter, faults: LockedState<[String]>
    ) async throws -> String {
        var request = HTTPClientRequest(url: "\(url)/receipts/\(receipt)")
        request.method = .POST
        // The same receipt may be sent twice: the key makes the POST safe to retry.
        request.headers.add(name: "Idempotency-Key", value: "receipt-\(receipt)-\(service.name)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        let image = ByteBuffer(string: "image of receipt \(receipt)")
        let strategy = service.strategy(random: .seeded(seed ^ UInt64(truncatingIfNeeded: receipt) &* 0x9E37_79B9_7F4A_7C15))
        // This call's failed attempts, for the receipt's notes: `ocr #1: timeout`.
        let noter = ClosureObserver { event in
            guard event.kind == .attemptFailed || event.kind == .resultRejected, let category = event.classification?.category
            else { return }
            faults.withLock { $0.append("\(service.name) #\(event.attempt ?? 0): \(category)") }
        }
        let response = try await client.execute(
            request, through: strategy, options: HTTPCallOptions(observer: noter),
            makeBody: {
                attempts.increment()
                return .bytes(image)
            })
        let body = try await response.body.collect(upTo: 1 << 20)
        var fields = HTTPFields()
        for header in response.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            fields.append(HTTPField(name: name, value: header.value))
        }
        let head = HTTPResponse(status: .init(code: Int(response.status.code)), headerFields: fields)
        if let classification = service.classifier.classify(head) {
            throw ServiceResponseError(service: service.name, status: Int(response.status.code), classification: classification)
        }
        return String(buffer: body)
    }

    /// Whether `classification` says the service was down rather than the receipt at fault.
    @Sendable static func serviceIsDown(_ error: any Error, _ classification: ErrorClassification) -> Bool {
        classification.category != .permanent && classification.category != .cancellation
    }
}
