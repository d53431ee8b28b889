import Foundation

/// Type-checks Swift source against this package's built modules, as a user's code importing them
/// is compiled: for tests that a snippet compiles (the README's blocks) or fails to compile with a
/// given diagnostic (a fallback of the wrong type).
enum SwiftCompiler {
    /// What the compiler said.
    struct Outcome: Sendable {
        /// The compiler's exit status.
        var status: Int32
        /// Everything it printed.
        var diagnostics: String
        /// Whether the source type-checked.
        var succeeded: Bool { status == 0 }

        /// The lines of `diagnostics` that are errors.
        var errors: [String] {
            diagnostics.split(separator: "\n").map(String.init).filter { $0.contains(": error: ") }
        }
    }

    /// Where the build put the modules the tests link against: `Modules` beside the test binary, in
    /// whichever build folder is in use (`.build/debug`, `.build-tsan/debug`, ...).
    static let modulesDirectory: URL = {
        #if os(Linux)
        let binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folder = URL(fileURLWithPath: binary).deletingLastPathComponent()
        #else
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        let folder = (bundle?.bundleURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
        #endif
        return folder.appendingPathComponent("Modules")
    }()

    /// The `swiftc` on `PATH` (the toolchain `swift test` runs from).
    static let compiler: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("swiftc")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }()

    /// Type-checks `source` in Swift 6 language mode, importing this package's modules.
    ///
    /// - Parameters:
    ///   - source: The Swift source.
    ///   - name: The file name diagnostics refer to.
    /// - Returns: The compiler's exit status and diagnostics.
    static func typecheck(_ source: String, named name: String = "snippet.swift") async throws -> Outcome {
        let compiler = try require(compiler, "no swiftc on PATH")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swift-compiler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(name)
        try source.write(to: file, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("diagnostics.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }

        let process = Process()
        process.executableURL = compiler
        process.arguments = [
            "-typecheck", "-swift-version", "6", "-I", modulesDirectory.path, "-module-name", "Snippet", file.path,
        ]
        process.standardOutput = handle
        process.standardError = handle
        // Waits without blocking a thread of the cooperative pool.
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let diagnostics = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return Outcome(status: status, diagnostics: diagnostics)
    }
}

/// A missing precondition of a test (no compiler found).
struct RequirementFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// `value`, or a ``RequirementFailure`` with `message` when it is `nil`.
func require<T>(_ value: T?, _ message: String) throws -> T {
    guard let value else { throw RequirementFailure(message: message) }
    return value
}
