import HTTPTypes
import Resilience
import ResilienceHTTP
import ResilienceTestKit
import Testing

@Suite("Delay hints: Retry-After, retry-after-ms, x-ms-retry-after-ms")
struct HTTPDelayHintTests {
    @Test(
        "Retry-After delta-seconds, exact",
        arguments: [
            ("120", Duration.seconds(120)), ("0", .zero), ("007", .seconds(7)), (" 5 ", .seconds(5)), ("\t3", .seconds(3)),
            ("1.5", .milliseconds(1_500)), ("0.000000001", .nanoseconds(1)), ("2.25", .milliseconds(2_250)),
        ]
    )
    func deltaSeconds(value: String, expected: Duration) {
        let hint = HTTPDelayHint(retryAfter: value, wallClock: fixedNow)
        #expect(hint == HTTPDelayHint(delay: expected, source: .retryAfterSeconds))
    }

    @Test("A fraction finer than a nanosecond rounds up, never down")
    func fractionRoundsUp() {
        #expect(HTTPDelayHint(retryAfter: "0.0000000001")?.delay == .nanoseconds(1))
        #expect(HTTPDelayHint(retryAfter: "1.0000000010")?.delay == .nanoseconds(1_000_000_001))
        #expect(HTTPDelayHint(retryAfter: "1.0000000000")?.delay == .seconds(1))
        #expect(HTTPDelayHint(milliseconds: "0.0000001")?.delay == .nanoseconds(1))
        #expect(HTTPDelayHint(milliseconds: "1.0000001")?.delay == .nanoseconds(1_000_001))
    }

    @Test(
        "Milliseconds, exact",
        arguments: [("1500", Duration.milliseconds(1_500)), ("0", .zero), ("20", .milliseconds(20)), ("2.5", .microseconds(2_500))]
    )
    func milliseconds(value: String, expected: Duration) {
        #expect(HTTPDelayHint(milliseconds: value) == HTTPDelayHint(delay: expected, source: .retryAfterMilliseconds))
        #expect(HTTPDelayHint(milliseconds: value, source: .msRetryAfterMilliseconds)?.source == .msRetryAfterMilliseconds)
    }

    @Test(
        "Garbage, signs, exponents, units, lists and empty values are ignored",
        arguments: [
            "", " ", "-5", "+5", "-0", "1e3", "5s", "5 s", "1.", ".5", "1..5", "1.5.2", "1 2", "120, 60", "soon", "0x10", "١٢",
            "NaN", "inf", "12\u{0}", "Tue, 14 Jul 2026", "--1",
        ]
    )
    func garbageIsIgnored(value: String) {
        #expect(HTTPDelayHint(retryAfter: value, wallClock: fixedNow) == nil)
        #expect(HTTPDelayHint(milliseconds: value) == nil)
    }

    @Test(
        "Huge values of any length saturate at Int64.max nanoseconds instead of overflowing",
        arguments: ["9223372036", "9223372037", "99999999999999999999", String(repeating: "9", count: 10_000), "18446744073709551616.5"]
    )
    func hugeValuesSaturate(value: String) throws {
        let hint = try #require(HTTPDelayHint(retryAfter: value))
        #expect(hint.delay >= .seconds(9_223_372_036))
        #expect(hint.delay <= .nanoseconds(Int64.max))
        #expect(HTTPDelayHint(milliseconds: value + "000000000")?.delay == .nanoseconds(Int64.max))
    }

    @Test("The largest exact value: Int64.max nanoseconds")
    func largestExactValue() {
        #expect(HTTPDelayHint(retryAfter: "9223372036.854775807")?.delay == .nanoseconds(Int64.max))
        #expect(HTTPDelayHint(retryAfter: "9223372036.854775806")?.delay == .nanoseconds(Int64.max - 1))
        #expect(HTTPDelayHint(retryAfter: "9223372036.854775808")?.delay == .nanoseconds(Int64.max))
    }

    @Test(
        "Retry-After HTTP-dates in all three forms, relative to a fixed now",
        arguments: [
            ("Tue, 14 Jul 2026 12:00:20 GMT", Duration.seconds(20)),  // IMF-fixdate
            ("Tuesday, 14-Jul-26 12:00:20 GMT", .seconds(20)),  // RFC 850
            ("Tue Jul 14 12:00:20 2026", .seconds(20)),  // asctime
            ("Wed Jul 15 12:00:00 2026", .seconds(86_400)),
            ("Sat Aug  1 12:00:00 2026", .seconds(18 * 86_400)),  // asctime's space-padded day
            ("tue, 14 jul 2026 13:00:00 gmt", .seconds(3_600)),  // any case
            ("  Tue, 14 Jul 2026 12:01:00 GMT  ", .seconds(60)),  // whitespace around
            ("Tue, 14 Jul 2026 12:00:00 GMT", .zero),  // now
            ("Sun, 06 Nov 1994 08:49:37 GMT", .zero),  // the past
            ("Thu, 31 Dec 2026 23:59:60 GMT", .seconds(14_731_200)),  // a leap second
        ]
    )
    func httpDates(value: String, expected: Duration) {
        let hint = HTTPDelayHint(retryAfter: value, wallClock: fixedNow)
        #expect(hint == HTTPDelayHint(delay: expected, source: .retryAfterDate))
    }

    @Test("A date is measured to the nanosecond of the wall clock, so the retry is never early")
    func dateAgainstAFractionalNow() {
        let now = WallClock.fixed(unixNanoseconds: tuesdayNoon + 250_000_000)
        #expect(HTTPDelayHint(retryAfter: "Tue, 14 Jul 2026 12:00:20 GMT", wallClock: now)?.delay == .milliseconds(19_750))
    }

    @Test("A date centuries ahead is a hint of centuries, saturated at Int64.max nanoseconds")
    func farFutureDate() throws {
        let hint = try #require(HTTPDelayHint(retryAfter: "Fri, 31 Dec 9999 23:59:59 GMT", wallClock: fixedNow))
        #expect(hint.delay == .nanoseconds(Int64.max))
        #expect(hint.source == .retryAfterDate)
    }

    @Test(
        "Invalid dates are ignored",
        arguments: [
            "Tue, 30 Feb 2026 12:00:00 GMT", "Tue, 29 Feb 2026 12:00:00 GMT", "Tue, 14 Jul 2026 24:00:00 GMT",
            "Tue, 14 Jul 2026 12:60:00 GMT", "Tue, 14 Jul 2026 12:00:61 GMT", "Tue, 14 Jul 2026 12:00:00 UTC",
            "Tue, 14 Jul 2026 12:00:00 +0000", "Tue, 14 Jul 2026 12:00:00", "Tue, 14 Jul 26 12:00:00 GMT", "Tue, 14 Jly 2026 12:00:00 GMT",
            "Tux, 14 Jul 2026 12:00:00 GMT", "Tue 14 Jul 2026 12:00:00 GMT", "Tue, 14 Jul 2026 12:0:00 GMT",
            "Tue, 00 Jul 2026 12:00:00 GMT",
            "Tue, 14 Jul 2026 12:00:00 GMT x", "Tuesday, 14-Jul-2026 12:00:00 GMT", "Tue Jul 14 12:00:00 26",
            "Tue Jul 14 12:00:00 2026 GMT",
            "Tue, 14 Jul 2026 12:00:00 GMTX", "Tue, 123 Jul 2026 12:00:00 GMT", "Tue,14 Jul 2026 12:00:00 GMT",
        ]
    )
    func invalidDates(value: String) {
        #expect(HTTPDelayHint(retryAfter: value, wallClock: fixedNow) == nil)
        #expect(HTTPDate(value, wallClock: fixedNow) == nil)
    }

    @Test("Leap years: 29 February exists in 2000 and 2028, not in 1900 or 2026")
    func leapYears() {
        #expect(HTTPDate("Tue, 29 Feb 2000 00:00:00 GMT")?.secondsSinceEpoch == 951_782_400)
        #expect(HTTPDate("Tue, 29 Feb 2028 00:00:00 GMT") != nil)
        #expect(HTTPDate("Tue, 29 Feb 1900 00:00:00 GMT") == nil)
        #expect(HTTPDate("Tue, 29 Feb 2026 00:00:00 GMT") == nil)
    }

    @Test("The three forms of RFC 9110's example are the same instant")
    func rfcExample() {
        let forms = ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"]
        for form in forms {
            #expect(HTTPDate(form, wallClock: fixedNow)?.secondsSinceEpoch == 784_111_777, "\(form)")
        }
    }

    @Test(
        "An RFC 850 year is the latest with its two digits at most 50 years after the current one",
        arguments: [("94", 1994), ("26", 2026), ("76", 2076), ("77", 1977), ("00", 2000), ("99", 1999)]
    )
    func rfc850Years(digits: String, year: Int) throws {
        let date = try #require(HTTPDate("Thursday, 01-Jan-\(digits) 00:00:00 GMT", wallClock: fixedNow))
        #expect(date == HTTPDate("Thu, 01 Jan \(year) 00:00:00 GMT"))
    }

    @Test("HTTPDate writes the IMF-fixdate, which parses back to the same date")
    func httpDateRoundTrip() throws {
        let date = try #require(HTTPDate("Sunday, 06-Nov-94 08:49:37 GMT", wallClock: fixedNow))
        #expect(date.description == "Sun, 06 Nov 1994 08:49:37 GMT")
        for seconds: Int64 in [0, -1, 784_111_777, 951_782_400, -62_167_219_200, 253_402_300_799, 1_784_030_400] {
            let date = HTTPDate(secondsSinceEpoch: seconds)
            #expect(HTTPDate(date.description) == date, "\(date)")
        }
        #expect(HTTPDate(secondsSinceEpoch: 0).description == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate(secondsSinceEpoch: -1).description == "Wed, 31 Dec 1969 23:59:59 GMT")
        #expect(HTTPDate.earliest.description == "Sat, 01 Jan 0000 00:00:00 GMT")
        #expect(HTTPDate.latest.description == "Fri, 31 Dec 9999 23:59:59 GMT")
    }

    @Test("HTTPDate clamps to the years four digits write")
    func httpDateClamps() {
        #expect(HTTPDate(secondsSinceEpoch: .max) == .latest)
        #expect(HTTPDate(secondsSinceEpoch: .min) == .earliest)
        #expect(HTTPDate.earliest.secondsSinceEpoch == -62_167_219_200)
        #expect(HTTPDate.latest.secondsSinceEpoch == 253_402_300_799)
    }

    // MARK: - Fields and precedence

    @Test(
        "Precedence: retry-after-ms, then x-ms-retry-after-ms, then Retry-After",
        arguments: [
            (
                [("Retry-After", "2"), ("retry-after-ms", "1500"), ("x-ms-retry-after-ms", "1700")],
                HTTPDelayHint.Source.retryAfterMilliseconds, Duration.milliseconds(1_500)
            ),
            ([("Retry-After", "2"), ("x-ms-retry-after-ms", "1700")], .msRetryAfterMilliseconds, .milliseconds(1_700)),
            ([("Retry-After", "2")], .retryAfterSeconds, .seconds(2)),
            ([("Retry-After", "Tue, 14 Jul 2026 12:00:05 GMT")], .retryAfterDate, .seconds(5)),
            // An invalid field is skipped as if absent.
            ([("Retry-After", "2"), ("retry-after-ms", "soon")], .retryAfterSeconds, .seconds(2)),
            (
                [("Retry-After", "later"), ("x-ms-retry-after-ms", "-1"), ("retry-after-ms", "40")], .retryAfterMilliseconds,
                .milliseconds(40)
            ),
            // Field names in any case.
            ([("RETRY-AFTER-MS", "40")], .retryAfterMilliseconds, .milliseconds(40)),
        ]
    )
    func precedence(fields: [(String, String)], source: HTTPDelayHint.Source, delay: Duration) {
        let hint = HTTPDelayHint(response(429, fields).headerFields, wallClock: fixedNow)
        #expect(hint == HTTPDelayHint(delay: delay, source: source))
    }

    @Test("A field sent more than once counts with its longest valid value")
    func repeatedFields() {
        let fields = response(503, [("Retry-After", "5"), ("Retry-After", "30"), ("Retry-After", "junk"), ("Retry-After", "10")])
            .headerFields
        #expect(HTTPDelayHint(fields, wallClock: fixedNow) == HTTPDelayHint(delay: .seconds(30), source: .retryAfterSeconds))
        let dates = response(503, [("Retry-After", "Tue, 14 Jul 2026 12:01:00 GMT"), ("Retry-After", "20")]).headerFields
        #expect(HTTPDelayHint(dates, wallClock: fixedNow) == HTTPDelayHint(delay: .seconds(60), source: .retryAfterDate))
        let milliseconds = response(429, [("retry-after-ms", "100"), ("retry-after-ms", "250")]).headerFields
        #expect(HTTPDelayHint(milliseconds, wallClock: fixedNow)?.delay == .milliseconds(250))
    }

    @Test("No hint fields, or only invalid ones: no hint")
    func noHint() {
        #expect(HTTPDelayHint(HTTPFields(), wallClock: fixedNow) == nil)
        #expect(HTTPDelayHint(response(503, [("Retry-After", "-1"), ("retry-after-ms", "")]).headerFields, wallClock: fixedNow) == nil)
        #expect(HTTPDelayHint(response(503, [("Retry-After-Seconds", "5")]).headerFields, wallClock: fixedNow) == nil)
    }

    @Test("A hint reads the wall clock only for a date")
    func wallClockReadOnlyForDates() {
        let reads = ScriptedReads()
        let clock = WallClock { reads.read() }
        _ = HTTPDelayHint(response(429, [("Retry-After", "20"), ("retry-after-ms", "5")]).headerFields, wallClock: clock)
        #expect(reads.count == 0)
        _ = HTTPDelayHint(retryAfter: "Tue, 14 Jul 2026 12:00:20 GMT", wallClock: clock)
        #expect(reads.count == 1)
    }

    @Test("Negative hints given directly count as zero")
    func negativeHintsClamp() {
        #expect(HTTPDelayHint(delay: .seconds(-3), source: .retryAfterSeconds).delay == .zero)
        #expect(HTTPDelayHint(delay: .seconds(Int64.max), source: .retryAfterSeconds).delay == .nanoseconds(Int64.max))
    }

    @Test("Sources name their field and form")
    func sources() {
        #expect(HTTPDelayHint.Source.retryAfterMilliseconds.fieldName == "retry-after-ms")
        #expect(HTTPDelayHint.Source.msRetryAfterMilliseconds.fieldName == "x-ms-retry-after-ms")
        #expect(HTTPDelayHint.Source.retryAfterDate.description == "retry-after (date)")
        #expect(HTTPDelayHint.Source.retryAfterSeconds.description == "retry-after (seconds)")
    }
}

/// Counts the reads of a wall clock.
final class ScriptedReads: Sendable {
    private let counter = ScriptedOperation<Int64>((0..<100).map { _ in .succeed(tuesdayNoon) })

    func read() -> Int64 { (try? counter.next()) ?? tuesdayNoon }

    var count: Int { counter.callCount }
}
