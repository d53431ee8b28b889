#if HTTP
import HTTPTypes
import Resilience

extension ResultClassifyingStrategy {
    /// This strategy for operations returning an `HTTPResponse`, counting the responses `classifier`
    /// classifies as failures: a `Retry` retries them (honouring their hints), a
    /// `CircuitBreaker` counts them.
    ///
    /// ```swift
    /// let pipeline = ResiliencePipeline(name: "vision") {
    ///     Retry(.standardHTTP).classifyingHTTPResponses()
    ///     visionBreaker.classifyingHTTPResponses()
    /// }
    /// let response = try await pipeline.execute { try await client.send(request) }
    /// ```
    ///
    /// Unlike an ``HTTPRetry``, a plain retry does not know the request, so it retries whatever the
    /// method: use it for requests known to be idempotent.
    ///
    /// - Parameter classifier: Classifies each response.
    /// - Returns: A typed strategy of `HTTPResponse`.
    public func classifyingHTTPResponses(
        _ classifier: HTTPResponseClassifier = .default
    ) -> ResultClassifiedStrategy<Self, HTTPResponse> {
        classifyingResults { (response: HTTPResponse) in classifier.classify(response) }
    }

    /// This strategy for operations returning `Value`, a response with more than its head, counting
    /// the values whose head `classifier` classifies as failures.
    ///
    /// - Parameters:
    ///   - classifier: Classifies each response's head.
    ///   - responseHead: The status and fields of a value.
    /// - Returns: A typed strategy of `Value`.
    public func classifyingHTTPResponses<Value>(
        _ classifier: HTTPResponseClassifier = .default,
        responseHead: @escaping @Sendable (Value) -> HTTPResponse
    ) -> ResultClassifiedStrategy<Self, Value> {
        classifyingResults { (value: Value) in classifier.classify(responseHead(value)) }
    }
}

#endif
