/// What one request to a fault server carried, in the order requests arrived.
public struct RecordedRequest: Sendable, CustomStringConvertible {
    /// Its place among every request the server received, from 0.
    public let index: Int
    /// Its place among the requests to its path, from 0: the script step it got.
    public let indexForPath: Int
    /// The method, such as `POST`.
    public let method: String
    /// The path, without the query.
    public let path: String
    /// The header fields, in order.
    public let headers: [(name: String, value: String)]
    /// The body, whole.
    public let body: [UInt8]
    /// The number of the connection it came on (from 0, in the order connections were accepted).
    public let connection: Int
    /// The step the server took.
    public let step: FaultStep

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The value of the first field named `name` (in any case), or `nil`.
    ///
    /// - Parameter name: The field's name.
    /// - Returns: Its value.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name.lowercased() == name }?.value
    }

    /// `#index METHOD path (n bytes) -> step`.
    public var description: String {
        "#\(index) \(method) \(path) (\(body.count) bytes, connection \(connection)) -> \(step)"
    }
}

/// A fault server's counts at one moment, for waiting on them.
public struct FaultServerCounts: Sendable, Hashable {
    /// Requests received, all paths.
    public var requests: Int
    /// Requests received, per path.
    public var requestsByPath: [String: Int]
    /// Connections accepted since the server started.
    public var connectionsAccepted: Int
    /// Connections open now.
    public var connectionsOpen: Int
    /// Requests held by ``FaultStep/hold`` now.
    public var held: Int

    /// Requests received for `path`.
    ///
    /// - Parameter path: The path.
    /// - Returns: Their number.
    public func requests(to path: String) -> Int { requestsByPath[path, default: 0] }
}
