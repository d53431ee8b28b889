import Foundation

extension BreakerState {
    /// Decodes a state file, refusing any field the format does not have.
    ///
    /// `JSONDecoder` ignores keys it does not know, so a misspelt field (`"openUntill"`) would be
    /// dropped silently, and the state read would not be the one written: an open breaker whose
    /// `openUntil` is misspelt half-opens at once. So, after decoding, every key of the file must be
    /// one the decoded state encodes again (a `null` value aside): the format's fields, at every
    /// depth, including the library's state machine under `breaker`.
    ///
    /// - Parameter data: The file's bytes.
    /// - Returns: The state.
    /// - Throws: What `JSONDecoder` throws (``UnsupportedVersion`` for another version), or
    ///   ``UnknownField`` naming the first field that is not part of the format.
    package static func decodeStrictly(from data: Data) throws -> BreakerState {
        let state = try JSONDecoder().decode(BreakerState.self, from: data)
        let written = try JSONSerialization.jsonObject(with: data)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(state))
        if let field = unknownField(in: written, comparedWith: encoded, at: []) {
            throw UnknownField(path: field)
        }
        return state
    }

    /// A field of a state file that is not part of its format version.
    package struct UnknownField: Error, Hashable, Sendable, CustomStringConvertible {
        /// Where it is, such as `["breaker", "core", "openUntill"]`.
        package var path: [String]

        /// Says which field it is.
        package var description: String {
            "it has a field \"\(path.joined(separator: "."))\" that format version \(BreakerState.formatVersion) does not have"
        }
    }

    /// The path of the first key of `written` that `encoded` does not have, comparing objects key by
    /// key and arrays element by element.
    private static func unknownField(in written: Any, comparedWith encoded: Any, at path: [String]) -> [String]? {
        if let written = written as? [String: Any] {
            let encoded = encoded as? [String: Any] ?? [:]
            for key in written.keys.sorted() {
                guard let value = written[key], !(value is NSNull) else { continue }
                guard let counterpart = encoded[key] else { return path + [key] }
                if let field = unknownField(in: value, comparedWith: counterpart, at: path + [key]) { return field }
            }
        } else if let written = written as? [Any], let encoded = encoded as? [Any] {
            for (index, (value, counterpart)) in zip(written, encoded).enumerated() {
                if let field = unknownField(in: value, comparedWith: counterpart, at: path + ["[\(index)]"]) { return field }
            }
        }
        return nil
    }
}
