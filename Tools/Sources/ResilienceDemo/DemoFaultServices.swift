import FaultServer
import Logging
import ResilienceCommands

/// The demo's two fault services, OCR and vision, on ephemeral loopback ports, following a
/// ``DemoFaultPlan``: each request's step is the plan's for its path (`/ocr/receipts/7`) and its
/// place among that path's requests, so concurrency cannot reorder the script.
struct DemoFaultServices: Sendable {
    let ocr: FaultServer
    let vision: FaultServer

    /// Starts both services; their slow responses wait on `clock`.
    static func start(plan: DemoFaultPlan, clock: any Clock<Duration>) async throws -> DemoFaultServices {
        let script = FaultScript.computed { path, index in plan.step(path: path, index: index) }
        // Quiet: a response still held when the demo stops ends with an error line otherwise.
        var logger = Logger(label: "demo-fault-service")
        logger.logLevel = .critical
        let ocr = try await FaultServer.start(otherwise: script, clock: clock, logger: logger)
        do {
            let vision = try await FaultServer.start(otherwise: script, clock: clock, logger: logger)
            return DemoFaultServices(ocr: ocr, vision: vision)
        } catch {
            await ocr.stop()
            throw error
        }
    }

    /// The OCR service's base URL, such as `http://127.0.0.1:50123/ocr`.
    var ocrURL: String { ocr.url("/ocr") }

    /// The vision service's base URL.
    var visionURL: String { vision.url("/vision") }

    /// Stops both services.
    func stop() async {
        await ocr.stop()
        await vision.stop()
    }
}
