import ArgumentParser
import Foundation
import ResilienceCommands
import ResilienceDemo

/// `resilience demo`: the guide's receipt batch, end to end over real HTTP.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Process a batch of receipts through an OCR and a vision service over HTTP, with retries, breakers and fallbacks.",
        discussion: """
            The user's guide's real-world example, end to end. Two HTTP services start on loopback ports \
            (OCR and vision) with a seeded fault script: transient 503s, reset connections, responses \
            slower than the attempt time-out, 429s with Retry-After from vision, and an OCR outage long \
            enough to open the OCR breaker, after which the service recovers and the breaker half-opens \
            and closes. Each receipt goes through OCR (RetryPolicy.aggressive, a breaker open 60 s after \
            5 failures in a row, local OCR as the fallback) and vision (RetryPolicy.rateLimit, a breaker \
            open 120 s after 3, the analysis skipped as the fallback), each service behind a concurrency \
            limit and a 10 s attempt time-out, all retries within one retry budget, over AsyncHTTPClient. \
            Then it prints the outcome of every receipt, the breakers' transitions and the statistics.

            Time runs --time-scale times faster than the wall clock. The fault script is a function of \
            the seed, the service, the receipt and the attempt, never of the order requests arrive in, and \
            an attempt an open breaker refuses waits for it to half-open rather than being spent, so the \
            same --seed gives the same outcome counts on any machine, loaded or not (while the retry \
            budget refuses nothing; the statistics show its refusals).

            Exit status: 0 when every receipt ended processed or with a fallback, 1 otherwise, 64 for a \
            usage error. With --metrics-port or --serve it runs until interrupted (SIGINT ends it cleanly).

            Examples:
              resilience demo
              resilience demo --receipts 200 --concurrency 8 --seed 7
              resilience demo --json | jq .outcomes
              resilience demo --metrics-port 9464    (then: curl 127.0.0.1:9464/metrics)
              resilience demo --serve                (the fault services alone)
              resilience demo --ocr-url URL --vision-url URL
            """
    )

    @OptionGroup var options: DemoOptions

    func run() async throws {
        let settings = try options.settings()
        let demo = Task { try await Demo.run(settings) }
        // SIGINT cancels the demo, which ends cleanly: the batch stops starting receipts, the servers stop.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { demo.cancel() }
        interrupt.resume()
        let status = try await demo.value
        interrupt.cancel()
        if status != 0 { throw ExitCode(status) }
    }
}
