#if HTTP

/// Reads a field value byte by byte, for the hand-written parsers: bounds-checked, allocation-free,
/// specialised for `String.UTF8View` (and for byte arrays, in the fuzz target).
struct ByteCursor<Bytes: Collection<UInt8>> {
    let bytes: Bytes
    private(set) var index: Bytes.Index

    init(_ bytes: Bytes) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var isAtEnd: Bool { index == bytes.endIndex }

    /// The next byte, without consuming it; `nil` at the end.
    var next: UInt8? { isAtEnd ? nil : bytes[index] }

    /// Consumes the next byte if it is `byte`.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        index = bytes.index(after: index)
        return true
    }

    /// Consumes spaces and horizontal tabs (HTTP's optional whitespace).
    mutating func skipOptionalWhitespace() {
        while let byte = next, byte == .space || byte == .tab {
            index = bytes.index(after: index)
        }
    }

    /// Consumes one ASCII digit and returns its value, or returns `nil` and consumes nothing.
    mutating func digit() -> Int? {
        guard let byte = next, byte &- .digitZero < 10 else { return nil }
        index = bytes.index(after: index)
        return Int(byte &- .digitZero)
    }

    /// Consumes between `minimum` and `maximum` digits (as many as there are, up to `maximum`) and
    /// returns their value, or `nil` when there are fewer than `minimum`. `maximum` is at most 9, so the
    /// value never overflows.
    mutating func digits(minimum: Int, maximum: Int) -> Int? {
        var value = 0
        var count = 0
        while count < maximum, let digit = digit() {
            value = value * 10 + digit
            count += 1
        }
        return count >= minimum ? value : nil
    }

    /// Consumes a run of ASCII letters and returns it packed, case-insensitively, 5 bits a letter
    /// (the first letter in the highest bits); `nil` for no letters or more than 12.
    mutating func word() -> UInt64? {
        var packed: UInt64 = 0
        var count = 0
        while let byte = next, let letter = Self.letterValue(byte) {
            count += 1
            guard count <= 12 else { return nil }
            packed = packed << 5 | letter
            index = bytes.index(after: index)
        }
        return count == 0 ? nil : packed
    }

    /// A letter's 5-bit code, 1 to 26 for `a`/`A` to `z`/`Z`; `nil` for other bytes.
    private static func letterValue(_ byte: UInt8) -> UInt64? {
        let lower = byte | 0x20
        guard lower &- UInt8(ascii: "a") < 26 else { return nil }
        return UInt64(lower &- UInt8(ascii: "a") &+ 1)
    }
}

extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let digitZero = UInt8(ascii: "0")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let hyphen = UInt8(ascii: "-")
    static let period = UInt8(ascii: ".")
}

#endif
