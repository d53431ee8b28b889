import Foundation

/// Type-checks Swift source with the `swiftc` on `PATH`, against the modules this test binary was built
/// with: for tests of what must (or must not) compile, such as the documentation's examples.
///
/// The modules are the ones beside the test binary (`<bin>/Modules`, as SwiftPM lays them out), so the
/// source sees exactly the `Resilience`, `ResilienceTestKit` and `Logging` under test.
enum SwiftCompiler {
    /// One diagnostic, as `swiftc -diagnostic-style llvm` prints it.
    struct Diagnostic: Equatable, Sendable, CustomStringConvertible {
        var file: String
        var line: Int
        var column: Int
        /// `error`, `warning` or `note`.
        var severity: String
        var message: String

        var description: String { "\(file):\(line):\(column): \(severity): \(message)" }
    }

    /// What a run of `swiftc` said.
    struct Output: Sendable {
        var exitStatus: Int32
        var diagnostics: [Diagnostic]
        /// Everything `swiftc` printed, for failure messages.
        var text: String
        /// The command line, for failure messages.
        var command: [String]

        var errors: [Diagnostic] { diagnostics.filter { $0.severity == "error" } }
        var succeeded: Bool { exitStatus == 0 && errors.isEmpty }
    }

    /// Why the compiler could not be run at all.
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// Type-checks `source` as one file (named `fileName`) against the library's modules, in the Swift 6
    /// language mode.
    ///
    /// - Parameters:
    ///   - source: The Swift source.
    ///   - fileName: The name the source is written under, as diagnostics will show it.
    /// - Returns: What `swiftc` said.
    static func typecheck(_ source: String, fileName: String = "Source.swift") throws -> Output {
        try run(source, fileName: fileName, arguments: ["-I", try modulesDirectory().path])
    }

    /// Type-checks `source` as a package manifest, against the toolchain's `PackageDescription`.
    ///
    /// - Parameters:
    ///   - source: The manifest's source.
    ///   - toolsVersion: The `PackageDescription` API version to check against, such as `6.2`.
    /// - Returns: What `swiftc` said.
    static func typecheckManifest(_ source: String, toolsVersion: String) throws -> Output {
        let manifestAPI = try toolchainDirectory().appendingPathComponent("lib/swift/pm/ManifestAPI")
        return try run(
            source,
            fileName: "Package.swift",
            arguments: ["-I", manifestAPI.path, "-package-description-version", toolsVersion]
        )
    }

    private static func run(_ source: String, fileName: String, arguments: [String]) throws -> Output {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("resilience-typecheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent(fileName)
        try source.write(to: file, atomically: true, encoding: .utf8)

        let swiftc = try compiler()
        let command =
            [swiftc.path, "-typecheck", "-swift-version", "6", "-diagnostic-style", "llvm"]
            + arguments + [file.path]
        let process = Process()
        process.executableURL = swiftc
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        return Output(
            exitStatus: process.terminationStatus,
            diagnostics: parseDiagnostics(text, file: file.path),
            text: text,
            command: command
        )
    }

    /// The diagnostics in `text` about `file`, in the order printed.
    static func parseDiagnostics(_ text: String, file: String) -> [Diagnostic] {
        text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            // file:line:column: severity: message
            let parts = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
            guard parts.count == 5, let lineNumber = Int(parts[1]), let column = Int(parts[2]) else { return nil }
            let severity = parts[3].trimmingCharacters(in: .whitespaces)
            guard ["error", "warning", "note"].contains(severity) else { return nil }
            let path = String(parts[0])
            return Diagnostic(
                file: path == file ? (file as NSString).lastPathComponent : path,
                line: lineNumber,
                column: column,
                severity: severity,
                message: parts[4].trimmingCharacters(in: .whitespaces)
            )
        }
    }

    /// The `swiftc` on `PATH` (not resolved: it is a link to the driver, which acts by the name it is
    /// called by).
    static func compiler() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("swiftc")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        throw SetupError(description: "no swiftc on PATH (\(path))")
    }

    /// The toolchain's `usr` directory: the parent of the directory holding `swiftc` (where the links to
    /// it lead).
    static func toolchainDirectory() throws -> URL {
        try compiler().resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The directory of the built modules: `Modules` beside the test binary (or beside one of the
    /// directories above it, for a binary inside a bundle).
    static func modulesDirectory() throws -> URL {
        // Linux names the running binary in /proc; elsewhere the first argument does.
        let running = FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
        let executable = URL(fileURLWithPath: running).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            let modules = directory.appendingPathComponent("Modules")
            if FileManager.default.fileExists(atPath: modules.appendingPathComponent("Resilience.swiftmodule").path) {
                return modules
            }
            directory.deleteLastPathComponent()
        }
        throw SetupError(description: "no Modules/Resilience.swiftmodule beside the test binary \(executable.path)")
    }
}
