import Benchmark
import HTTPTypes
import Resilience
import ResilienceHTTP

/// ResilienceHTTP: classifying responses and parsing each delay-hint form. Delta-seconds and
/// milliseconds parse without allocating; so does classifying a success or a failure without a date.
func httpBenchmarks() {
    let now = WallClock.fixed(unixNanoseconds: 1_784_030_400 * 1_000_000_000)
    let classifier = HTTPResponseClassifier(wallClock: now)
    func response(_ code: Int, _ fields: [(HTTPField.Name?, String)]) -> HTTPResponse {
        var headerFields: HTTPFields = [.contentType: "application/json", .contentLength: "512", .date: "Tue, 14 Jul 2026 12:00:00 GMT"]
        for case (let name?, let value) in fields { headerFields.append(HTTPField(name: name, value: value)) }
        return HTTPResponse(status: HTTPResponse.Status(code: code), headerFields: headerFields)
    }
    let ok = response(200, [])
    let unavailable = response(503, [])
    let rateLimitedSeconds = response(429, [(.retryAfter, "120")])
    let rateLimitedMilliseconds = response(429, [(HTTPField.Name("retry-after-ms"), "1500"), (.retryAfter, "2")])
    let unavailableUntil = response(503, [(.retryAfter, "Tue, 14 Jul 2026 12:00:20 GMT")])
    let deltaSeconds = "120"
    let milliseconds = "1500"
    let imfFixdate = "Tue, 14 Jul 2026 12:00:20 GMT"
    let rfc850 = "Tuesday, 14-Jul-26 12:00:20 GMT"
    let asctime = "Tue Jul 14 12:00:20 2026"

    Benchmark("HTTP: classify a 200") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(classifier.classify(ok))
        }
    }

    Benchmark("HTTP: classify a 503 without a hint") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(classifier.classify(unavailable))
        }
    }

    Benchmark("HTTP: classify a 429 with Retry-After: 120") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(classifier.classify(rateLimitedSeconds))
        }
    }

    Benchmark("HTTP: classify a 429 with retry-after-ms and Retry-After") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(classifier.classify(rateLimitedMilliseconds))
        }
    }

    Benchmark("HTTP: classify a 503 with a Retry-After date") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(classifier.classify(unavailableUntil))
        }
    }

    Benchmark("HTTP: parse Retry-After delta-seconds") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HTTPDelayHint(retryAfter: deltaSeconds, wallClock: now))
        }
    }

    Benchmark("HTTP: parse retry-after-ms") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HTTPDelayHint(milliseconds: milliseconds))
        }
    }

    Benchmark("HTTP: parse Retry-After IMF-fixdate") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HTTPDelayHint(retryAfter: imfFixdate, wallClock: now))
        }
    }

    Benchmark("HTTP: parse Retry-After RFC 850 date") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HTTPDelayHint(retryAfter: rfc850, wallClock: now))
        }
    }

    Benchmark("HTTP: parse Retry-After asctime date") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HTTPDelayHint(retryAfter: asctime, wallClock: now))
        }
    }
}
