extension CircuitBreaker {
    /// The right to make one call through a circuit breaker, for code that cannot wrap the call in a
    /// closure (an HTTP client's delegate, a command run by a CLI).
    ///
    /// Record the call's outcome exactly once, with ``recordSuccess()``, ``recordFailure(_:)`` or
    /// ``record(_:)``, each of which consumes the permit. A permit is noncopyable, so it cannot be
    /// recorded twice, and **it cannot leak**: a permit dropped without an outcome (an early `return`,
    /// a thrown error) is given back as ``CircuitBreakerOutcome/ignored`` when it goes out of scope,
    /// freeing its half-open probe slot.
    ///
    /// ```swift
    /// let permit = try breaker.acquirePermit()
    /// let response = try await client.execute(request)
    /// if response.status.code >= 500 { permit.record(.failure) } else { permit.recordSuccess() }
    /// ```
    public struct Permit: ~Copyable, Sendable {
        @usableFromInline
        let breaker: CircuitBreaker
        @usableFromInline
        let token: CircuitBreakerCore.Permit
        @usableFromInline
        var isSettled = false

        @inlinable
        init(breaker: CircuitBreaker, token: CircuitBreakerCore.Permit) {
            self.breaker = breaker
            self.token = token
        }

        /// The state that granted the permit: closed, half-open (a probe) or disabled.
        public var state: CircuitState { token.state }

        /// Records a success (still slow if it took longer than the ``SlowCallRule``'s threshold).
        @inlinable
        public consuming func recordSuccess() {
            isSettled = true
            breaker.settle(token, outcome: .success)
        }

        /// Records that the call threw `error`, counted as ``CircuitBreaker/execute(_:)`` counts it.
        ///
        /// - Parameter error: The call's error.
        public consuming func recordFailure(_ error: any Error) {
            isSettled = true
            breaker.settle(token, after: error)
        }

        /// Records the call's outcome as given.
        ///
        /// - Parameter outcome: How the call counts.
        @inlinable
        public consuming func record(_ outcome: CircuitBreakerOutcome) {
            isSettled = true
            breaker.settle(token, outcome: outcome)
        }

        deinit {
            if !isSettled { breaker.settle(token, outcome: .ignored) }
        }
    }

    /// Asks for a permit to make one call.
    ///
    /// - Returns: A permit; record the call's outcome with it.
    /// - Throws: ``CircuitOpenError`` when the circuit refuses the call.
    public func acquirePermit() throws(CircuitOpenError) -> Permit {
        Permit(breaker: self, token: try admit())
    }
}
