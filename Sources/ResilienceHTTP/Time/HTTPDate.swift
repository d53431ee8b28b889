#if HTTP

/// A point in time as HTTP writes it, to the second: `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// Parsing accepts the three forms RFC 9110 §5.6.7 requires recipients to accept:
///
/// | form | example |
/// |---|---|
/// | IMF-fixdate (the one senders use) | `Sun, 06 Nov 1994 08:49:37 GMT` |
/// | RFC 850 (obsolete) | `Sunday, 06-Nov-94 08:49:37 GMT` |
/// | asctime (obsolete) | `Sun Nov  6 08:49:37 1994` |
///
/// It is hand-written, needs no Foundation and never allocates. It is lenient where leniency cannot
/// make a retry early: names in any case, optional whitespace around the value, a one-digit day. The
/// day name must be a day name but is not checked against the date. It is strict about the rest: a
/// month, day, hour, minute or second out of range (`Feb 30`, `24:00:00`; a second of 60, a leap
/// second, is accepted), another time zone than `GMT`, or anything after the date, and the value is
/// not a date. An RFC 850 date's two-digit year is the latest year with those digits at most 50
/// years after the current year (RFC 9110: "more than 50 years in the future" means the past).
///
/// ``description`` writes the IMF-fixdate, which parses back to the same date.
public struct HTTPDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Whole seconds since the Unix epoch (1970-01-01 00:00:00 UTC); negative before it.
    public let secondsSinceEpoch: Int64

    /// The earliest date this type represents: 0000-01-01 00:00:00 UTC.
    public static let earliest = HTTPDate(exactly: CivilDate.days(year: 0, month: 1, day: 1) * 86_400)
    /// The latest date this type represents: 9999-12-31 23:59:59 UTC, the last a four-digit year writes.
    public static let latest = HTTPDate(exactly: CivilDate.days(year: 10_000, month: 1, day: 1) * 86_400 - 1)

    private init(exactly secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    /// The date `secondsSinceEpoch` seconds after the Unix epoch, clamped to ``earliest``...``latest``.
    ///
    /// - Parameter secondsSinceEpoch: Seconds since 1970-01-01 00:00:00 UTC.
    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = min(max(secondsSinceEpoch, Self.earliest.secondsSinceEpoch), Self.latest.secondsSinceEpoch)
    }

    /// Parses an HTTP-date in any of its three forms.
    ///
    /// - Parameters:
    ///   - text: A field value such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    ///   - wallClock: The current time, read only for an RFC 850 date, whose two-digit year is resolved
    ///     relative to the current year.
    /// - Returns: The date, or `nil` when `text` is not an HTTP-date.
    public init?(_ text: String, wallClock: WallClock = .system) {
        guard let seconds = Self.parse(text.utf8, wallClock: wallClock) else { return nil }
        self.init(exactly: seconds)
    }

    /// The date as an IMF-fixdate, such as `Sun, 06 Nov 1994 08:49:37 GMT`.
    public var description: String {
        let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400
        let secondOfDay = Int(secondsSinceEpoch - days * 86_400)
        let (year, month, day) = CivilDate.date(days: days)
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        var yearText = "\(year)"
        while yearText.utf8.count < 4 { yearText = "0" + yearText }
        return "\(Self.shortDayNames[CivilDate.weekday(days: days)]), \(twoDigits(day)) \(Self.monthNames[month - 1]) \(yearText) "
            + "\(twoDigits(secondOfDay / 3_600)):\(twoDigits(secondOfDay / 60 % 60)):\(twoDigits(secondOfDay % 60)) GMT"
    }

    /// Whether `lhs` is earlier than `rhs`.
    public static func < (lhs: HTTPDate, rhs: HTTPDate) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    // MARK: - Parsing

    private static let shortDayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static let packedShortDayNames: [UInt64] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"].map { pack($0) }
    private static let packedLongDayNames: [UInt64] =
        ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].map { pack($0) }
    private static let packedMonthNames: [UInt64] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map { pack($0) }
    private static let packedGMT = pack("gmt")

    /// `word` packed as `ByteCursor.word()` packs it (the word is ASCII letters).
    private static func pack(_ word: String) -> UInt64 {
        word.utf8.reduce(0) { $0 << 5 | UInt64(($1 | 0x20) &- UInt8(ascii: "a") &+ 1) }
    }

    /// The seconds since the epoch of the HTTP-date in `bytes`, or `nil` when it is not one.
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, wallClock: WallClock) -> Int64? {
        var cursor = ByteCursor(bytes)
        cursor.skipOptionalWhitespace()
        guard let name = cursor.word() else { return nil }
        let isShortDay = packedShortDayNames.contains(name)
        guard isShortDay || packedLongDayNames.contains(name) else { return nil }
        let fields: Fields?
        if cursor.consume(.comma) {
            // IMF-fixdate ("Sun, 06 Nov 1994") or RFC 850 ("Sunday, 06-Nov-94"), told apart by what
            // follows the day; either day name is accepted with either.
            guard cursor.consume(.space), let day = cursor.digits(minimum: 1, maximum: 2) else { return nil }
            if cursor.consume(.space) {
                fields = imfFixdate(day: day, &cursor)
            } else if cursor.consume(.hyphen) {
                fields = rfc850(day: day, &cursor, wallClock: wallClock)
            } else {
                return nil
            }
        } else if isShortDay, cursor.consume(.space) {
            fields = asctime(&cursor)
        } else {
            return nil
        }
        guard let fields else { return nil }
        cursor.skipOptionalWhitespace()
        guard cursor.isAtEnd else { return nil }
        return fields.secondsSinceEpoch
    }

    /// The parts of a date, checked.
    private struct Fields {
        var year: Int
        var month: Int  // 1...12
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int

        /// The fields if each is in range, else `nil`.
        static func checked(year: Int, month: Int, day: Int, time: (hour: Int, minute: Int, second: Int)) -> Fields? {
            guard (0...9_999).contains(year), (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(month, year: year),
                time.hour <= 23, time.minute <= 59, time.second <= 60
            else { return nil }
            return Fields(year: year, month: month, day: day, hour: time.hour, minute: time.minute, second: time.second)
        }

        var secondsSinceEpoch: Int64 {
            CivilDate.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
        }
    }

    /// The rest of an IMF-fixdate after its day and a space: `Nov 1994 08:49:37 GMT`.
    private static func imfFixdate<Bytes>(day: Int, _ cursor: inout ByteCursor<Bytes>) -> Fields? {
        guard let month = month(&cursor), cursor.consume(.space), let year = cursor.digits(minimum: 4, maximum: 4),
            cursor.consume(.space), let time = timeOfDay(&cursor), cursor.consume(.space), cursor.word() == packedGMT
        else { return nil }
        return Fields.checked(year: year, month: month, day: day, time: time)
    }

    /// The rest of an RFC 850 date after its day and a hyphen: `Nov-94 08:49:37 GMT`.
    private static func rfc850<Bytes>(day: Int, _ cursor: inout ByteCursor<Bytes>, wallClock: WallClock) -> Fields? {
        guard let month = month(&cursor), cursor.consume(.hyphen), let twoDigitYear = cursor.digits(minimum: 2, maximum: 2),
            cursor.consume(.space), let time = timeOfDay(&cursor), cursor.consume(.space), cursor.word() == packedGMT
        else { return nil }
        return Fields.checked(year: resolve(twoDigitYear: twoDigitYear, wallClock: wallClock), month: month, day: day, time: time)
    }

    /// The rest of an asctime date after its day name and a space: `Nov  6 08:49:37 1994`.
    private static func asctime<Bytes>(_ cursor: inout ByteCursor<Bytes>) -> Fields? {
        guard let month = month(&cursor), cursor.consume(.space) else { return nil }
        // The day is two digits or a space and one digit.
        let day = cursor.consume(.space) ? cursor.digits(minimum: 1, maximum: 1) : cursor.digits(minimum: 1, maximum: 2)
        guard let day, cursor.consume(.space), let time = timeOfDay(&cursor), cursor.consume(.space),
            let year = cursor.digits(minimum: 4, maximum: 4)
        else { return nil }
        return Fields.checked(year: year, month: month, day: day, time: time)
    }

    /// A three-letter month name, as 1 to 12.
    private static func month<Bytes>(_ cursor: inout ByteCursor<Bytes>) -> Int? {
        guard let word = cursor.word(), let index = packedMonthNames.firstIndex(of: word) else { return nil }
        return index + 1
    }

    /// `hh:mm:ss`, two digits each.
    private static func timeOfDay<Bytes>(_ cursor: inout ByteCursor<Bytes>) -> (hour: Int, minute: Int, second: Int)? {
        guard let hour = cursor.digits(minimum: 2, maximum: 2), cursor.consume(.colon),
            let minute = cursor.digits(minimum: 2, maximum: 2), cursor.consume(.colon),
            let second = cursor.digits(minimum: 2, maximum: 2)
        else { return nil }
        return (hour, minute, second)
    }

    /// The year of an RFC 850 date's two digits: the latest year ending in them that is at most 50
    /// years after the current one.
    static func resolve(twoDigitYear: Int, wallClock: WallClock) -> Int {
        let now = wallClock.unixNanoseconds
        let nowDays = now >= 0 ? now / 86_400_000_000_000 : (now / 1_000_000_000 - 86_399) / 86_400
        let currentYear = Int(clamping: CivilDate.date(days: nowDays).year)
        let latest = currentYear + 50
        let offset = ((latest - twoDigitYear) % 100 + 100) % 100
        return latest - offset
    }
}

#endif
