/// What `resilience demo` runs: the batch, the clock's speed-up, the services, the output.
package struct DemoSettings: Sendable, Hashable {
    /// Receipts in the batch.
    package var receipts: Int
    /// Receipts in flight at once.
    package var concurrency: Int
    /// The seed of the fault script and the jitter.
    package var seed: UInt64
    /// How many times faster than the wall clock the guide's durations run.
    package var timeScale: Double
    /// The user's OCR service, or `nil` for the built-in one.
    package var ocrURL: String?
    /// The user's vision service, or `nil` for the built-in one.
    package var visionURL: String?
    /// Whether to print JSON.
    package var json: Bool
    /// The port to serve `/metrics` on, if any.
    package var metricsPort: Int?
    /// Whether only to serve the fault services.
    package var serveOnly: Bool
    /// Both services' attempt time-out (the guide's time), or `nil` for none.
    package var attemptTimeout: Duration? = .seconds(10)

    /// The OCR service's values, for this batch's concurrency.
    var ocr: DemoServiceSettings {
        var settings = DemoServiceSettings.ocr(calls: max(1, concurrency / 2), queued: concurrency)
        settings.attemptTimeout = attemptTimeout
        return settings
    }

    /// The vision service's values, for this batch's concurrency.
    var vision: DemoServiceSettings {
        var settings = DemoServiceSettings.vision(calls: max(1, concurrency / 2), queued: concurrency)
        settings.attemptTimeout = attemptTimeout
        return settings
    }

    /// The built-in services' fault plan.
    var plan: DemoFaultPlan {
        DemoFaultPlan(seed: seed, receipts: receipts, concurrency: concurrency, attemptTimeout: attemptTimeout ?? .seconds(10))
    }
}
