import Foundation

/// Compiles the Swift blocks of Markdown files against the built library, and says, by file and line of
/// the Markdown, what does not compile.
///
/// How each block is checked depends on its ``MarkdownCodeBlock/Kind``:
/// - **Library code** (every `swift` block not otherwise marked): all such blocks of the files checked
///   together are compiled in **one** `swiftc -typecheck` run, each as the body of its own
///   `func … async throws`, after the source of ``DocumentationStandIns`` and a file-scope alias for
///   each of its members (`let ocr = DocumentationStandIns.ocr`, `typealias Response = …`), so a block
///   can use the stand-in services and `try await` as a reader's code would, and blocks do not
///   collide. A block's `import` lines move to the top of the file. A block must therefore be valid as
///   a function body: local types are fine, extensions are not.
/// - **Manifests** (first line `// swift-tools-version: …` or `// Package.swift`): type-checked against
///   the toolchain's `PackageDescription`; a block without `import PackageDescription` is a fragment,
///   checked as the arguments of `Package(name:…)`.
/// - `<!-- doc-test: expect-error [TEXT] -->` before a block: the block, compiled with the stand-ins on
///   its own, must fail with an error inside the block (mentioning TEXT when given): for examples of
///   what the type system refuses.
/// - `<!-- doc-test: skip REASON -->` before a block: not compiled. The reason is required, and no
///   block is ever skipped without one.
///
/// Blocks in other languages are not compiled, but every fence must name its language, so that no
/// Swift block escapes by being untagged.
struct DocumentationExamples {
    /// A problem found, located in the Markdown.
    struct Problem: CustomStringConvertible {
        var location: String
        var message: String
        var description: String { "\(location): \(message)" }
    }

    /// The package's root directory.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Documentation
        .deletingLastPathComponent()  // ResilienceTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The stand-ins' source, prepended to the examples.
    static let standInsFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("DocumentationStandIns.swift")

    /// The blocks read, in file order.
    var blocks: [MarkdownCodeBlock]
    /// The stand-ins' source.
    var standIns: String
    /// The stand-ins' name in locations.
    var standInsName = "DocumentationStandIns.swift"

    /// Reads `paths` (relative to the package root) and the stand-ins.
    init(paths: [String]) throws {
        var blocks: [MarkdownCodeBlock] = []
        for path in paths {
            let text = try String(contentsOf: Self.packageRoot.appendingPathComponent(path), encoding: .utf8)
            blocks += try MarkdownCodeBlocks.parse(text, file: path)
        }
        self.init(blocks: blocks, standIns: try String(contentsOf: Self.standInsFile, encoding: .utf8))
    }

    /// Checks `blocks` with `standIns` as the stand-ins' source.
    init(blocks: [MarkdownCodeBlock], standIns: String) {
        self.blocks = blocks
        self.standIns = standIns
    }

    /// Every problem with the blocks: untagged fences, blocks that do not compile, blocks that compile
    /// but must not.
    func problems() throws -> [Problem] {
        var problems = blocks.filter { $0.language.isEmpty }.map {
            Problem(location: $0.location, message: "a code block must name its language (```swift, ```text, ...)")
        }
        problems += try libraryProblems(blocks.filter { $0.kind == .library })
        for block in blocks {
            switch block.kind {
            case .manifest: problems += try manifestProblems(block)
            case .expectError(let text): problems += try expectedErrorProblems(block, text: text)
            case .library, .skipped, .other: break
            }
        }
        return problems
    }

    // MARK: - Library code

    /// A line of the generated file, and where it came from.
    struct Source {
        /// Where a generated line came from: `file:line`, and the columns its fence was indented by.
        struct Origin {
            var location: String
            var indentation = 0
        }

        var lines: [String] = []
        var origins: [Origin?] = []
        var imports: Set<String> = []

        mutating func append(_ line: String, from origin: Origin? = nil) {
            lines.append(line)
            origins.append(origin)
        }

        /// The file's text: imports first, then the lines.
        var text: String { (imports.sorted() + lines).joined(separator: "\n") + "\n" }

        /// Where generated line `line` (1-based) came from.
        func origin(ofLine line: Int) -> Origin? {
            let index = line - 1 - imports.count
            return origins.indices.contains(index) ? origins[index] : nil
        }

        /// `file:line:column` in the Markdown (or the stand-ins) for a position in the generated file.
        func location(line: Int, column: Int) -> String? {
            origin(ofLine: line).map { "\($0.location):\(column + $0.indentation)" }
        }
    }

    /// The generated file for `blocks`: the stand-ins, then one function per block.
    func source(for blocks: [MarkdownCodeBlock]) -> Source {
        var source = Source()
        var aliases: [(String, Source.Origin)] = []
        for (offset, line) in standIns.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = Source.Origin(location: "\(standInsName):\(offset + 1)")
            if Self.isImport(line) {
                source.imports.insert(line.trimmingCharacters(in: .whitespaces))
                source.append("", from: origin)
            } else {
                source.append(String(line), from: origin)
            }
            if let alias = Self.alias(for: line) { aliases.append((alias, origin)) }
        }
        for (alias, origin) in aliases { source.append(alias, from: origin) }
        for block in blocks {
            source.append("// \(block.location)")
            source.append("func \(Self.functionName(for: block))() async throws {")
            for (offset, line) in block.lines.enumerated() {
                let origin = Source.Origin(location: "\(block.file):\(block.firstLine + offset)", indentation: block.indentation)
                if Self.isImport(Substring(line)) {
                    source.imports.insert(line.trimmingCharacters(in: .whitespaces))
                    source.append("", from: origin)
                } else {
                    source.append(line, from: origin)
                }
            }
            source.append("}")
        }
        return source
    }

    /// A file-scope name for a member of the stand-ins declared on `line` (`    static let ocr = …`,
    /// `    struct Response …`), so that the examples, and the types they declare, see it unqualified.
    static func alias(for line: Substring) -> String? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard line.hasPrefix("    "), !line.hasPrefix("     "), words.count >= 2 else { return nil }
        let name = { (word: Substring) in String(word.prefix { $0.isLetter || $0.isNumber || $0 == "_" }) }
        switch words[0] {
        case "static" where words.count >= 3 && words[1] == "let":
            return "let \(name(words[2])) = DocumentationStandIns.\(name(words[2]))"
        case "struct", "enum", "final", "class", "actor", "typealias":
            let typeName = words[0] == "final" && words.count >= 3 ? words[2] : words[1]
            return "typealias \(name(typeName)) = DocumentationStandIns.\(name(typeName))"
        default:
            return nil
        }
    }

    private func libraryProblems(_ blocks: [MarkdownCodeBlock]) throws -> [Problem] {
        guard !blocks.isEmpty else { return [] }
        let source = source(for: blocks)
        let output = try SwiftCompiler.typecheck(source.text, fileName: "DocumentationExamples.swift")
        return problems(in: output, source: source)
    }

    /// The errors of `output`, located in the Markdown (or the stand-ins).
    private func problems(in output: SwiftCompiler.Output, source: Source) -> [Problem] {
        var problems = output.errors.map { error in
            Problem(
                location: source.location(line: error.line, column: error.column) ?? "DocumentationExamples.swift:\(error.line)",
                message: "error: \(error.message)"
            )
        }
        if problems.isEmpty, output.exitStatus != 0 {
            problems.append(
                Problem(
                    location: "swiftc",
                    message: "exited with \(output.exitStatus): \(output.command.joined(separator: " "))\n\(output.text)"
                )
            )
        }
        return problems
    }

    static func functionName(for block: MarkdownCodeBlock) -> String {
        let file = block.file.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return "example_\(String(file))_\(block.firstLine)"
    }

    static func isImport(_ line: Substring) -> Bool {
        let words = line.split(separator: " ")
        return words.count == 2 && words[0] == "import"
    }

    // MARK: - Manifests

    /// The package's own tools version, for manifest fragments that do not name one.
    static func packageToolsVersion() throws -> String {
        let manifest = try String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        return toolsVersion(in: manifest) ?? "6.0"
    }

    static func toolsVersion(in manifest: String) -> String? {
        guard let first = manifest.split(separator: "\n").first, first.hasPrefix("// swift-tools-version:") else {
            return nil
        }
        return first.dropFirst("// swift-tools-version:".count).split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces)
    }

    private func manifestProblems(_ block: MarkdownCodeBlock) throws -> [Problem] {
        var source = Source()
        let isFragment = !block.lines.contains { $0.trimmingCharacters(in: .whitespaces) == "import PackageDescription" }
        if isFragment {
            source.imports.insert("import PackageDescription")
            source.append("let package = Package(")
            source.append("    name: \"Example\",")
        }
        for (offset, line) in block.lines.enumerated() {
            source.append(line, from: .init(location: "\(block.file):\(block.firstLine + offset)", indentation: block.indentation))
        }
        if isFragment { source.append(")") }
        let toolsVersion = try Self.toolsVersion(in: block.text) ?? Self.packageToolsVersion()
        let output = try SwiftCompiler.typecheckManifest(source.text, toolsVersion: toolsVersion)
        return problems(in: output, source: source)
    }

    // MARK: - Examples that must not compile

    private func expectedErrorProblems(_ block: MarkdownCodeBlock, text: String?) throws -> [Problem] {
        var library = block
        library.kind = .library
        let source = source(for: [library])
        let output = try SwiftCompiler.typecheck(source.text, fileName: "DocumentationExamples.swift")
        let inBlock = output.errors.filter { error in
            source.origin(ofLine: error.line)?.location.hasPrefix("\(block.file):") == true
        }
        let elsewhere = problems(in: output, source: source).filter { !$0.location.hasPrefix("\(block.file):") }
        guard !inBlock.isEmpty else {
            return elsewhere
                + [Problem(location: block.location, message: "compiles, but is marked expect-error: it must not compile")]
        }
        if let text, !inBlock.contains(where: { $0.message.contains(text) }) {
            return elsewhere + [
                Problem(
                    location: block.location,
                    message: "fails to compile, but with no error mentioning \"\(text)\": "
                        + inBlock.map(\.message).joined(separator: "; ")
                )
            ]
        }
        return elsewhere
    }
}
