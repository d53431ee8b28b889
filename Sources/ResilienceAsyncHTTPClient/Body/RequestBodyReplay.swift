#if AsyncHTTPClient
import AsyncHTTPClient

extension HTTPClientRequest.Body {
    /// Whether AsyncHTTPClient can send this body again: bytes (a `ByteBuffer`, an array, a string's
    /// UTF-8, any collection of bytes) can; a stream (`.stream(...)` of an async sequence) cannot,
    /// since its first attempt consumes it.
    ///
    /// AsyncHTTPClient knows this (it follows a redirect with a body only when it can be sent again)
    /// but keeps it internal, so it is read here by reflection on the body's storage. The reading is
    /// fail-safe: any shape it does not recognise (a later AsyncHTTPClient that stores bodies
    /// differently, a build without reflection metadata) counts as **not** replayable, so the worst
    /// an unrecognised body costs is a call not retried (its stop reason says
    /// `RetryStopReason.bodyNotReplayable`), never a retry that sends an empty or
    /// truncated body. The tests pin the reading for every kind of body AsyncHTTPClient 1.37 makes.
    var canBeSentAgain: Bool {
        guard let mode = Mirror(reflecting: self).children.first(where: { $0.label == "mode" })?.value else { return false }
        guard let payload = Mirror(reflecting: mode).children.first else { return false }
        switch payload.label {
        case "byteBuffer":
            return true
        case "sequence":
            // `.sequence(length:canBeConsumedMultipleTimes:makeCompleteBody:)`.
            let fields = Mirror(reflecting: payload.value).children
            return fields.first(where: { $0.label == "canBeConsumedMultipleTimes" })?.value as? Bool ?? false
        default:
            return false
        }
    }
}

#endif
