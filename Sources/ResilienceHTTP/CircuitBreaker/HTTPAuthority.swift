#if HTTP
import HTTPTypes

/// Where a request goes, as a circuit breaker pool tells downstreams apart: scheme, host and port
/// (RFC 9110's "origin").
///
/// Normalised, so that the same origin written differently is one key: the scheme and host are
/// lowercased (their ASCII letters), the port defaults to the scheme's (`http` and `ws` 80, `https` and `wss` 443), and
/// user information (`user@`) is dropped. `https://API.example.com` and `https://api.example.com:443`
/// are the same authority; `http://api.example.com` and `https://api.example.com:8443` are others.
public struct HTTPAuthority: Hashable, Sendable, CustomStringConvertible {
    /// The scheme, lowercased, such as `https`; empty when the request had none.
    public let scheme: String
    /// The host, lowercased: a name, an IPv4 address, or an IPv6 address in brackets (`[::1]`); empty
    /// when the request had none.
    public let host: String
    /// The port: the authority's, else the scheme's default; `nil` when neither is known.
    public let port: Int?

    /// Creates an authority, normalising its parts.
    ///
    /// - Parameters:
    ///   - scheme: The scheme, in any case.
    ///   - host: The host, in any case.
    ///   - port: The port, or `nil` for the scheme's default. A port outside 0...65535 counts as `nil`.
    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = Self.lowercased(scheme)
        self.host = Self.lowercased(host)
        self.port = port.flatMap { (0...65_535).contains($0) ? $0 : nil } ?? Self.defaultPort(ofLowercased: self.scheme)
    }

    /// The authority `request` is for: its `:scheme` and `:authority` pseudo-fields.
    ///
    /// An authority that does not parse (a port that is not a number) keeps its whole text as the host,
    /// so that it is still a key of its own.
    ///
    /// - Parameter request: The request.
    public init(_ request: HTTPRequest) {
        self.init(scheme: request.scheme ?? "", authority: request.authority ?? "")
    }

    /// The authority of a `scheme` and an `authority` written as in a URL (`user@host:port`).
    ///
    /// - Parameters:
    ///   - scheme: The scheme, such as `https`.
    ///   - authority: The authority, such as `api.example.com:8443` or `[::1]:8080`.
    public init(scheme: String, authority: String) {
        var hostAndPort = Substring(authority)
        if let at = hostAndPort.lastIndex(of: "@") {
            hostAndPort = hostAndPort[hostAndPort.index(after: at)...]
        }
        var host = hostAndPort
        var port: Int?
        // The port follows the last colon after the host: after the closing bracket of an IPv6
        // literal, or the only colon of a name or IPv4 address.
        let searchFrom = hostAndPort.first == "[" ? hostAndPort.lastIndex(of: "]") : hostAndPort.startIndex
        if let searchFrom, let colon = hostAndPort[searchFrom...].lastIndex(of: ":"),
            hostAndPort.first == "[" || hostAndPort.firstIndex(of: ":") == colon
        {
            let digits = hostAndPort[hostAndPort.index(after: colon)...]
            if digits.isEmpty {
                host = hostAndPort[..<colon]
            } else if digits.utf8.count <= 5, digits.utf8.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }), let value = Int(digits),
                value <= 65_535
            {
                host = hostAndPort[..<colon]
                port = value
            }
        }
        // The whole text when nothing was cut, without copying it.
        self.init(scheme: scheme, host: host.utf8.count == authority.utf8.count ? authority : String(host), port: port)
    }

    /// `scheme://host`, with `:port` when it is not the scheme's default, such as `https://api.example.com`.
    public var description: String {
        let origin = scheme.isEmpty ? host : "\(scheme)://\(host)"
        guard let port, port != Self.defaultPort(ofLowercased: scheme) else { return origin }
        return "\(origin):\(port)"
    }

    private static func defaultPort(ofLowercased scheme: String) -> Int? {
        switch scheme {
        case "http", "ws": 80
        case "https", "wss": 443
        default: nil
        }
    }

    /// `text` with its ASCII letters lowercased (host names are ASCII; other characters are kept as
    /// they are); `text` itself, without a copy, when it has no uppercase ASCII letter.
    private static func lowercased(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 &- UInt8(ascii: "A") < 26 }) else { return text }
        return String(decoding: text.utf8.map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

#endif
