import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `prometheus_client`'s text-format parser (PyPI's `prometheus-client`), run by `python3`: what the
/// Prometheus exposition tests (the metrics integration's and the demo's `/metrics`) check their text
/// with, rather than a parser of our own.
///
/// Tests that need it are skipped when it is missing, unless `RESILIENCE_REQUIRE_PROMETHEUS_PARSER` is
/// set (CI sets it, after installing the package), in which case they run and fail.
package enum PrometheusTextParser {
    /// A metric family as `prometheus_client` reads it.
    package struct Family: Decodable, Sendable {
        /// The family's name (for a counter, without `_total`).
        package var name: String
        /// `counter`, `gauge`, `histogram`, `summary` or `unknown`.
        package var type: String
        /// Its samples.
        package var samples: [Sample]
    }

    /// One sample of a family.
    package struct Sample: Decodable, Sendable {
        /// The sample's name (`_total`, `_bucket`, ... included).
        package var name: String
        /// Its labels.
        package var labels: [String: String]
        /// Its value.
        package var value: Double
    }

    /// `python3` failed: the text did not parse, or the URL could not be read.
    package struct ParseError: Error, CustomStringConvertible {
        /// What failed.
        package var description: String
    }

    /// Reads the text from a URL (`http://...`) or a file, and writes the families as JSON.
    static let script = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        source = sys.argv[1]
        if source.startswith("http://"):
            text = urllib.request.urlopen(source, timeout=30).read().decode("utf-8")
        else:
            with open(source) as file:
                text = file.read()
        parsed = [{"name": f.name, "type": f.type,
                   "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                  for f in text_string_to_metric_families(text)]
        with open(sys.argv[2], "w") as output:
            json.dump(parsed, output)
        """

    /// Whether the tests that need the parser run: it is installed, or CI requires it.
    package static let isAvailable: Bool =
        ProcessInfo.processInfo.environment["RESILIENCE_REQUIRE_PROMETHEUS_PARSER"] != nil
        || ((try? python(["-c", "import prometheus_client.parser"])) != nil)

    /// Why they are skipped otherwise.
    package static let unavailableMessage =
        "python3 with prometheus_client is not installed (pip install prometheus-client); .ci/run installs it"

    /// The metric families `prometheus_client` reads from `text`.
    ///
    /// - Parameter text: Prometheus text exposition.
    /// - Returns: The families.
    /// - Throws: ``ParseError`` when the text does not parse.
    package static func parse(_ text: String) throws -> [Family] {
        try withFiles { input, output in
            try Data(text.utf8).write(to: input)
            try python(["-c", script, input.path, output.path])
        }
    }

    /// The metric families served at `url`.
    ///
    /// - Parameter url: An `http://` URL.
    /// - Returns: The families.
    /// - Throws: ``ParseError`` when the URL cannot be read or its text does not parse.
    package static func scrape(_ url: String) throws -> [Family] {
        try withFiles { _, output in try python(["-c", script, url, output.path]) }
    }

    /// Runs `body` with an input and an output file in a directory of their own, and decodes the output.
    /// Files rather than pipes carry the text both ways: no reads to interrupt, nothing to deadlock on.
    private static func withFiles(_ body: (URL, URL) throws -> Void) throws -> [Family] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("families.json")
        try body(directory.appendingPathComponent("metrics.txt"), output)
        return try JSONDecoder().decode([Family].self, from: Data(contentsOf: output))
    }

    /// Runs `python3` with `arguments`; throws when it fails (its standard error goes to the test's).
    private static func python(_ arguments: [String]) throws {
        // posix_spawn and waitpid on this one process, not Foundation's `Process`: on Linux it learns of
        // an exit from a socket that every process spawned meanwhile inherits, so a `resilience demo`
        // started by a test running in parallel would hold this wait until it ends (and under the
        // thread sanitizer, with both cooperative threads waiting so, nothing ran to end it).
        let command = ["/usr/bin/env", "python3"] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var processID: pid_t = 0
        let spawned = posix_spawn(&processID, "/usr/bin/env", nil, nil, &argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(processID, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard exitStatus == 0 else {
            throw ParseError(description: "python3 \(arguments.first ?? "") exited with status \(exitStatus)")
        }
    }
}
