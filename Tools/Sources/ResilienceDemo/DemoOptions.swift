import ArgumentParser
import ResilienceCommands

/// The options of `resilience demo`.
package struct DemoOptions: ParsableArguments {
    // `.unconditional`, so that a negative number is taken as the value it is and refused as such,
    // rather than as an unknown option.

    @Option(parsing: .unconditional, help: ArgumentHelp("Receipts in the batch.", valueName: "n"))
    var receipts = 50

    @Option(parsing: .unconditional, help: ArgumentHelp("Receipts in flight at once, started in order.", valueName: "n"))
    var concurrency = 4

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The seed of the fault script and the jitter; the same seed gives the same outcome counts.", valueName: "n")
    )
    var seed: UInt64 = 42

    @Option(
        name: .customLong("time-scale"), parsing: .unconditional,
        help: ArgumentHelp(
            "How many times faster than the wall clock the guide's durations run (a 60 s break takes 1.5 s at 40).", valueName: "x")
    )
    var timeScale = 40.0

    @Option(
        name: .customLong("ocr-url"),
        help: ArgumentHelp("Your OCR service instead of the built-in one: receipt N is POST <url>/receipts/N.", valueName: "url")
    )
    var ocrURL: String?

    @Option(
        name: .customLong("vision-url"),
        help: ArgumentHelp("Your vision service instead of the built-in one: receipt N is POST <url>/receipts/N.", valueName: "url")
    )
    var visionURL: String?

    @Flag(help: "Print the results and the statistics as JSON, for scripts, instead of the table and the report.")
    var json = false

    @Option(
        name: .customLong("metrics-port"), parsing: .unconditional,
        help: ArgumentHelp(
            "Serve Prometheus text at http://127.0.0.1:<port>/metrics during the batch and after it, until interrupted (0: any free port).",
            valueName: "port")
    )
    var metricsPort: Int?

    @Flag(help: "Only start the fault services, print their URLs, and serve them until interrupted.")
    var serve = false

    /// Creates the options with their defaults (for ArgumentParser).
    package init() {}

    /// Checks the options together; ArgumentParser calls it after parsing.
    ///
    /// - Throws: `ValidationError` naming the option at fault.
    package mutating func validate() throws {
        do {
            _ = try settings()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The demo the options describe.
    ///
    /// - Returns: Its settings.
    /// - Throws: ``ArgumentError`` naming the option at fault.
    package func settings() throws(ArgumentError) -> DemoSettings {
        guard (1...100_000).contains(receipts) else { throw ArgumentError("--receipts must be from 1 to 100000, got \(receipts)") }
        guard (1...256).contains(concurrency) else { throw ArgumentError("--concurrency must be from 1 to 256, got \(concurrency)") }
        guard timeScale.isFinite, (0.01...10_000).contains(timeScale) else {
            throw ArgumentError("--time-scale must be from 0.01 to 10000, got \(timeScale)")
        }
        if let metricsPort, !(0...65_535).contains(metricsPort) {
            throw ArgumentError("--metrics-port must be from 0 to 65535, got \(metricsPort)")
        }
        for (flag, url) in [("--ocr-url", ocrURL), ("--vision-url", visionURL)] {
            guard let url else { continue }
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > "http://".count else {
                throw ArgumentError("\(flag) must be an http:// or https:// URL, got \(url)")
            }
        }
        if serve, ocrURL != nil || visionURL != nil {
            throw ArgumentError("--serve starts the built-in services: it takes no --ocr-url or --vision-url")
        }
        return DemoSettings(
            receipts: receipts, concurrency: concurrency, seed: seed, timeScale: timeScale,
            ocrURL: ocrURL.map(Self.trimmed), visionURL: visionURL.map(Self.trimmed), json: json, metricsPort: metricsPort,
            serveOnly: serve
        )
    }

    private static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
