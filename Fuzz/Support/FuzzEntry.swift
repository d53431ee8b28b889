import Foundation

// The libFuzzer entry point shared by every target: each target's file defines `fuzz(_:)`.

/// Checks a property of the code under test; a broken one traps, so libFuzzer keeps the input
/// (`crash-…`) and reports it. Fuzz targets are not library code: trapping is their way to report.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    FileHandle.standardError.write(Data("property failed at \(file):\(line): \(message())\n".utf8))
    fatalError(message(), file: file, line: line)
}

/// Called by libFuzzer with each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    fuzz(data)
    return 0
}
