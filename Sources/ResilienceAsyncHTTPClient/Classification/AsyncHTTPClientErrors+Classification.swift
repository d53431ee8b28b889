#if AsyncHTTPClient
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Resilience

#if canImport(FoundationEssentials)
import struct FoundationEssentials.POSIXError
#elseif canImport(Foundation)
import struct Foundation.POSIXError
#endif

// The errors AsyncHTTPClient and SwiftNIO throw, classified for every `ErrorClassifier` (and so every
// retry, breaker and pipeline) of a program that links this module: they adopt `ClassifiableError`
// here, so no rule needs registering. What each fault produced against a real server on loopback is
// in the tests (`AsyncHTTPClientErrorTests`) and in the article "Calling through a pipeline".
//
// The conformances of SwiftNIO's types (`IOError`, `ChannelError`, `NIOConnectionError`,
// `HTTPParserError`) belong to
// this module alone: another product of this package built on SwiftNIO must share them (move them
// to a common target), never declare its own.

extension HTTPClientError: ClassifiableError {
    /// How resilience strategies treat this error:
    ///
    /// | error | category |
    /// |---|---|
    /// | `connectTimeout`, `readTimeout`, `writeTimeout`, `deadlineExceeded`, `tlsHandshakeTimeout`, `socksHandshakeTimeout`, `httpProxyHandshakeTimeout`, `getConnectionFromPoolTimeout` | `ErrorCategory.timeout` |
    /// | `remoteConnectionClosed`, `uncleanShutdown` | `ErrorCategory.connectionFailure` |
    /// | `cancelled`, `requestStreamCancelled` | `ErrorCategory.cancellation` |
    /// | every other (an invalid URL, header or redirect, a body of the wrong length, a client shut down, …) | `ErrorCategory.permanent` |
    public var resilienceClassification: ErrorClassification {
        switch self {
        case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .tlsHandshakeTimeout, .socksHandshakeTimeout,
            .httpProxyHandshakeTimeout, .getConnectionFromPoolTimeout:
            return .timeout
        case .remoteConnectionClosed, .uncleanShutdown:
            return .connectionFailure
        case .cancelled, .requestStreamCancelled:
            return .cancellation
        default:
            return .permanent
        }
    }
}

extension IOError: ClassifiableError {
    /// Its `errno`, classified as a `POSIXError` of that code is: `ECONNREFUSED`, `ECONNRESET`,
    /// `EPIPE`, `EHOSTUNREACH`, … `ErrorCategory.connectionFailure`; `ETIMEDOUT`
    /// `ErrorCategory.timeout`; `EIO`, `EAGAIN`, `EMFILE`, …
    /// `ErrorCategory.ioFailure`; others `ErrorCategory.permanent`.
    public var resilienceClassification: ErrorClassification {
        guard let code = POSIXError.Code(rawValue: errnoCode) else { return .permanent }
        return ErrorClassifier.builtInClassification(of: POSIXError(code)) ?? .permanent
    }
}

extension NIOConnectionError: ClassifiableError {
    /// `ErrorCategory.connectionFailure`: no connection could be made to any of the
    /// host's addresses (refused, unreachable, or a failed DNS lookup).
    public var resilienceClassification: ErrorClassification { .connectionFailure }
}

extension HTTPParserError: ClassifiableError {
    /// `invalidEOFState` (the connection closed before the response's declared end: "stream ended
    /// at an unexpected time") is `ErrorCategory.connectionFailure`; the others, a
    /// response that is not valid HTTP, are `ErrorCategory.permanent`.
    public var resilienceClassification: ErrorClassification {
        self == .invalidEOFState ? .connectionFailure : .permanent
    }
}

extension ChannelError: ClassifiableError {
    /// `connectTimeout` is `ErrorCategory.timeout`; a channel closed under the request
    /// (`ioOnClosedChannel`, `alreadyClosed`, `eof`, `inputClosed`, `outputClosed`) or a host
    /// unreachable is `ErrorCategory.connectionFailure`; the others, misuses of a
    /// channel, are `ErrorCategory.permanent`.
    public var resilienceClassification: ErrorClassification {
        switch self {
        case .connectTimeout:
            return .timeout
        case .ioOnClosedChannel, .alreadyClosed, .eof, .inputClosed, .outputClosed, .writeHostUnreachable:
            return .connectionFailure
        default:
            return .permanent
        }
    }
}

#endif
