// The fuzz target: every input is read as a status code, a "now", and header fields; each parser's
// answer is checked against an independent oracle and against invariants. A failed check traps, which
// libFuzzer reports as a crash and saves the input.

import HTTPTypes
import Resilience
import ResilienceHTTP

/// Traps with `message` unless `condition` holds: a violated invariant is a crash the fuzzer keeps.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant violated: \(message())") }
}

/// The fields the fuzzer builds: the three hint fields, a name in other case, and an unrelated one.
let fieldNames: [HTTPField.Name] = ["retry-after", "retry-after-ms", "x-ms-retry-after-ms", "Retry-After", "X-Other"].compactMap {
    HTTPField.Name($0)
}

/// 2026-07-14 12:00:00 UTC, give or take what the input says.
let baseNow: Int64 = 1_784_030_400 * 1_000_000_000

/// Checks one input; libFuzzer's driver calls it with each.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 3 else { return 0 }
    let code = (Int(bytes[0]) << 8 | Int(bytes[1])) % 1_000
    // "Now" moves over about ±64 years around the base, to the nanosecond.
    let shift = Int64(Int8(bitPattern: bytes[2])) * 16_000_000_000_000_000 + Int64(bytes[0]) * 7_919
    let now = baseNow + shift
    let wallClock = WallClock.fixed(unixNanoseconds: now)

    // The rest: fields separated by NUL bytes, each a name selector byte and a value.
    var fields = HTTPFields()
    var values: [String] = []
    for chunk in bytes[3...].split(separator: 0, omittingEmptySubsequences: false) {
        guard let selector = chunk.first else { continue }
        let valueBytes = chunk.dropFirst()
        let value = String(decoding: valueBytes, as: UTF8.self)
        values.append(value)
        fields.append(HTTPField(name: fieldNames[Int(selector) % fieldNames.count], value: valueBytes))
        checkSingleValue(value, wallClock: wallClock, now: now)
    }
    checkFields(fields, wallClock: wallClock)
    checkClassification(code: code, fields: fields, wallClock: wallClock)
    checkDateRoundTrip(bytes, now: now)
    for value in values.prefix(4) {
        checkAuthority(value)
    }
    return 0
}

// MARK: - One value

/// The oracle for the number grammar: `OWS 1*DIGIT [ "." 1*DIGIT ] OWS`, as the whole and fraction
/// digits, or `nil`.
func numberParts(_ text: String) -> (whole: Substring, fraction: Substring)? {
    let trimmed = text.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
    let core = String(decoding: Array(trimmed), as: UTF8.self)
    let parts = core.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    func isDigits(_ part: Substring) -> Bool { !part.isEmpty && part.utf8.allSatisfy { (0x30...0x39).contains($0) } }
    guard let whole = parts.first, isDigits(whole) else { return nil }
    if parts.count == 2 {
        guard isDigits(parts[1]) else { return nil }
        return (whole, parts[1])
    }
    return (whole, "")
}

/// The oracle's value in nanoseconds of `unitDigits` (9 for seconds, 6 for milliseconds): the exact
/// value rounded up to the nanosecond, saturated at Int64.max.
func expectedNanoseconds(_ parts: (whole: Substring, fraction: Substring), unitDigits: Int) -> Int64 {
    let whole = parts.whole.drop { $0 == "0" }
    var fraction = Array(parts.fraction.utf8)
    let roundsUp = fraction.count > unitDigits && fraction[unitDigits...].contains { $0 != 0x30 }
    fraction = Array(fraction.prefix(unitDigits)) + Array(repeating: 0x30, count: max(0, unitDigits - fraction.count))
    // Decimal digits of the nanoseconds, compared as text with Int64.max's.
    let digits = String(whole) + String(decoding: fraction, as: UTF8.self)
    let significant = String(digits.drop { $0 == "0" })
    let maximum = String(Int64.max)
    if significant.count > maximum.count || (significant.count == maximum.count && significant > maximum) { return .max }
    let value = Int64(significant.isEmpty ? "0" : significant) ?? .max
    return roundsUp ? (value == .max ? .max : value + 1) : value
}

func checkSingleValue(_ value: String, wallClock: WallClock, now: Int64) {
    let numberParts = numberParts(value)
    let retryAfter = HTTPDelayHint(retryAfter: value, wallClock: wallClock)
    let milliseconds = HTTPDelayHint(milliseconds: value)
    if let retryAfter {
        check(retryAfter.delay >= .zero, "negative delay \(retryAfter) for \(value.debugDescription)")
        check(retryAfter.delay <= .nanoseconds(Int64.max), "delay past Int64.max for \(value.debugDescription)")
    }
    if let numberParts {
        let expected = Duration.nanoseconds(expectedNanoseconds(numberParts, unitDigits: 9))
        check(
            retryAfter == HTTPDelayHint(delay: expected, source: .retryAfterSeconds),
            "\(value.debugDescription): \(String(describing: retryAfter)), expected \(expected)")
        let expectedMilliseconds = Duration.nanoseconds(expectedNanoseconds(numberParts, unitDigits: 6))
        check(
            milliseconds?.delay == expectedMilliseconds,
            "\(value.debugDescription) ms: \(String(describing: milliseconds)), expected \(expectedMilliseconds)")
        // A value of whole seconds is its value exactly, and never below what the text says.
        if numberParts.fraction.isEmpty, let seconds = Int64(numberParts.whole), seconds < 9_223_372_036 {
            check(retryAfter?.delay == .seconds(seconds), "\(value.debugDescription) is \(seconds) s")
        }
    } else {
        check(milliseconds == nil, "\(value.debugDescription) is not a number, but gave \(String(describing: milliseconds))")
        if let retryAfter {
            check(retryAfter.source == .retryAfterDate, "\(value.debugDescription) is not a number, but gave \(retryAfter)")
        }
    }
    let date = HTTPDate(value, wallClock: wallClock)
    if let retryAfter, retryAfter.source == .retryAfterDate {
        guard let date else { fatalError("invariant violated: a date hint from \(value.debugDescription) that is not a date") }
        let remaining = Duration.seconds(date.secondsSinceEpoch) - .nanoseconds(now)
        let expected = min(max(remaining, .zero), .nanoseconds(Int64.max))
        check(retryAfter.delay == expected, "\(value.debugDescription): \(retryAfter.delay), expected \(expected)")
        // A date in the past (or now) gives zero.
        if Duration.seconds(date.secondsSinceEpoch) <= .nanoseconds(now) { check(retryAfter.delay == .zero, "past date \(date)") }
        // Never earlier than the date: now plus the delay reaches it.
        check(
            .nanoseconds(now) + retryAfter.delay >= .seconds(date.secondsSinceEpoch) || retryAfter.delay == .nanoseconds(Int64.max), "early"
        )
    } else if numberParts == nil {
        check(date == nil, "\(value.debugDescription) parses as a date but gives no hint")
    }
    if let date {
        check(HTTPDate(date.description) == date, "round trip of \(date.secondsSinceEpoch): \(date.description)")
        check(date >= .earliest && date <= .latest, "date out of range")
    }
}

// MARK: - Fields and precedence

func checkFields(_ fields: HTTPFields, wallClock: WallClock) {
    let hint = HTTPDelayHint(fields, wallClock: wallClock)
    // The oracle: each field's longest valid value; the first field in precedence order that has one.
    func longest(_ name: String, _ parse: (String) -> HTTPDelayHint?) -> HTTPDelayHint? {
        fields.filter { $0.name.canonicalName == name }.compactMap { parse($0.value) }.max { $0.delay < $1.delay }
    }
    let expected =
        longest("retry-after-ms") { HTTPDelayHint(milliseconds: $0) }
        ?? longest("x-ms-retry-after-ms") { HTTPDelayHint(milliseconds: $0, source: .msRetryAfterMilliseconds) }
        ?? longest("retry-after") { HTTPDelayHint(retryAfter: $0, wallClock: wallClock) }
    check(hint?.delay == expected?.delay, "fields: \(String(describing: hint)), expected \(String(describing: expected))")
    check(hint?.source.fieldName == expected?.source.fieldName, "fields: source \(String(describing: hint))")
}

// MARK: - Classification

func checkClassification(code: Int, fields: HTTPFields, wallClock: WallClock) {
    let response = HTTPResponse(status: HTTPResponse.Status(code: code), headerFields: fields)
    let classifier = HTTPResponseClassifier(wallClock: wallClock)
    let classification = classifier.classify(response)
    let hint = HTTPDelayHint(fields, wallClock: wallClock)?.delay
    if let classification {
        check(classification.category != .cancellation, "\(code) classified as cancellation")
        check((classification.retryAfter ?? .zero) >= .zero, "\(code): negative hint")
    }
    switch code {
    case 100...399:
        check(classification == nil, "\(code) is a success, got \(String(describing: classification))")
    case 429:
        check(classification == .rateLimited(retryAfter: hint), "429: \(String(describing: classification))")
    case 503:
        check(classification == (hint.map { .rateLimited(retryAfter: $0) } ?? .transient), "503: \(String(describing: classification))")
    case 408, 500, 502, 504:
        check(classification == ErrorClassification(.transient, retryAfter: hint), "\(code): \(String(describing: classification))")
    case 400...499, 501, 505, 506, 508, 510, 511:
        check(classification == .permanent, "\(code): \(String(describing: classification))")
    case 500...599:
        check(classification == ErrorClassification(.transient, retryAfter: hint), "\(code): \(String(describing: classification))")
    default:
        check(classification == .permanent, "\(code): \(String(describing: classification))")
    }
    // A rule for this code wins, and its failure takes the hint.
    let ruled = classifier.addingRule { $0.status.code == code ? .failure(.transient) : nil }.classify(response)
    check(ruled == ErrorClassification(.transient, retryAfter: hint), "rule for \(code): \(String(describing: ruled))")
}

// MARK: - Dates written and read back

let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
let shortDayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

/// A date from the input's last 8 bytes, written in the three forms, read back.
func checkDateRoundTrip(_ bytes: [UInt8], now: Int64) {
    let raw = bytes.suffix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    let date = HTTPDate(secondsSinceEpoch: raw % 400_000_000_000)
    let imf = date.description  // "Sun, 06 Nov 1994 08:49:37 GMT"
    check(HTTPDate(imf) == date, "IMF-fixdate round trip: \(imf)")
    let parts = imf.split(separator: " ")
    guard parts.count == 6, let dayIndex = shortDayNames.firstIndex(of: String(parts[0].dropLast())) else {
        fatalError("invariant violated: malformed IMF-fixdate \(imf)")
    }
    let day = parts[1]
    let month = parts[2]
    let year = parts[3]
    let time = parts[4]
    // asctime: "Sun Nov  6 08:49:37 1994"
    let paddedDay = day.first == "0" ? " " + day.dropFirst() : String(day)
    let asctime = "\(shortDayNames[dayIndex]) \(month) \(paddedDay) \(time) \(year)"
    check(HTTPDate(asctime) == date, "asctime round trip: \(asctime) for \(imf)")
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT", when the year is the one its two digits resolve to.
    let rfc850 = "\(longDayNames[dayIndex]), \(day)-\(month)-\(year.suffix(2)) \(time) GMT"
    let wallClock = WallClock.fixed(unixNanoseconds: now)
    let nowYear = Int(HTTPDate(secondsSinceEpoch: now / 1_000_000_000).description.split(separator: " ")[3]) ?? 0
    if let fullYear = Int(year), fullYear <= nowYear + 50, fullYear > nowYear - 50 {
        check(HTTPDate(rfc850, wallClock: wallClock) == date, "RFC 850 round trip: \(rfc850) for \(imf) in \(nowYear)")
    } else if let parsed = HTTPDate(rfc850, wallClock: wallClock) {
        check(parsed != date, "RFC 850 year outside the window resolved to it: \(rfc850)")
    }
}

// MARK: - Authorities

func checkAuthority(_ text: String) {
    let authority = HTTPAuthority(scheme: "https", authority: text)
    let again = HTTPAuthority(scheme: authority.scheme, host: authority.host, port: authority.port)
    check(again == authority, "normalising \(text.debugDescription) twice: \(authority) then \(again)")
    check(authority.port.map { (0...65_535).contains($0) } ?? true, "port out of range for \(text.debugDescription)")
}
