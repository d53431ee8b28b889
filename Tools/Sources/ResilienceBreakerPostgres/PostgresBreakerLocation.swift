import Foundation
import ResilienceCommands

/// Where `resilience run --breaker postgres://...` keeps a breaker: the server, the credentials, the
/// database, and the breaker's row, parsed from a libpq-style connection URI.
///
/// ```
/// postgres://[user[:password]@][host][:port][/database][?breaker=NAME&schema=S&table=T&connect_timeout=SECONDS&sslmode=MODE&host=DIR]
/// ```
///
/// As libpq does, a part the URL leaves out comes from the environment (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGDATABASE`, `PGCONNECT_TIMEOUT`, `PGSSLMODE`), then from the defaults: host
/// `localhost` (over TCP; a host starting with `/` is the directory of the server's Unix socket), port
/// 5432, the user running `resilience`, a database named as the user. Percent-encoded characters are
/// decoded (a password with `@` is written `%40`).
///
/// - `breaker`: the row's name (1 to 200 characters), `default` unless given; every invocation
///   naming the same database, table and breaker shares one breaker.
/// - `schema`, `table`: where the rows live, `resilience` and `cli_breakers` unless given (letters,
///   digits and `_`, not starting with a digit; at most 63 bytes, and 52 for the table, whose
///   migrations table adds `_migrations`).
/// - `connect_timeout`: seconds to wait for the connection (and its authentication), 10 unless given;
///   0 is refused (libpq's "wait forever" would hang a run on an unreachable server).
/// - `sslmode`: `disable`, `prefer` (the default: TLS when the server offers it), `require` (TLS, the
///   certificate not verified, as libpq), `verify-ca` (verified against the system's roots) or
///   `verify-full` (and the host name).
///
/// Any other parameter, several hosts, or a value out of range is an ``ArgumentError`` naming it:
/// a mistyped `brekaer=` must not silently share the `default` breaker.
package struct PostgresBreakerLocation: Hashable, Sendable {
    /// How the connection is secured (`sslmode`).
    package struct TLSMode: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case disable, prefer, require
            case verifyCA = "verify-ca"
            case verifyFull = "verify-full"
        }

        private let storage: Storage

        private init(storage: Storage) {
            self.storage = storage
        }

        /// No TLS.
        package static let disable = TLSMode(storage: .disable)
        /// TLS when the server offers it, the certificate not verified.
        package static let prefer = TLSMode(storage: .prefer)
        /// TLS, the certificate not verified.
        package static let require = TLSMode(storage: .require)
        /// TLS, the certificate verified against the system's roots.
        package static let verifyCA = TLSMode(storage: .verifyCA)
        /// TLS, the certificate and the host name verified.
        package static let verifyFull = TLSMode(storage: .verifyFull)

        /// The mode named as libpq names it (`verify-full`), or `nil`.
        init?(name: String) {
            guard let storage = Storage(rawValue: name) else { return nil }
            self.storage = storage
        }

        /// The mode's libpq name.
        package var description: String { storage.rawValue }

        /// Whether the server's certificate is checked against trusted roots.
        package var verifiesCertificate: Bool { storage == .verifyCA || storage == .verifyFull }
        /// Whether the server's certificate must name the host.
        package var verifiesHostname: Bool { storage == .verifyFull }
    }

    /// The server's host name or address, or the directory of its Unix socket (starting with `/`).
    package var host: String
    /// The server's port (and, with a Unix socket, the number in the socket's name).
    package var port: Int
    /// The role to connect as.
    package var user: String
    /// The role's password, if any.
    package var password: String?
    /// The database.
    package var database: String
    /// The breaker's row.
    package var breaker: String
    /// The schema of the table.
    package var schema: String
    /// The table of the breakers' rows.
    package var table: String
    /// How long to wait for the connection and its authentication.
    package var connectTimeout: Duration
    /// How the connection is secured.
    package var tls: TLSMode

    /// The schema unless the URL names one.
    package static let defaultSchema = "resilience"
    /// The table unless the URL names one.
    package static let defaultTable = "cli_breakers"
    /// The breaker unless the URL names one.
    package static let defaultBreaker = "default"
    /// The connect timeout unless the URL or `PGCONNECT_TIMEOUT` gives one.
    package static let defaultConnectTimeout = Duration.seconds(10)
    /// The longest breaker name.
    package static let maximumBreakerLength = 200

    /// Whether `value` is a PostgreSQL URL (`postgres://` or `postgresql://`), rather than a file's path.
    ///
    /// - Parameter value: The `--breaker` value.
    /// - Returns: Whether it names a database.
    package static func isDatabaseURL(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// Parses a `--breaker` URL.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - environment: The libpq variables that fill in what the URL leaves out.
    ///   - userName: The user running `resilience`, the last default of the role and the database.
    /// - Throws: ``ArgumentError`` naming what is wrong (never the password).
    package init(
        url: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        userName: String = ProcessInfo.processInfo.userName
    ) throws(ArgumentError) {
        guard Self.isDatabaseURL(url), let components = URLComponents(string: url) else {
            throw ArgumentError("--breaker: not a valid postgres:// URL (percent-encode reserved characters, such as %40 for @)")
        }
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }

        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard parameters[item.name] == nil else {
                throw ArgumentError("--breaker: the URL gives \(item.name) twice")
            }
            guard Self.parameterNames.contains(item.name) else {
                throw ArgumentError(
                    "--breaker: the URL has an unknown parameter \"\(item.name)\"; known: \(Self.parameterNames.sorted().joined(separator: ", "))"
                )
            }
            parameters[item.name] = item.value ?? ""
        }

        let urlHost = nonEmpty(components.host)
        if urlHost?.contains(",") == true || (components.percentEncodedHost ?? "").contains(",") {
            throw ArgumentError("--breaker: the URL names several hosts; name one")
        }
        host = nonEmpty(parameters["host"]) ?? urlHost ?? nonEmpty(environment["PGHOST"]) ?? "localhost"
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }

        if let port = components.port {
            self.port = port
        } else if let text = nonEmpty(environment["PGPORT"]) {
            guard let port = Int(text) else { throw ArgumentError("--breaker: PGPORT is not a port number: \"\(text)\"") }
            self.port = port
        } else {
            port = 5432
        }
        guard (1...65535).contains(port) else { throw ArgumentError("--breaker: the port must be from 1 to 65535, got \(port)") }

        user = nonEmpty(components.user) ?? nonEmpty(environment["PGUSER"]) ?? userName
        password = components.password ?? nonEmpty(environment["PGPASSWORD"])
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = nonEmpty(path) ?? nonEmpty(environment["PGDATABASE"]) ?? user
        guard !user.isEmpty else { throw ArgumentError("--breaker: the URL names no user, and PGUSER is not set") }

        breaker = parameters["breaker"] ?? Self.defaultBreaker
        guard (1...Self.maximumBreakerLength).contains(breaker.count), !breaker.contains("\0") else {
            throw ArgumentError("--breaker: breaker= must name the breaker in 1 to \(Self.maximumBreakerLength) characters")
        }
        schema = try Self.identifier("schema", parameters["schema"] ?? Self.defaultSchema, maximumBytes: 63)
        // Room for the migrations table's suffix within PostgreSQL's 63 bytes.
        table = try Self.identifier("table", parameters["table"] ?? Self.defaultTable, maximumBytes: 52)

        if let text = nonEmpty(parameters["connect_timeout"]) ?? nonEmpty(environment["PGCONNECT_TIMEOUT"]) {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw ArgumentError("--breaker: connect_timeout must be a whole number of seconds from 1 to 3600, got \"\(text)\"")
            }
            connectTimeout = .seconds(seconds)
        } else {
            connectTimeout = Self.defaultConnectTimeout
        }

        let mode = nonEmpty(parameters["sslmode"]) ?? nonEmpty(environment["PGSSLMODE"]) ?? "prefer"
        guard let tls = TLSMode(name: mode) else {
            throw ArgumentError("--breaker: sslmode must be disable, prefer, require, verify-ca or verify-full, got \"\(mode)\"")
        }
        if host.hasPrefix("/"), tls != .disable, tls != .prefer {
            throw ArgumentError("--breaker: sslmode=\(tls) cannot secure a Unix socket (\(host)); use sslmode=disable")
        }
        self.tls = tls
    }

    /// The query parameters a URL may have.
    static let parameterNames: Set<String> = ["breaker", "schema", "table", "connect_timeout", "sslmode", "host"]

    /// A schema or table name: checked, since it is written into the SQL (quoted).
    private static func identifier(_ parameter: String, _ value: String, maximumBytes: Int) throws(ArgumentError) -> String {
        let valid =
            !value.isEmpty && value.utf8.count <= maximumBytes && value.first.map { !$0.isNumber } == true
            && value.unicodeScalars.allSatisfy {
                $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
            }
        guard valid else {
            throw ArgumentError(
                "--breaker: \(parameter)= must be letters, digits and _ (not starting with a digit), at most \(maximumBytes) bytes, got \"\(value)\""
            )
        }
        return value
    }

    /// The URL without its password, for messages: `postgres://user@host:port/database?breaker=NAME`.
    package var redacted: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = user
        if host.hasPrefix("/") {
            components.host = ""
        } else {
            components.host = host.contains(":") ? "[\(host)]" : host
        }
        components.port = port
        components.path = "/" + database
        var items = [URLQueryItem(name: "breaker", value: breaker)]
        if host.hasPrefix("/") { items.append(URLQueryItem(name: "host", value: host)) }
        if schema != Self.defaultSchema { items.append(URLQueryItem(name: "schema", value: schema)) }
        if table != Self.defaultTable { items.append(URLQueryItem(name: "table", value: table)) }
        components.queryItems = items
        return components.string ?? "postgres://\(user)@\(host):\(port)/\(database)"
    }

    /// The table, quoted for SQL: `"schema"."table"`.
    var qualifiedTable: String { "\"\(schema)\".\"\(table)\"" }

    /// The table of applied migrations, quoted for SQL.
    var qualifiedMigrationsTable: String { "\"\(schema)\".\"\(table)_migrations\"" }
}
