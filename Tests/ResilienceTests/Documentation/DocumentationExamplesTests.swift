import Foundation
import Testing

/// The documentation's Swift examples, read from the Markdown files themselves and compiled against the
/// built library (see ``DocumentationExamples`` for how each kind of block is checked and the markers
/// `<!-- doc-test: skip REASON -->` and `<!-- doc-test: expect-error [TEXT] -->`). A failure names the
/// Markdown file and line of each error.
@Suite("Documentation examples", .timeLimit(.minutes(5)))
struct DocumentationExamplesTests {
    /// The DocC articles, relative to the package root.
    static func articles() throws -> [String] {
        let catalog = "Sources/Resilience/Resilience.docc"
        let names = try FileManager.default.contentsOfDirectory(
            atPath: DocumentationExamples.packageRoot.appendingPathComponent(catalog).path
        )
        return names.filter { $0.hasSuffix(".md") }.sorted().map { "\(catalog)/\($0)" }
    }

    @Test("every Swift block of the README compiles against the library, in one compiler run")
    func readme() throws {
        let examples = try DocumentationExamples(paths: ["README.md"])
        #expect(examples.blocks.contains { $0.kind == .library })
        #expect(examples.blocks.contains { $0.kind == .manifest })
        let problems = try examples.problems()
        #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
    }

    @Test("every Swift block of the DocC articles compiles against the library, in one compiler run")
    func articles() throws {
        let examples = try DocumentationExamples(paths: try Self.articles())
        #expect(examples.blocks.filter { $0.kind == .library }.count >= 10)
        let problems = try examples.problems()
        #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
    }

    // MARK: - The harness itself

    static let standIns = "import Resilience\nenum DocumentationStandIns {\n    static let receiptID = \"r-1\"\n}\n"

    static func examples(_ markdown: String) throws -> DocumentationExamples {
        DocumentationExamples(blocks: try MarkdownCodeBlocks.parse(markdown, file: "DOC.md"), standIns: standIns)
    }

    @Test("a block that does not compile fails, located at its Markdown line and column")
    func brokenBlock() throws {
        let markdown = """
            # Title

            ```swift
            let policy = RetryPolicy.default
            let attempts: String = policy.maxAttempts
            ```

            - In a list:

              ```swift
              import Resilience
              let pipeline = ResiliencePipeline { Retry(.default) }
              _ = try await pipeline.execute { receiptID.count }
              _ = try await pipeline.execute { missingService.call() }
              ```
            """
        let problems = try Self.examples(markdown).problems()
        #expect(problems.map(\.location) == ["DOC.md:5:31", "DOC.md:14:36"])
        #expect(problems.first?.message.contains("cannot convert value of type 'Int'") == true)
        #expect(problems.last?.message.contains("cannot find 'missingService' in scope") == true)
    }

    @Test("blocks compile separately: the same name declared in two blocks does not collide")
    func separateScopes() throws {
        let markdown = """
            ```swift
            let retry = Retry(.default)
            ```

            ```swift
            let retry = Retry(.aggressive, name: receiptID)
            _ = retry
            ```
            """
        #expect(try Self.examples(markdown).problems().isEmpty)
    }

    @Test("a block marked expect-error must fail to compile, with the given text")
    func expectedErrors() throws {
        let markdown = """
            <!-- doc-test: expect-error cannot convert -->
            ```swift
            let attempts: String = RetryPolicy.default.maxAttempts
            ```

            <!-- doc-test: expect-error -->
            ```swift
            let attempts: Int = RetryPolicy.default.maxAttempts
            ```

            <!-- doc-test: expect-error no such text -->
            ```swift
            let attempts: String = RetryPolicy.default.maxAttempts
            ```
            """
        let problems = try Self.examples(markdown).problems()
        #expect(problems.map(\.location) == ["DOC.md:8", "DOC.md:13"])
        #expect(problems.first?.message.contains("must not compile") == true)
        #expect(problems.last?.message.contains("no error mentioning \"no such text\"") == true)
    }

    @Test("manifests are checked against PackageDescription, whole or as a fragment")
    func manifests() throws {
        let markdown = """
            ```swift
            // swift-tools-version: 6.2
            import PackageDescription

            let package = Package(name: "Example", targets: [.target(name: "Example")])
            ```

            ```swift
            // Package.swift
            dependencies: [.package(url: "https://example.com/a", from: "1.0.0")],
            targets: [.target(name: "A", dependencies: [.product(name: "B", package: "a")])]
            ```

            ```swift
            // Package.swift
            targets: [.target(name: "A", dependencies: [.product(name: "B")])]
            ```
            """
        let examples = try Self.examples(markdown)
        #expect(examples.blocks.map(\.kind) == [.manifest, .manifest, .manifest])
        let problems = try examples.problems()
        #expect(problems.map(\.location) == ["DOC.md:16:46"])
    }

    @Test("skipping needs a reason, markers must be known, and every fence names its language")
    func markers() throws {
        let skipped = try MarkdownCodeBlocks.parse(
            "<!-- doc-test: skip shows a signature -->\n```swift\nfunc f(\n```\n",
            file: "DOC.md"
        )
        #expect(skipped.map(\.kind) == [.skipped(reason: "shows a signature")])
        #expect(throws: MarkdownCodeBlocks.FormatError.self) {
            try MarkdownCodeBlocks.parse("<!-- doc-test: skip -->\n```swift\nf()\n```\n", file: "DOC.md")
        }
        #expect(throws: MarkdownCodeBlocks.FormatError.self) {
            try MarkdownCodeBlocks.parse("<!-- doc-test: ignore -->\n```swift\nf()\n```\n", file: "DOC.md")
        }
        #expect(throws: MarkdownCodeBlocks.FormatError.self) {
            try MarkdownCodeBlocks.parse("```swift\nf()\n", file: "DOC.md")
        }
        let untagged = try Self.examples("```\nlet x = 1\n```\n").problems()
        #expect(untagged.map(\.location) == ["DOC.md:2"])
    }
}
