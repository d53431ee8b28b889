/// A coding key for any field name, so decoders can list and reject unknown fields.
struct FieldKey: CodingKey, Hashable {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) {
        stringValue = name
    }

    init?(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        return nil
    }
}

/// The fields of one configuration object being decoded, turning every problem into a
/// ``ConfigurationError`` that names the field by its full dotted path.
struct ConfigurationFields {
    private let container: KeyedDecodingContainer<FieldKey>
    /// The dotted path of this object, such as `backoff`; empty at the top level.
    let path: String

    /// Opens the object at `decoder`, rejecting fields outside `allowed` (unless `nil`: then
    /// ``rejectUnknownFields(allowed:)`` checks them once the object's kind is known).
    init(_ decoder: any Decoder, allowed: Set<String>?, path: String) throws(ConfigurationError) {
        self.path = path
        do {
            container = try decoder.container(keyedBy: FieldKey.self)
        } catch {
            throw ConfigurationError(.wrongType, field: path.isEmpty ? "(root)" : path, reason: "must be an object")
        }
        if let allowed { try rejectUnknownFields(allowed: allowed) }
    }

    /// Throws for the first field (in sorted order) outside `allowed`.
    func rejectUnknownFields(allowed: Set<String>) throws(ConfigurationError) {
        for key in container.allKeys.map(\.stringValue).sorted() where !allowed.contains(key) {
            throw ConfigurationError(
                .unknownField,
                field: fieldPath(key),
                reason: "is not a known field; expected one of \(allowed.sorted().joined(separator: ", "))"
            )
        }
    }

    /// The full dotted path of the field `name` of this object.
    func fieldPath(_ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    /// Whether the object has the field `name`.
    func contains(_ name: String) -> Bool {
        container.contains(FieldKey(name))
    }

    /// The names of the fields present.
    var names: [String] {
        container.allKeys.map(\.stringValue)
    }

    /// Decodes the field `name` as `T` if present, reporting a wrong type by name.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, _ name: String, expected: String) throws(ConfigurationError) -> T? {
        do {
            return try container.decodeIfPresent(type, forKey: FieldKey(name))
        } catch {
            throw ConfigurationError(.wrongType, field: fieldPath(name), reason: "must be \(expected)")
        }
    }

    /// Decodes the required field `name` as `T`.
    func decode<T: Decodable>(_ type: T.Type, _ name: String, expected: String) throws(ConfigurationError) -> T {
        guard let value = try decodeIfPresent(type, name, expected: expected) else {
            throw ConfigurationError(.invalidValue, field: fieldPath(name), reason: "is required")
        }
        return value
    }

    /// Decodes a duration given in seconds, if present.
    func decodeSecondsIfPresent(_ name: String) throws(ConfigurationError) -> Duration? {
        guard let seconds = try decodeIfPresent(Double.self, name, expected: "a number of seconds") else {
            return nil
        }
        return try Self.duration(fromSeconds: seconds, field: fieldPath(name))
    }

    /// Decodes a required duration given in seconds.
    func decodeSeconds(_ name: String) throws(ConfigurationError) -> Duration {
        try Self.duration(fromSeconds: decode(Double.self, name, expected: "a number of seconds"), field: fieldPath(name))
    }

    /// A decoder for the nested object in field `name`, if present.
    func nestedDecoder(_ name: String) throws(ConfigurationError) -> (any Decoder)? {
        guard contains(name) else { return nil }
        do {
            return try container.superDecoder(forKey: FieldKey(name))
        } catch {
            throw ConfigurationError(.wrongType, field: fieldPath(name), reason: "must be an object")
        }
    }

    static func duration(fromSeconds seconds: Double, field: String) throws(ConfigurationError) -> Duration {
        guard let duration = Duration.checkedSeconds(seconds) else {
            throw ConfigurationError(
                .invalidValue,
                field: field,
                reason: "must be a finite, non-negative number of seconds below 9.2e9, got \(seconds)"
            )
        }
        return duration
    }
}

/// The dotted path of a decoder's position, such as `policies.ocr`, for error messages.
func dottedPath(_ codingPath: [any CodingKey]) -> String {
    codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
}
