import ArgumentParser

/// `--attempts N`: the most attempts, counting the first, or `forever`.
///
/// Options take it with `transform: AttemptCount.init(parsing:)`, so that ArgumentParser's error
/// says what is wrong, a negative count included (see ``DurationArgument``).
package struct AttemptCount: Hashable, Sendable, ExpressibleByArgument {
    /// The number of attempts, at least 1; `Int.max` for `forever`.
    package var count: Int

    /// Parses `text`: a whole number of at least 1, or `forever` (also `unlimited`, `inf`).
    ///
    /// - Parameter text: The argument.
    /// - Throws: ``ArgumentError`` for anything else.
    package init(parsing text: String) throws(ArgumentError) {
        count = try PolicyArguments.parseAttempts(text)
    }

    /// Parses `argument`, for ArgumentParser; `nil` when it is not a count.
    ///
    /// - Parameter argument: The argument.
    package init?(argument: String) {
        guard let count = try? PolicyArguments.parseAttempts(argument) else { return nil }
        self.count = count
    }
}
