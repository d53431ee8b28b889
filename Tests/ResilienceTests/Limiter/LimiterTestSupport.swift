import Resilience

/// Counts the operations running at once, and the most seen.
final class ActiveCalls: Sendable {
    private let state = AnnotatedMutex<(now: Int, most: Int)>((0, 0))

    func enter() {
        state.withLock { state in
            state.now += 1
            state.most = max(state.most, state.now)
        }
    }

    func leave() {
        state.withLock { $0.now -= 1 }
    }

    /// The most operations seen running at once.
    var most: Int { state.withLock { $0.most } }
    /// The operations running now.
    var now: Int { state.withLock { $0.now } }
}

/// Values appended from several tasks, in the order appended.
final class Log<Element: Sendable>: Sendable {
    private let state = AnnotatedMutex<[Element]>([])

    func append(_ element: Element) {
        state.withLock { $0.append(element) }
    }

    var elements: [Element] { state.withLock { $0 } }
    var count: Int { state.withLock { $0.count } }
}

/// How a call through a limiter ended.
enum CallOutcome: Hashable, Sendable {
    case succeeded
    case failed
    case refused(LimitExceededError.Reason)
    case cancelled
}

/// Runs `operation` through `strategy`, reporting how the call ended.
func outcome(
    of strategy: some ResilienceStrategy,
    _ operation: () async throws -> Void
) async -> CallOutcome {
    do {
        try await strategy.execute { try await operation() }
        return .succeeded
    } catch let error as LimitExceededError {
        return .refused(error.reason)
    } catch is CancellationError {
        return .cancelled
    } catch {
        return .failed
    }
}

/// A task that cancels itself before running `body`, to test callers that are already cancelled.
func alreadyCancelled<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
    await Task {
        withUnsafeCurrentTask { $0?.cancel() }
        return try await body()
    }.result
}
