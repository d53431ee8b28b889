import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Testing

@testable import ResilienceAsyncHTTPClient

/// Which AsyncHTTPClient 1.37 request bodies the integration may send again: pinned here, so that an
/// AsyncHTTPClient that stores bodies differently fails this test instead of changing behaviour.
@Suite("Request bodies that can be sent again")
struct RequestBodyReplayTests {
    static let stream = AsyncStream<ByteBuffer> { $0.finish() }

    @Test(
        "bytes of every kind can; streams cannot",
        arguments: [
            ("a ByteBuffer", HTTPClientRequest.Body.bytes(ByteBuffer(string: "a")), true),
            ("an array", .bytes([UInt8]("a".utf8)), true),
            ("a string's UTF-8", .bytes("a".utf8, length: .known(1)), true),
            ("a collection with a length", .bytes([UInt8]("abc".utf8)[...], length: .known(3)), true),
            // A sequence without contiguous storage is read once, as a stream (AsyncHTTPClient would not
            // follow a redirect with it either).
            ("a one-pass sequence", .bytes(stride(from: UInt8(97), to: 100, by: 1), length: .known(3)), false),
            ("a stream of buffers", .stream(stream, length: .unknown), false),
            ("a stream of buffers with a length", .stream(stream, length: .known(0)), false),
        ]
    )
    func replayable(kind: String, body: HTTPClientRequest.Body, canBeSentAgain: Bool) {
        #expect(body.canBeSentAgain == canBeSentAgain, "\(kind)")
    }
}
