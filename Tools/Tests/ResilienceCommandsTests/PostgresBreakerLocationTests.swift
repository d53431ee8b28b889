import ResilienceBreakerPostgres
import ResilienceCommands
import Testing

/// `--breaker postgres://...` URLs, parsed as libpq reads them (no server needed).
@Suite("--breaker postgres:// URLs")
struct PostgresBreakerLocationTests {
    @Test("a full URL: every part, percent-decoded; the redacted form has no password")
    func fullURL() throws {
        let location = try PostgresBreakerLocation(
            url: "postgresql://ops:p%40ss%2Fw@db.internal:6432/fleet?breaker=payments%20api&schema=ops_cli&table=breakers"
                + "&connect_timeout=3&sslmode=verify-full",
            environment: ["PGPASSWORD": "ignored", "PGHOST": "ignored"], userName: "me")
        #expect(location.host == "db.internal")
        #expect(location.port == 6432)
        #expect(location.user == "ops")
        #expect(location.password == "p@ss/w")
        #expect(location.database == "fleet")
        #expect(location.breaker == "payments api")
        #expect(location.schema == "ops_cli")
        #expect(location.table == "breakers")
        #expect(location.connectTimeout == .seconds(3))
        #expect(location.tls == .verifyFull)
        #expect(location.redacted == "postgres://ops@db.internal:6432/fleet?breaker=payments%20api&schema=ops_cli&table=breakers")
        #expect(!location.redacted.contains("p%40ss"))
    }

    @Test("what the URL leaves out comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGCONNECT_TIMEOUT, PGSSLMODE")
    func environment() throws {
        let location = try PostgresBreakerLocation(
            url: "postgres://",
            environment: [
                "PGHOST": "10.0.0.7", "PGPORT": "5433", "PGUSER": "ci", "PGPASSWORD": "s", "PGDATABASE": "tests",
                "PGCONNECT_TIMEOUT": "4", "PGSSLMODE": "require",
            ], userName: "me")
        #expect(location.host == "10.0.0.7")
        #expect(location.port == 5433)
        #expect(location.user == "ci")
        #expect(location.password == "s")
        #expect(location.database == "tests")
        #expect(location.connectTimeout == .seconds(4))
        #expect(location.tls == .require)
        #expect(location.breaker == "default")
        #expect(location.schema == "resilience")
        #expect(location.table == "cli_breakers")
    }

    @Test("then libpq's defaults: localhost, 5432, the user running it, a database named as the user, TLS preferred")
    func defaults() throws {
        let location = try PostgresBreakerLocation(url: "postgres://", environment: [:], userName: "me")
        #expect(location.host == "localhost")
        #expect(location.port == 5432)
        #expect(location.user == "me")
        #expect(location.password == nil)
        #expect(location.database == "me")
        #expect(location.connectTimeout == .seconds(10))
        #expect(location.tls == .prefer)
    }

    @Test("an IPv6 address, and a Unix socket's directory as host=")
    func hosts() throws {
        let ipv6 = try PostgresBreakerLocation(url: "postgres://u@[::1]:5432/db", environment: [:], userName: "me")
        #expect(ipv6.host == "::1")
        #expect(ipv6.redacted == "postgres://u@[::1]:5432/db?breaker=default")
        let socket = try PostgresBreakerLocation(url: "postgres:///db?host=/var/run/postgresql", environment: [:], userName: "me")
        #expect(socket.host == "/var/run/postgresql")
        #expect(socket.redacted.contains("host=/var/run/postgresql"))
        #expect(throws: ArgumentError.self) {
            try PostgresBreakerLocation(url: "postgres:///db?host=/tmp&sslmode=require", environment: [:], userName: "me")
        }
    }

    @Test(
        "bad URLs are errors naming what is wrong, never the password",
        arguments: [
            ("postgres://u:sekrit@h/db?brekaer=api", "unknown parameter \"brekaer\""),
            ("postgres://u:sekrit@h/db?breaker=a&breaker=b", "gives breaker twice"),
            ("postgres://u:sekrit@h/db?breaker=", "breaker= must name the breaker in 1 to 200 characters"),
            ("postgres://u:sekrit@h/db?table=\(String(repeating: "t", count: 53))", "at most 52 bytes"),
            ("postgres://u:sekrit@h/db?schema=1abc", "schema= must be letters"),
            ("postgres://u:sekrit@h/db?schema=a%22b", "schema= must be letters"),
            ("postgres://u:sekrit@h/db?connect_timeout=abc", "connect_timeout must be a whole number"),
            ("postgres://u:sekrit@h/db?connect_timeout=3601", "connect_timeout must be a whole number"),
            ("postgres://u:sekrit@h/db?sslmode=allow", "sslmode must be"),
            ("postgres://u:sekrit@h1,h2/db", "names several hosts"),
            ("postgres://u:sekrit@h:0/db", "the port must be from 1 to 65535"),
            ("postgres://u:sekrit@h:70000/db", "the port must be from 1 to 65535"),
            ("postgres://u:sekrit@h /db", "not a valid postgres:// URL"),
        ])
    func badURLs(url: String, message: String) throws {
        let error = try #require(throws: ArgumentError.self) {
            try PostgresBreakerLocation(url: url, environment: [:], userName: "me")
        }
        #expect(error.message.contains(message), "\(error.message)")
        #expect(!error.message.contains("sekrit"))
    }

    @Test("a bad PGPORT is an error too")
    func badEnvironmentPort() {
        #expect(throws: ArgumentError.self) {
            try PostgresBreakerLocation(url: "postgres://h/db", environment: ["PGPORT": "x"], userName: "me")
        }
    }

    @Test("only postgres:// and postgresql:// URLs name a database; anything else is a file's path")
    func detection() {
        #expect(PostgresBreakerLocation.isDatabaseURL("postgres://h/db"))
        #expect(PostgresBreakerLocation.isDatabaseURL("postgresql://h/db"))
        #expect(!PostgresBreakerLocation.isDatabaseURL("breaker.json"))
        #expect(!PostgresBreakerLocation.isDatabaseURL("./postgres://x"))
        #expect(!PostgresBreakerLocation.isDatabaseURL("POSTGRES://h/db"))
    }

    @Test("time-outs become PostgreSQL settings in milliseconds, within what the server accepts")
    func milliseconds() {
        #expect(PostgresBreakerStore.milliseconds(.milliseconds(200)) == "'200ms'")
        #expect(PostgresBreakerStore.milliseconds(.seconds(10)) == "'10000ms'")
        #expect(PostgresBreakerStore.milliseconds(.nanoseconds(1)) == "'1ms'")
        #expect(PostgresBreakerStore.milliseconds(.seconds(Int64.max)) == "'2147483647ms'")
    }
}
