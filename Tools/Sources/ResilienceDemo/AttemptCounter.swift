import ResilienceCommands
import Synchronization

/// A count shared with a request's body maker, which AsyncHTTPClient calls once per attempt.
final class AttemptCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { count.add(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }
}
