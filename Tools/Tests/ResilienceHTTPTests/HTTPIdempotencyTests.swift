import HTTPTypes
import Resilience
import ResilienceHTTP
import ResilienceTestKit
import Testing

@Suite("Idempotency: which requests are retried, and why a retry was refused")
struct HTTPIdempotencyTests {
    func makeRetry(
        _ clock: ManualClock, observer: RecordingObserver? = nil, idempotency: HTTPIdempotencyPolicy = .default
    ) throws
        -> HTTPRetry<ManualClock>
    {
        HTTPRetry(
            try plainPolicy(), clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), idempotency: idempotency,
            observer: observer)
    }

    @Test(
        "GET, HEAD, OPTIONS, TRACE, PUT and DELETE are retried",
        arguments: [HTTPRequest.Method.get, .head, .options, .trace, .put, .delete])
    func idempotentMethodsRetried(method: HTTPRequest.Method) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let server = script(response(503), response(200))
        let result = try await makeRetry(clock).execute(request(method)) { _ in try await server() }
        #expect(result.status == .ok)
        #expect(server.callCount == 2)
    }

    @Test(
        "POST, PATCH and other methods are sent once, and the refusal says why",
        arguments: [HTTPRequest.Method.post, .patch, .connect, .query, HTTPRequest.Method("LOCK")].compactMap { $0 }
    )
    func otherMethodsRefused(method: HTTPRequest.Method) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let server = script(response(503), response(200))
        let result = try await makeRetry(clock, observer: recorder).execute(request(method)) { _ in try await server() }
        #expect(result.status == .serviceUnavailable)
        #expect(server.callCount == 1)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.kinds == [.resultRejected, .retriesEnded])
        #expect(recorder.stopReasons == [.notIdempotent])
        #expect(recorder.events.last?.attempt == 1)
        #expect(recorder.events.first?.classification == .transient)
    }

    @Test("A POST or PATCH with an Idempotency-Key is retried", arguments: [HTTPRequest.Method.post, .patch])
    func idempotencyKeyAllowsRetries(method: HTTPRequest.Method) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let server = script(response(429, [("Retry-After", "2")]), response(201))
        let keyed = request(method, fields: [("Idempotency-Key", "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"")])
        let result = try await makeRetry(clock).execute(keyed) { _ in try await server() }
        #expect(result.status == .created)
        #expect(clock.requestedSleeps == [.seconds(2)])
    }

    @Test("The caller opts a POST in, or a GET out, for one call")
    func callerOverrides() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let retry = try makeRetry(clock, observer: recorder)
        let post = script(response(502), response(200))
        let posted = try await retry.execute(request(.post), options: HTTPCallOptions(idempotent: true)) { _ in try await post() }
        #expect(posted.status == .ok)
        let get = script(response(502), response(200))
        let got = try await retry.execute(request(.get), options: HTTPCallOptions(idempotent: false)) { _ in try await get() }
        #expect(got.status == .badGateway)
        #expect(get.callCount == 1)
        #expect(recorder.stopReasons == [.notIdempotent])
    }

    @Test("A body that cannot be re-sent is never retried, whatever the method, and says so")
    func bodyNotReplayable() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let server = script(response(503), response(200))
        let options = HTTPCallOptions(idempotent: true, bodyIsReplayable: false)
        let result = try await makeRetry(clock, observer: recorder).execute(request(.put), options: options) { _ in try await server() }
        #expect(result.status == .serviceUnavailable)
        #expect(server.callCount == 1)
        #expect(recorder.stopReasons == [.bodyNotReplayable])
    }

    @Test("A refused request's error is rethrown unchanged, with the reason reported")
    func refusedErrorRethrown() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let reset = ClassifiedError(name: "reset", category: .connectionFailure)
        let server = ScriptedOperation<HTTPResponse>([.fail(reset), .succeed(response(200))])
        await #expect(throws: reset) {
            try await makeRetry(clock, observer: recorder).execute(request(.post)) { _ in try await server() }
        }
        #expect(server.callCount == 1)
        #expect(recorder.kinds == [.attemptFailed, .retriesEnded])
        #expect(recorder.stopReasons == [.notIdempotent])
        #expect(recorder.events.last?.error as? ClassifiedError == reset)
    }

    @Test("A refused request whose failure would not have been retried anyway reports the retry's own reason")
    func refusalOnlyForRetryableFailures() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let retry = try makeRetry(clock, observer: recorder)
        let notFound = script(response(404))
        _ = try await retry.execute(request(.post)) { _ in try await notFound() }
        let invalid = ClassifiedError(name: "invalid", category: .permanent)
        let failing = ScriptedOperation<HTTPResponse>([.fail(invalid)])
        await #expect(throws: invalid) { try await retry.execute(request(.post)) { _ in try await failing() } }
        let single = HTTPRetry(try plainPolicy(maxAttempts: 1), clock: clock, observer: recorder)
        let unavailable = script(response(503))
        _ = try await single.execute(request(.post)) { _ in try await unavailable() }
        #expect(recorder.stopReasons == [.notRetryable, .notRetryable, .attemptsExhausted])
    }

    @Test("A refused request that succeeds reports a plain success")
    func refusedSuccess() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let server = script(response(201))
        let result = try await makeRetry(clock, observer: recorder).execute(request(.post)) { _ in try await server() }
        #expect(result.status == .created)
        #expect(recorder.kinds == [.attemptSucceeded])
    }

    @Test("A call's own observer hears its events, and reads the refusal")
    func perCallObserver() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let strategyObserver = RecordingObserver()
        let callObserver = RecordingObserver()
        let retry = try makeRetry(clock, observer: strategyObserver)
        let server = script(response(503))
        _ = try await retry.execute(request(.post), options: HTTPCallOptions(observer: callObserver)) { _ in try await server() }
        let other = script(response(200))
        _ = try await retry.execute(request(.get)) { _ in try await other() }
        #expect(callObserver.stopReasons == [.notIdempotent])
        #expect(callObserver.kinds == [.resultRejected, .retriesEnded])
        #expect(strategyObserver.kinds == [.resultRejected, .retriesEnded, .attemptSucceeded])
    }

    @Test("A call's own classifier replaces the strategy's")
    func perCallClassifier() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let retry = try makeRetry(clock)
        let conflictIsTransient = HTTPResponseClassifier(wallClock: fixedNow).addingRule {
            $0.status == .conflict ? .failure(.transient) : nil
        }
        let server = script(response(409), response(200))
        let result = try await retry.execute(request(), options: HTTPCallOptions(classifier: conflictIsTransient)) { _ in try await server()
        }
        #expect(result.status == .ok)
        let plain = script(response(409), response(200))
        #expect(try await retry.execute(request()) { _ in try await plain() }.status == .conflict)
    }

    @Test("A policy can make POST idempotent, or honour no key at all")
    func policies() {
        var posts = HTTPIdempotencyPolicy.default
        posts.idempotentMethods.insert(.post)
        #expect(posts.allowsRetries(of: request(.post)))
        #expect(!HTTPIdempotencyPolicy.default.allowsRetries(of: request(.post)))
        let keyed = request(.post, fields: [("idempotency-key", "abc")])
        #expect(HTTPIdempotencyPolicy.default.allowsRetries(of: keyed))
        let noKeys = HTTPIdempotencyPolicy(idempotencyKeyField: nil)
        #expect(!noKeys.allowsRetries(of: keyed))
        let otherKey = HTTPIdempotencyPolicy(idempotencyKeyField: HTTPField.Name("X-Request-Id"))
        #expect(otherKey.allowsRetries(of: request(.patch, fields: [("x-request-id", "1")])))
        #expect(!otherKey.allowsRetries(of: keyed))
        #expect(HTTPIdempotencyPolicy.defaultIdempotentMethods == [.get, .head, .options, .trace, .put, .delete])
    }

    @Test("The refusal's reason: the body first, then the caller, then the policy")
    func refusalOrder() {
        let policy = HTTPIdempotencyPolicy.default
        #expect(policy.refusal(for: request(.get), options: HTTPCallOptions()) == nil)
        #expect(policy.refusal(for: request(.post), options: HTTPCallOptions()) == .notIdempotent)
        #expect(policy.refusal(for: request(.post), options: HTTPCallOptions(idempotent: true)) == nil)
        #expect(policy.refusal(for: request(.get), options: HTTPCallOptions(idempotent: false)) == .notIdempotent)
        #expect(
            policy.refusal(for: request(.get), options: HTTPCallOptions(idempotent: true, bodyIsReplayable: false)) == .bodyNotReplayable)
    }

    @Test("A caller already cancelled gets CancellationError and nothing is sent")
    func cancelledCaller() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let retry = try makeRetry(clock)
        let server = script(response(200))
        let call = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await retry.execute(request(.post)) { _ in try await server() }
        }
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(server.callCount == 0)
    }

    @Test("A request sent once still counts as a request with the retry budget, as in the core retry")
    func refusedRequestsCountWithTheBudget() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let budget = try RetryBudget.ratio(0.1, window: .seconds(10), minimumRetries: 0, clock: clock)
        let retry = HTTPRetry(try plainPolicy(), clock: clock, budget: budget)
        let server = script(response(503))
        _ = try await retry.execute(request(.post)) { _ in try await server() }
        #expect(budget.snapshot.requestsInWindow == 1)
        #expect(budget.snapshot.retriesInWindow == 0)
    }
}
