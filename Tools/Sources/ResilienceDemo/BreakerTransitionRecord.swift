/// One change of a breaker's state, as the demo saw it.
struct BreakerTransitionRecord: Sendable, Hashable, Codable {
    /// The breaker, such as `ocr-breaker`.
    var breaker: String
    /// The state it left, such as `closed`.
    var from: String
    /// The state it entered, such as `open`.
    var to: String
    /// Why, such as `consecutiveFailures`.
    var reason: String
    /// When, in the demo's (scaled) seconds since the batch started.
    var seconds: Double
}
