/// A strategy of this library that checks for cancellation when it starts: a caller already
/// cancelled gets `CancellationError`, and the operation never runs.
///
/// Each check costs about 100 instructions (two runtime calls, and a retain and a release of the
/// task), a fifth of a retry + circuit breaker pipeline's success path. Inside a pipeline, a strategy
/// that an enclosing one starts right after its own check, with nothing suspending in between,
/// needs no check of its own: ``NestedStrategy/joining(_:)`` makes it rely on the enclosing check, so
/// that a pipeline checks once per call. The behaviour is the same: the outermost strategy still
/// checks, and every library strategy that runs its inner strategy again later (a retry's next
/// attempt) checks before doing so. A strategy of your own neither relies on an enclosing check nor
/// lets the strategies after it rely on one.
protocol EntryCancellationChecking {
    /// Whether cancellation is checked when this strategy starts (by itself, or by the strategy
    /// enclosing it right before).
    var checksCancellationOnEntry: Bool { get }

    /// Whether, started right after a check, this strategy starts its operation right after one too
    /// (that check, its own, or a retry's before each retry), with none of the caller's code that may
    /// suspend or cancel in between.
    var startsOperationRightAfterCheck: Bool { get }

    /// This strategy without a check of its own, for where an enclosing strategy has just checked.
    func relyingOnEnclosingCancellationCheck() -> Self
}

/// Whether cancellation is checked when `strategy` starts.
func checksCancellationOnEntry(_ strategy: some ComposableStrategy) -> Bool {
    (strategy as? any EntryCancellationChecking)?.checksCancellationOnEntry ?? false
}

/// Whether `strategy`, started right after a check, starts its operation right after one; `false`
/// for strategies that are not the library's.
func startsOperationRightAfterCheck(_ strategy: some ComposableStrategy) -> Bool {
    (strategy as? any EntryCancellationChecking)?.startsOperationRightAfterCheck ?? false
}

/// Whether an enclosing strategy `outer` lets the strategy it starts rely on a check made before.
func letsInnerRelyOnCheck(_ outer: some ComposableStrategy) -> Bool {
    checksCancellationOnEntry(outer) && startsOperationRightAfterCheck(outer)
}

/// `strategy` relying on an enclosing strategy's check, if it is one of the library's; otherwise
/// unchanged.
func relyingOnEnclosingCancellationCheck<Strategy: ComposableStrategy>(_ strategy: Strategy) -> Strategy {
    guard let checking = strategy as? any EntryCancellationChecking,
        let relying = checking.relyingOnEnclosingCancellationCheck() as? Strategy
    else { return strategy }
    return relying
}

extension Retry: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { true }
    var startsOperationRightAfterCheck: Bool { true }

    func relyingOnEnclosingCancellationCheck() -> Self {
        var copy = self
        copy.checksCancellation = false
        return copy
    }
}

extension Timeout: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { true }
    var startsOperationRightAfterCheck: Bool { true }

    func relyingOnEnclosingCancellationCheck() -> Self {
        var copy = self
        copy.checksCancellation = false
        return copy
    }
}

extension Fallback: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { true }
    var startsOperationRightAfterCheck: Bool { true }

    func relyingOnEnclosingCancellationCheck() -> Self {
        var copy = self
        copy.checksCancellation = false
        return copy
    }
}

extension NestedStrategy: EntryCancellationChecking {
    /// The outer strategy starts first.
    var checksCancellationOnEntry: Bool { Resilience.checksCancellationOnEntry(outer) }
    /// The inner strategy starts the operation, started by the outer one.
    var startsOperationRightAfterCheck: Bool {
        Resilience.startsOperationRightAfterCheck(outer) && Resilience.startsOperationRightAfterCheck(inner)
    }

    func relyingOnEnclosingCancellationCheck() -> Self {
        NestedStrategy(outer: Resilience.relyingOnEnclosingCancellationCheck(outer), inner: inner)
    }
}

extension OptionalStrategy: EntryCancellationChecking {
    /// An absent strategy runs the operation at once, without a check.
    var checksCancellationOnEntry: Bool { wrapped.map { Resilience.checksCancellationOnEntry($0) } ?? false }
    var startsOperationRightAfterCheck: Bool { wrapped.map { Resilience.startsOperationRightAfterCheck($0) } ?? true }

    func relyingOnEnclosingCancellationCheck() -> Self {
        OptionalStrategy(wrapped.map { Resilience.relyingOnEnclosingCancellationCheck($0) })
    }
}

extension EitherStrategy: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool {
        switch branch {
        case .first(let strategy): Resilience.checksCancellationOnEntry(strategy)
        case .second(let strategy): Resilience.checksCancellationOnEntry(strategy)
        }
    }

    var startsOperationRightAfterCheck: Bool {
        switch branch {
        case .first(let strategy): Resilience.startsOperationRightAfterCheck(strategy)
        case .second(let strategy): Resilience.startsOperationRightAfterCheck(strategy)
        }
    }

    func relyingOnEnclosingCancellationCheck() -> Self {
        switch branch {
        case .first(let strategy): .first(Resilience.relyingOnEnclosingCancellationCheck(strategy))
        case .second(let strategy): .second(Resilience.relyingOnEnclosingCancellationCheck(strategy))
        }
    }
}

extension TypedStrategyAdapter: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { Resilience.checksCancellationOnEntry(base) }
    var startsOperationRightAfterCheck: Bool { Resilience.startsOperationRightAfterCheck(base) }

    func relyingOnEnclosingCancellationCheck() -> Self {
        TypedStrategyAdapter(Resilience.relyingOnEnclosingCancellationCheck(base))
    }
}

extension ResultClassifiedStrategy: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { Resilience.checksCancellationOnEntry(base) }
    var startsOperationRightAfterCheck: Bool { Resilience.startsOperationRightAfterCheck(base) }

    func relyingOnEnclosingCancellationCheck() -> Self {
        ResultClassifiedStrategy(Resilience.relyingOnEnclosingCancellationCheck(base), classify: classify)
    }
}
