#if AsyncHTTPClient
import AsyncHTTPClient
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Resilience
import ResilienceHTTP

/// One call through a strategy: sends each attempt, and keeps what the next attempt, or the call's
/// end, must know of the previous one.
///
/// Not `Sendable`: a strategy makes one attempt at a time (``HTTPRequestStrategy``), and the state is
/// only touched from those attempts and from the call that owns it, in turn.
final class ResilientCall {
    /// An attempt's response with its head converted once, for the strategy's classifiers to read.
    struct Attempt {
        var response: HTTPClientResponse
        let head: HTTPResponse
    }

    let client: HTTPClient
    let request: HTTPClientRequest
    let makeBody: (@Sendable () async throws -> HTTPClientRequest.Body)?
    let classifier: HTTPResponseClassifier
    let retriedBodyLimit: Int
    let deadline: NIODeadline
    let logger: Logger?

    /// The unread body of the last attempt's failing response, held until the strategy retries it (the
    /// next attempt begins: it is drained or dropped) or returns it (the caller gets it unread).
    private var heldBody: HTTPClientResponse.Body?
    /// How the last attempt that ran to its end ended: its response or its error; `nil` before the
    /// first, and while an attempt runs.
    private(set) var lastOutcome: Result<HTTPClientResponse, any Error>?
    /// Attempts sent so far.
    private(set) var attempts = 0

    init(
        client: HTTPClient,
        request: HTTPClientRequest,
        makeBody: (@Sendable () async throws -> HTTPClientRequest.Body)?,
        classifier: HTTPResponseClassifier,
        retriedBodyLimit: Int,
        deadline: NIODeadline,
        logger: Logger?
    ) {
        self.client = client
        self.request = request
        self.makeBody = makeBody
        self.classifier = classifier
        self.retriedBodyLimit = max(retriedBodyLimit, 0)
        self.deadline = deadline
        self.logger = logger
    }

    /// Sends one attempt: disposes of the previous attempt's unread failing response (the strategy is
    /// retrying it), makes the body anew when the caller gave a way to, and reads the body of a
    /// failing response whose declared length is within the limit, so that its connection goes back to
    /// the pool before the strategy waits.
    ///
    /// - Returns: The response; its body unread unless it failed and was short enough to read.
    /// - Throws: AsyncHTTPClient's error for this attempt, unchanged (or the body maker's, or the
    ///   error that cut a short failing body off).
    nonisolated(nonsending) func send() async throws -> Attempt {
        lastOutcome = nil
        if let body = heldBody.take() {
            await Self.discard(body, upTo: retriedBodyLimit)
        }
        attempts += 1
        do {
            var attempt = request
            if let makeBody { attempt.body = try await makeBody() }
            var response = try await client.execute(attempt, deadline: deadline, logger: logger)
            let head = HTTPResponse(response)
            if classifier.classify(head) != nil {
                if let length = Self.declaredLength(of: response, method: request.method), length <= retriedBodyLimit {
                    response.body = .bytes(try await response.body.collect(upTo: retriedBodyLimit))
                } else {
                    heldBody = response.body
                }
            }
            lastOutcome = .success(response)
            return Attempt(response: response, head: head)
        } catch {
            // An attempt cut off by cancellation (a timeout, the call's deadline, the caller) did not
            // run to its end.
            if !Task.isCancelled { lastOutcome = .failure(error) }
            throw error
        }
    }

    /// Drains or drops the body of a response no one will read, once the call is over without it.
    nonisolated(nonsending) func discardHeldBody() async {
        guard let body = heldBody.take() else { return }
        await Self.discard(body, upTo: retriedBodyLimit)
    }

    /// Lets go of the held body without reading it: it is the response handed to the caller.
    func releaseHeldBody() {
        heldBody = nil
    }

    /// Reads and forgets up to `limit` bytes of `body`. A body that ends within them leaves its
    /// connection healthy in the pool; the rest of a longer one is dropped, which makes
    /// AsyncHTTPClient cancel the request and close its connection (the pool opens another when it
    /// needs one).
    nonisolated(nonsending) static func discard(_ body: HTTPClientResponse.Body, upTo limit: Int) async {
        var received = 0
        do {
            for try await chunk in body {
                received += chunk.readableBytes
                if received > limit { return }
            }
        } catch {
            // The connection failed while draining: there is nothing left to return to the pool.
        }
    }

    /// The body length a response declares: 0 for a response to `HEAD` and for a 304 or 204, its
    /// `Content-Length` otherwise, `nil` when it has none (a chunked or close-delimited body).
    static func declaredLength(of response: HTTPClientResponse, method: HTTPMethod) -> Int? {
        if method == .HEAD || response.status == .notModified || response.status == .noContent { return 0 }
        guard let value = response.headers.first(name: "content-length") else { return nil }
        return Int(value, radix: 10).flatMap { $0 >= 0 ? $0 : nil }
    }
}

extension Optional {
    /// The value, leaving `nil` behind.
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}

#endif
