/// Records encode to, and decode from, JSON (or any `Codable` format) of the shape
/// ``CircuitBreakerRecord`` shows: every field by its name, times as integer nanoseconds since the
/// Unix epoch, the state as its name, the window as `{"type": "count", ...}` or `{"type": "time", ...}`
/// (see ``CircuitBreakerRecord/Window``).
///
/// Every field is required except `openUntil`, which is absent (or `null`) outside the open state.
/// Decoding checks the version first (a later one is
/// ``CircuitBreakerRecordError/Code/unsupportedVersion``, whatever else the record holds), refuses
/// unknown fields (``CircuitBreakerRecordError/Code/unknownField``: a misspelt `openUntill` would
/// otherwise be lost), and then ``CircuitBreakerRecord/validate()``s the result; every problem is a
/// ``CircuitBreakerRecordError`` naming the field by its full path.
extension CircuitBreakerRecord: Codable {
    private static let fieldNames: Set<String> = [
        "version", "state", "generation", "openUntil", "consecutiveFailures", "consecutiveOpenings", "probeSuccesses",
        "probeFailures", "rejectedCalls", "probes", "nextProbeID", "window",
    ]

    /// Decodes and validates a record.
    ///
    /// - Throws: ``CircuitBreakerRecordError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder)
    }

    private init(decoding decoder: any Decoder) throws(CircuitBreakerRecordError) {
        let path = dottedPath(decoder.codingPath)
        do {
            let fields = try ConfigurationFields(decoder, allowed: nil, path: path)
            let version = try fields.decode(Int.self, "version", expected: "a whole number")
            // Checked before the other fields: a later version may have others.
            guard version == Self.currentVersion else { throw Self.versionError(version) }
            try fields.rejectUnknownFields(allowed: Self.fieldNames)
            let name = try fields.decode(String.self, "state", expected: "a state name")
            guard let state = CircuitState(name: name) else {
                throw ConfigurationError.invalid(
                    fields.fieldPath("state"),
                    "must be one of \(CircuitState.allCases.map(\.name).joined(separator: ", ")), got \"\(name)\"")
            }
            let window = try fields.nestedDecoder("window").map { decoder throws(CircuitBreakerRecordError) in
                try Window(decoding: decoder, path: fields.fieldPath("window"))
            }
            guard let window else { throw ConfigurationError(.invalidValue, field: fields.fieldPath("window"), reason: "is required") }
            var probes: [Probe] = []
            if let decoder = try fields.nestedDecoder("probes") {
                probes = try Probe.decodeList(decoder, path: fields.fieldPath("probes"))
            } else {
                throw ConfigurationError(.invalidValue, field: fields.fieldPath("probes"), reason: "is required")
            }
            self.init(
                version: version,
                state: state,
                generation: try fields.decode(Int64.self, "generation", expected: "a whole number from 0 to \(Int64.max)"),
                openUntil: try fields.decodeIfPresent(
                    Int64.self, "openUntil", expected: "a whole number of nanoseconds since the Unix epoch"),
                consecutiveFailures: try fields.decode(Int.self, "consecutiveFailures", expected: "a whole number"),
                consecutiveOpenings: try fields.decode(Int.self, "consecutiveOpenings", expected: "a whole number"),
                probeSuccesses: try fields.decode(Int.self, "probeSuccesses", expected: "a whole number"),
                probeFailures: try fields.decode(Int.self, "probeFailures", expected: "a whole number"),
                rejectedCalls: try fields.decode(Int64.self, "rejectedCalls", expected: "a whole number"),
                probes: probes,
                nextProbeID: try fields.decode(Int64.self, "nextProbeID", expected: "a whole number from 1 to \(Int64.max)"),
                window: window
            )
        } catch {
            throw Self.recordError(error, path: path)
        }
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// `error`, thrown while decoding the record at `path`, as a record error.
    static func recordError(_ error: any Error, path: String) -> CircuitBreakerRecordError {
        switch error {
        case let error as CircuitBreakerRecordError: error
        case let error as ConfigurationError: CircuitBreakerRecordError(error)
        default: CircuitBreakerRecordError(.wrongType, field: path.isEmpty ? "(root)" : path, reason: "cannot be decoded: \(error)")
        }
    }

    /// Encodes every field; `openUntil` only when present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(version, forKey: FieldKey("version"))
        try container.encode(state.name, forKey: FieldKey("state"))
        try container.encode(generation, forKey: FieldKey("generation"))
        try container.encodeIfPresent(openUntil, forKey: FieldKey("openUntil"))
        try container.encode(consecutiveFailures, forKey: FieldKey("consecutiveFailures"))
        try container.encode(consecutiveOpenings, forKey: FieldKey("consecutiveOpenings"))
        try container.encode(probeSuccesses, forKey: FieldKey("probeSuccesses"))
        try container.encode(probeFailures, forKey: FieldKey("probeFailures"))
        try container.encode(rejectedCalls, forKey: FieldKey("rejectedCalls"))
        try container.encode(probes, forKey: FieldKey("probes"))
        try container.encode(nextProbeID, forKey: FieldKey("nextProbeID"))
        try container.encode(window, forKey: FieldKey("window"))
    }
}

extension CircuitBreakerRecord.Probe: Codable {
    /// Decodes `{"id": 1, "grantedAt": 1746100800000000000}`.
    ///
    /// - Throws: ``CircuitBreakerRecordError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(CircuitBreakerRecordError) {
        do {
            let fields = try ConfigurationFields(decoder, allowed: ["id", "grantedAt"], path: path)
            self.init(
                id: try fields.decode(Int64.self, "id", expected: "a whole number from 1 to \(Int64.max)"),
                grantedAt: try fields.decode(Int64.self, "grantedAt", expected: "a whole number of nanoseconds since the Unix epoch")
            )
        } catch {
            throw CircuitBreakerRecordError(error)
        }
    }

    /// Decodes a list of probes, each with its index in the path.
    static func decodeList(_ decoder: any Decoder, path: String) throws(CircuitBreakerRecordError) -> [Self] {
        guard var list = try? decoder.unkeyedContainer() else {
            throw CircuitBreakerRecordError(.wrongType, field: path, reason: "must be a list of probes")
        }
        var probes: [Self] = []
        while !list.isAtEnd {
            let fieldPath = "\(path)[\(probes.count)]"
            guard probes.count < CircuitBreakerRecord.maximumProbes else {
                throw .invalid(path, "must hold at most \(CircuitBreakerRecord.maximumProbes) probes")
            }
            guard let element = try? list.superDecoder() else {
                throw CircuitBreakerRecordError(.wrongType, field: fieldPath, reason: "must be a probe")
            }
            probes.append(try Self(decoding: element, path: fieldPath))
        }
        return probes
    }

    /// Encodes the probe's number and when it was granted.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(id, forKey: FieldKey("id"))
        try container.encode(grantedAt, forKey: FieldKey("grantedAt"))
    }
}

extension CircuitBreakerRecord.Window: Codable {
    /// Decodes `{"type": "count", "size": 100, "outcomes": "ssf"}` or `{"type": "time",
    /// "bucketNanoseconds": 6000000000, "bucketCount": 10, "newestBucketStart": 1746100800000000000,
    /// "buckets": [[12, 3, 0]]}`.
    ///
    /// - Throws: ``CircuitBreakerRecordError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(CircuitBreakerRecordError) {
        do {
            let fields = try ConfigurationFields(decoder, allowed: nil, path: path)
            let type = try fields.decode(String.self, "type", expected: "a window type")
            switch type {
            case "count":
                try fields.rejectUnknownFields(allowed: ["type", "size", "outcomes"])
                self = .count(
                    size: try fields.decode(Int.self, "size", expected: "a whole number"),
                    outcomes: try fields.decode(String.self, "outcomes", expected: "a string of s, f, S and F"))
            case "time":
                try fields.rejectUnknownFields(allowed: ["type", "bucketNanoseconds", "bucketCount", "newestBucketStart", "buckets"])
                let length = try fields.decode(Int64.self, "bucketNanoseconds", expected: "a whole number of nanoseconds")
                let count = try fields.decode(Int.self, "bucketCount", expected: "a whole number")
                let start = try fields.decode(
                    Int64.self, "newestBucketStart", expected: "a whole number of nanoseconds since the Unix epoch")
                let triples = try fields.decode([[Int]].self, "buckets", expected: "a list of [calls, failures, slowCalls]")
                var buckets: [Bucket] = []
                buckets.reserveCapacity(min(triples.count, SlidingWindow.maximumBuckets))
                for (index, triple) in triples.enumerated() {
                    guard triple.count == 3 else {
                        throw ConfigurationError(
                            .wrongType, field: fields.fieldPath("buckets[\(index)]"), reason: "must be [calls, failures, slowCalls]")
                    }
                    buckets.append(Bucket(calls: triple[0], failures: triple[1], slowCalls: triple[2]))
                }
                self = .time(bucketNanoseconds: length, bucketCount: count, newestBucketStart: start, buckets: buckets)
            default:
                throw ConfigurationError.invalid(fields.fieldPath("type"), "must be one of count, time, got \"\(type)\"")
            }
        } catch {
            throw CircuitBreakerRecord.recordError(error, path: path)
        }
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// Encodes the window with its `type`; a time window's buckets as `[calls, failures, slowCalls]`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        switch storage {
        case .count(let size, let outcomes):
            try container.encode("count", forKey: FieldKey("type"))
            try container.encode(size, forKey: FieldKey("size"))
            try container.encode(outcomes, forKey: FieldKey("outcomes"))
        case .time(let length, let count, let start, let buckets):
            try container.encode("time", forKey: FieldKey("type"))
            try container.encode(length, forKey: FieldKey("bucketNanoseconds"))
            try container.encode(count, forKey: FieldKey("bucketCount"))
            try container.encode(start, forKey: FieldKey("newestBucketStart"))
            try container.encode(buckets.map { [$0.calls, $0.failures, $0.slowCalls] }, forKey: FieldKey("buckets"))
        }
    }
}
