import Foundation

/// A fenced code block of a Markdown file, with where it is.
struct MarkdownCodeBlock: Equatable, Sendable {
    /// What a documentation test does with a block, from its language and first line, or from a marker.
    enum Kind: Equatable, Sendable {
        /// Swift code using the library: type-checked inside a function, with the stand-ins.
        case library
        /// A package manifest (first line `// swift-tools-version: …` or `// Package.swift`): type-checked
        /// against the toolchain's `PackageDescription`.
        case manifest
        /// Swift code that must *not* compile (marked `<!-- doc-test: expect-error TEXT -->`): its error
        /// must be in the block, and mention `TEXT` when given.
        case expectError(String?)
        /// Not checked (marked `<!-- doc-test: skip REASON -->`); the reason is required.
        case skipped(reason: String)
        /// A block in another language (`sh`, `text`, `json`, …): not Swift, not checked.
        case other
    }

    /// The file's path, as given to the parser (such as `README.md`).
    var file: String
    /// The language named after the opening fence (`swift`, `sh`, …); empty when none is named.
    var language: String
    /// The 1-based line number of the block's first line of content.
    var firstLine: Int
    /// The block's lines, without the fences and without the fence's indentation.
    var lines: [String]
    /// The opening fence's indentation, in columns (blocks inside list items are indented).
    var indentation: Int
    /// What the block is, for documentation tests.
    var kind: Kind

    /// The block's text.
    var text: String { lines.joined(separator: "\n") }

    /// `file:line`, the block's first line of content.
    var location: String { "\(file):\(firstLine)" }
}

/// Reads the fenced code blocks (```` ``` ````) of Markdown text.
enum MarkdownCodeBlocks {
    /// A marker comment, on the last non-blank line before a fence, that changes how a block is checked:
    /// `<!-- doc-test: skip REASON -->` or `<!-- doc-test: expect-error [TEXT] -->`.
    static let markerPrefix = "<!-- doc-test:"

    /// Why a Markdown file cannot be read as documentation tests need.
    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every fenced block of `markdown`, in order.
    ///
    /// - Parameters:
    ///   - markdown: The file's text.
    ///   - file: The file's name, for locations.
    /// - Throws: ``FormatError`` for a fence left open, an unknown or incomplete marker, or a marker
    ///   before a block that is not Swift.
    static func parse(_ markdown: String, file: String) throws -> [MarkdownCodeBlock] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [MarkdownCodeBlock] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard let fence = openingFence(line) else {
                index += 1
                continue
            }
            let marker = try self.marker(before: index, in: lines, file: file)
            var content: [String] = []
            var closing = index + 1
            while closing < lines.count, !isClosingFence(lines[closing], fence: fence.fence) {
                content.append(dedent(lines[closing], by: fence.indentation))
                closing += 1
            }
            guard closing < lines.count else {
                throw FormatError(description: "\(file):\(index + 1): the code block is never closed")
            }
            let kind = try self.kind(language: fence.language, content: content, marker: marker, at: "\(file):\(index + 1)")
            blocks.append(
                MarkdownCodeBlock(
                    file: file,
                    language: fence.language,
                    firstLine: index + 2,
                    lines: content,
                    indentation: fence.indentation,
                    kind: kind
                )
            )
            index = closing + 1
        }
        return blocks
    }

    private struct Fence {
        var fence: String
        var language: String
        var indentation: Int
    }

    private static func openingFence(_ line: String) -> Fence? {
        let indentation = line.prefix { $0 == " " }.count
        let rest = line.dropFirst(indentation)
        let ticks = rest.prefix { $0 == "`" }
        guard ticks.count >= 3 else { return nil }
        let language = rest.dropFirst(ticks.count).trimmingCharacters(in: .whitespaces)
        guard !language.contains("`") else { return nil }  // an inline code span, not a fence
        return Fence(fence: String(ticks), language: language, indentation: indentation)
    }

    private static func isClosingFence(_ line: String, fence: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix(fence) && trimmed.allSatisfy { $0 == "`" }
    }

    private static func dedent(_ line: String, by indentation: Int) -> String {
        let spaces = min(line.prefix { $0 == " " }.count, indentation)
        return String(line.dropFirst(spaces))
    }

    /// The marker on the last non-blank line before line `index`, if that line is one.
    private static func marker(before index: Int, in lines: [String], file: String) throws -> String? {
        var previous = index - 1
        while previous >= 0, lines[previous].trimmingCharacters(in: .whitespaces).isEmpty { previous -= 1 }
        guard previous >= 0 else { return nil }
        let line = lines[previous].trimmingCharacters(in: .whitespaces)
        guard line.hasPrefix(markerPrefix) else { return nil }
        guard line.hasSuffix("-->") else {
            throw FormatError(description: "\(file):\(previous + 1): a doc-test marker must end on its line with -->")
        }
        return line.dropFirst(markerPrefix.count).dropLast(3).trimmingCharacters(in: .whitespaces)
    }

    private typealias Kind = MarkdownCodeBlock.Kind

    private static func kind(language: String, content: [String], marker: String?, at location: String) throws -> Kind {
        guard language == "swift" else {
            if let marker { throw FormatError(description: "\(location): marker \"\(marker)\" on a \(language) block") }
            return .other
        }
        if let marker {
            let (word, argument) = split(marker)
            switch word {
            case "skip":
                guard let argument else { throw FormatError(description: "\(location): \"skip\" needs a reason") }
                return .skipped(reason: argument)
            case "expect-error":
                return .expectError(argument.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) })
            default:
                throw FormatError(description: "\(location): unknown doc-test marker \"\(marker)\" (skip, expect-error)")
            }
        }
        let first = content.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
        if first.hasPrefix("// swift-tools-version:") || first.trimmingCharacters(in: .whitespaces) == "// Package.swift" {
            return .manifest
        }
        return .library
    }

    private static func split(_ marker: String) -> (String, String?) {
        guard let space = marker.firstIndex(of: " ") else { return (marker, nil) }
        let argument = marker[space...].trimmingCharacters(in: .whitespaces)
        return (String(marker[..<space]), argument.isEmpty ? nil : argument)
    }
}
