import AsyncHTTPClient
import HTTPTypes
import NIOHTTP1
import ResilienceHTTP
import Testing

@testable import ResilienceAsyncHTTPClient

/// How a strategy sees an AsyncHTTPClient request's and response's heads.
@Suite("AsyncHTTPClient heads as HTTPTypes")
struct ConversionTests {
    @Test(
        "the URL's scheme, authority and path",
        arguments: [
            ("https://api.example.com/v1/labels?x=1", "https", "api.example.com", "/v1/labels?x=1"),
            ("http://127.0.0.1:8080", "http", "127.0.0.1:8080", "/"),
            ("http://[::1]:8080/a#frag", "http", "[::1]:8080", "/a#frag"),
            ("https://user@host.example:8443?q", "https", "user@host.example:8443", "?q"),
        ]
    )
    func url(url: String, scheme: String, authority: String, path: String) {
        let head = HTTPRequest(HTTPClientRequest(url: url))
        #expect(head.scheme == scheme)
        #expect(head.authority == authority)
        #expect(head.path == path)
    }

    @Test("method and fields carry over; the authority keys the breaker")
    func methodAndFields() {
        var request = HTTPClientRequest(url: "https://API.example.com:443/v1")
        request.method = .POST
        request.headers.add(name: "Idempotency-Key", value: "k-1")
        let head = HTTPRequest(request)
        #expect(head.method == .post)
        #expect(head.headerFields[HTTPField.Name("idempotency-key")!] == "k-1")
        #expect(HTTPAuthority(head).description == "https://api.example.com")
    }

    @Test("a method that is not a token counts as POST: never taken for an idempotent one")
    func invalidMethod() {
        var request = HTTPClientRequest(url: "https://api.example.com/")
        request.method = .RAW(value: "GET ME")
        #expect(HTTPRequest(request).method == .post)
    }

    @Test("the response's status and fields")
    func response() {
        let response = HTTPClientResponse(status: .tooManyRequests, headers: ["Retry-After": "7", "Content-Length": "0"])
        let head = HTTPResponse(response)
        #expect(head.status.code == 429)
        #expect(head.headerFields[.retryAfter] == "7")
    }
}
