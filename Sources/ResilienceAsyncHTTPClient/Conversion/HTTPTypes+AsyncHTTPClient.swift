#if AsyncHTTPClient
import AsyncHTTPClient
import HTTPTypes
import NIOHTTP1

extension HTTPRequest {
    /// The head of an AsyncHTTPClient request, as a strategy reads it: method, scheme, authority,
    /// path and fields. The URL is split without validation (AsyncHTTPClient validates it when it
    /// sends the request): `scheme://authority/path?query`. A method that is not a valid token
    /// counts as `POST`, so that nothing takes it for one that may be sent twice.
    init(_ request: HTTPClientRequest) {
        let url = request.url.utf8
        var scheme: String?
        var authority: String?
        var path = request.url
        // The scheme ends at the first "://", the authority at the first "/", "?" or "#" after it.
        if let colon = url.firstIndex(of: UInt8(ascii: ":")),
            url[colon...].starts(with: "://".utf8)
        {
            let start = url.index(colon, offsetBy: 3)
            let rest = url[start...]
            let end = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
            scheme = String(Substring(url[..<colon]))
            authority = String(Substring(url[start..<end]))
            path = end == rest.endIndex ? "/" : String(Substring(url[end...]))
        }
        self.init(
            method: HTTPRequest.Method(request.method.rawValue) ?? .post,
            scheme: scheme,
            authority: authority,
            path: path,
            headerFields: HTTPFields(request.headers)
        )
    }
}

extension HTTPResponse {
    /// The head of an AsyncHTTPClient response: its status code and fields, as a classifier reads
    /// them (not the reason phrase). A code outside 0...999, which no HTTP/1 or HTTP/2 parser
    /// produces, counts as 999 (a permanent failure in the classifier's table).
    init(_ response: HTTPClientResponse) {
        let code = Int(response.status.code)
        self.init(
            status: HTTPResponse.Status(code: (0...999).contains(code) ? code : 999),
            headerFields: HTTPFields(response.headers)
        )
    }
}

extension HTTPFields {
    /// NIO's header fields; a name that is not a valid field name is left out.
    init(_ headers: HTTPHeaders) {
        self.init()
        reserveCapacity(headers.count)
        for (name, value) in headers {
            guard let name = HTTPField.Name(name) else { continue }
            append(HTTPField(name: name, value: value))
        }
    }
}

#endif
