import ArgumentParser

/// A number of bytes on the command line, such as `--spool-limit 512MiB`.
///
/// | input | meaning |
/// |---|---|
/// | `1048576`, `100B` | bytes |
/// | `64KiB`, `512MiB`, `1GiB`, `2TiB` | binary units: 1024, 1024², ... bytes |
/// | `100kB`, `500MB`, `1GB`, `2TB` | decimal units: 1000, 1000², ... bytes |
///
/// A number is whole (`1.5GiB` is refused: say `1536MiB`); zero, negative numbers and sizes past
/// `Int.max` bytes are refused with a message saying why.
package struct ByteCount: Hashable, Sendable, ExpressibleByArgument, CustomStringConvertible {
    /// The number of bytes, at least 1.
    package var bytes: Int

    /// Parses `text` as a positive number of bytes.
    ///
    /// - Parameter text: The argument, such as `512MiB`.
    /// - Throws: ``ArgumentError`` explaining what is wrong with `text`.
    package init(parsing text: String) throws(ArgumentError) {
        let trimmed = text.trimmingSpaces()
        if trimmed.hasPrefix("-") {
            throw ArgumentError("\"\(text)\" is negative; expected a size such as 512MiB or 1GiB")
        }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count)
        guard !digits.isEmpty, let value = Int(digits) else {
            throw ArgumentError("\"\(text)\" is not a size; expected a whole number with an optional unit, such as 512MiB or 1GiB")
        }
        guard let multiplier = Self.units[String(unit)] else {
            throw ArgumentError("\"\(text)\" has an unknown unit \"\(unit)\"; use B, KiB, MiB, GiB, TiB, kB, MB, GB or TB")
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ArgumentError("\"\(text)\" is too large a size") }
        guard bytes > 0 else { throw ArgumentError("the size must be at least 1 byte, got \"\(text)\"") }
        self.bytes = bytes
    }

    /// Parses `argument`, for ArgumentParser; `nil` when it is not a positive size. The options use
    /// ``init(parsing:)`` as their transform, so that the error says what is wrong.
    ///
    /// - Parameter argument: The argument, such as `512MiB`.
    package init?(argument: String) {
        guard let parsed = try? ByteCount(parsing: argument) else { return nil }
        self = parsed
    }

    /// The size in the largest unit that divides it exactly, such as `1GiB`.
    package var description: String { Self.format(bytes) }

    /// `bytes` in the largest binary unit that divides it, such as `512MiB`, else in bytes (`1000B`).
    ///
    /// - Parameter bytes: A number of bytes.
    /// - Returns: The rendering.
    package static func format(_ bytes: Int) -> String {
        for (unit, size) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= size && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return "\(bytes)B"
    }

    private static let units: [String: Int] = [
        "": 1, "B": 1,
        "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
        "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40,
        "kB": 1_000, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
    ]
}
