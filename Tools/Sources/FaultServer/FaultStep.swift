import NIOCore

/// What the fault server does with one request: answer it, answer it late, or fail it in one of the
/// ways a real network fails.
///
/// A struct over a private enum, so steps can be added without breaking scripts.
public struct FaultStep: Sendable, CustomStringConvertible {
    enum Action: Sendable {
        case respond(status: Int, headers: [(String, String)], body: [UInt8], chunked: Bool)
        case echo(status: Int)
        case hold
        case delayed(Duration, then: Box)
        case closeConnection
        case resetConnection
        case truncated(status: Int, declaredLength: Int, sending: Int)
    }

    /// Indirection for a step within a step.
    final class Box: Sendable {
        let step: FaultStep
        init(_ step: FaultStep) { self.step = step }
    }

    let action: Action

    /// Answers with `status`, `headers` and `body`, with a `Content-Length` (or chunked when
    /// `chunked` is set, with no declared length).
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: Extra header fields, such as `("Retry-After", "2")`.
    ///   - body: The body.
    ///   - chunked: Whether to send the body chunked, without a `Content-Length`.
    /// - Returns: The step.
    public static func respond(_ status: Int, headers: [(String, String)] = [], body: String = "", chunked: Bool = false) -> FaultStep {
        FaultStep(action: .respond(status: status, headers: headers, body: Array(body.utf8), chunked: chunked))
    }

    /// Answers with `status` and a body of `size` bytes (`x`), declared or chunked.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - size: The body's length in bytes.
    ///   - chunked: Whether to send it chunked, without a `Content-Length`.
    /// - Returns: The step.
    public static func respond(_ status: Int, bodyOfSize size: Int, chunked: Bool = false) -> FaultStep {
        FaultStep(
            action: .respond(
                status: status, headers: [], body: [UInt8](repeating: UInt8(ascii: "x"), count: max(size, 0)), chunked: chunked))
    }

    /// `status` (503 by default) with `Retry-After: seconds`.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - seconds: The delta-seconds value.
    /// - Returns: The step.
    public static func retryAfter(_ status: Int = 503, seconds: Int) -> FaultStep {
        .respond(status, headers: [("Retry-After", "\(seconds)")])
    }

    /// `status` (503 by default) with `Retry-After` as an HTTP-date, such as
    /// `Wed, 21 Oct 2026 07:28:00 GMT`.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - date: The HTTP-date.
    /// - Returns: The step.
    public static func retryAfter(_ status: Int = 503, date: String) -> FaultStep {
        .respond(status, headers: [("Retry-After", date)])
    }

    /// `status` (429 by default) with `retry-after-ms: milliseconds`.
    ///
    /// - Parameters:
    ///   - milliseconds: The field's value.
    ///   - status: The status code.
    /// - Returns: The step.
    public static func retryAfterMilliseconds(_ milliseconds: Int, status: Int = 429) -> FaultStep {
        .respond(status, headers: [("retry-after-ms", "\(milliseconds)")])
    }

    /// Answers `status` (200 by default) with the request's own body.
    ///
    /// - Parameter status: The status code.
    /// - Returns: The step.
    public static func echo(_ status: Int = 200) -> FaultStep { FaultStep(action: .echo(status: status)) }

    /// Answers nothing until ``FaultServer/releaseHeldRequests()`` (then 200, `released`) or the
    /// server stops: a response slower than any time-out, without the test waiting on the wall clock.
    public static let hold = FaultStep(action: .hold)

    /// Waits `delay` on the wall clock, then does `step`: slow responses for a demo (tests use
    /// ``hold``).
    ///
    /// - Parameters:
    ///   - delay: How long to wait.
    ///   - step: What to do then.
    /// - Returns: The step.
    public static func delayed(_ delay: Duration, then step: FaultStep) -> FaultStep {
        FaultStep(action: .delayed(delay, then: Box(step)))
    }

    /// Closes the connection without answering.
    public static let closeConnection = FaultStep(action: .closeConnection)

    /// Resets the connection (a TCP RST: `SO_LINGER` 0) without answering.
    public static let resetConnection = FaultStep(action: .resetConnection)

    /// Sends the head of a `status` response declaring `declaredLength` bytes, then `sending` bytes of
    /// body, then closes the connection: a connection lost mid-response.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - declaredLength: The `Content-Length` sent.
    ///   - sending: The bytes of body sent before closing.
    /// - Returns: The step.
    public static func truncated(_ status: Int = 200, declaredLength: Int, sending: Int) -> FaultStep {
        FaultStep(action: .truncated(status: status, declaredLength: declaredLength, sending: min(max(sending, 0), max(declaredLength, 0))))
    }

    /// What the step does, such as `503 [Retry-After: 2]` or `reset`.
    public var description: String {
        switch action {
        case .respond(let status, let headers, let body, let chunked):
            let fields = headers.isEmpty ? "" : " [" + headers.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "]"
            return "\(status)\(fields)\(body.isEmpty ? "" : " (\(body.count) bytes\(chunked ? ", chunked" : ""))")"
        case .echo(let status): return "\(status) echo"
        case .hold: return "hold"
        case .delayed(let delay, let then): return "after \(delay): \(then.step)"
        case .closeConnection: return "close"
        case .resetConnection: return "reset"
        case .truncated(let status, let declared, let sending): return "\(status) truncated (\(sending) of \(declared) bytes)"
        }
    }
}
