/// Parses `--clients`: client counts as a range stepped by `--step`, a list, or both.
///
/// `10...190` and `10-190` are the counts from 10 to 190 every `step`; `10,50,100` is a list; elements
/// combine, as in `1-5,10,20`. Counts are whole numbers from 1 to 100,000.
package enum ClientCounts {
    /// The largest client count accepted.
    package static let maximum = 100_000

    /// Parses `text`.
    ///
    /// - Parameters:
    ///   - text: The counts, such as `10...190`.
    ///   - step: The step of ranges, at least 1.
    /// - Returns: The counts, in the order given, without repeats.
    /// - Throws: ``ArgumentError`` for anything else.
    package static func parse(_ text: String, step: Int) throws(ArgumentError) -> [Int] {
        guard step >= 1 else { throw ArgumentError("--step must be at least 1, got \(step)") }
        var counts: [Int] = []
        var seen = Set<Int>()
        for element in text.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmingSpaces() }) {
            let bounds: [String] =
                if element.contains("...") {
                    element.splitting(on: "...")
                } else {
                    element.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                }
            guard (1...2).contains(bounds.count), let low = count(bounds[0]), let high = count(bounds[bounds.count - 1]) else {
                throw ArgumentError(
                    "\"\(element)\" is not a client count (1-\(maximum)) or a range such as 10...190; got \"\(text)\""
                )
            }
            guard low <= high else { throw ArgumentError("the range \"\(element)\" is empty: its start exceeds its end") }
            for value in stride(from: low, through: high, by: step) where seen.insert(value).inserted {
                counts.append(value)
            }
        }
        return counts
    }

    private static func count(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(trimmed),
            (1...maximum).contains(value)
        else { return nil }
        return value
    }
}

extension String {
    /// The parts of the string between occurrences of `separator`.
    func splitting(on separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
