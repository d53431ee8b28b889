import Resilience

@testable import ResilienceCommands

/// An output sink that keeps what is written, for in-process runs.
final class CapturingSink: OutputSink {
    private let bytes = LockedState<[UInt8]>([])

    func write(_ bytes: [UInt8]) {
        self.bytes.withLock { $0.append(contentsOf: bytes) }
    }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
