import Foundation
import Testing

@testable import ResilienceCommands

@Suite("Spools: bytes kept for replay, in memory or a temporary file")
struct SpoolTests {
    let scratch: Scratch

    init() throws {
        scratch = try Scratch()
    }

    /// `count` bytes of a repeating, non-periodic-looking pattern.
    func pattern(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    }

    func spool(_ bytes: [UInt8], limit: Int, chunk: Int = 1_000, directory: String? = nil) throws -> Spool {
        var writer = SpoolWriter(memoryLimit: limit, directory: directory ?? scratch.url.path)
        var offset = 0
        while offset < bytes.count {
            let piece = Array(bytes[offset..<min(offset + chunk, bytes.count)])
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: piece.count, alignment: 1)
            defer { buffer.deallocate() }
            buffer.copyBytes(from: piece)
            try writer.append(UnsafeRawBufferPointer(buffer))
            offset += piece.count
        }
        return writer.finish()
    }

    @Test("up to the memory limit the bytes stay in memory")
    func inMemory() throws {
        let bytes = pattern(4_000)
        let spool = try spool(bytes, limit: 4_000)
        #expect(spool.isInMemory)
        #expect(spool.count == 4_000)
        #expect(spool.allBytes() == bytes)
    }

    @Test("past the limit everything moves to a temporary file, unlinked at once, and reads back the same")
    func inFile() throws {
        let bytes = pattern(10_000)
        let spool = try spool(bytes, limit: 2_500, chunk: 999)
        #expect(!spool.isInMemory)
        #expect(spool.count == 10_000)
        #expect(spool.allBytes() == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == [])
    }

    @Test("reads start at any offset, stop at the end, and give 0 there", arguments: [0, 100_000])
    func readsAtOffsets(limit: Int) throws {
        let bytes = pattern(10_000)
        let spool = try spool(bytes, limit: limit)
        #expect(spool.isInMemory == (limit > 0))
        var buffer = [UInt8](repeating: 0, count: 64)
        let middle = buffer.withUnsafeMutableBytes { spool.read(at: 5_000, into: $0) }
        #expect(middle == 64)
        #expect(buffer == Array(bytes[5_000..<5_064]))
        let tail = buffer.withUnsafeMutableBytes { spool.read(at: 9_990, into: $0) }
        #expect(tail == 10)
        #expect(buffer[0..<10] == bytes[9_990...])
        #expect(buffer.withUnsafeMutableBytes { spool.read(at: 10_000, into: $0) } == 0)
    }

    @Test("a directory that cannot hold the file is an error naming it, met only when the bytes outgrow memory")
    func missingDirectory() throws {
        let missing = scratch.path("missing")
        let small = try spool(pattern(100), limit: 1_000, directory: missing)
        #expect(small.allBytes() == pattern(100))
        #expect {
            try spool(pattern(2_000), limit: 1_000, directory: missing)
        } throws: { error in
            (error as? SpoolError)?.message.contains("cannot create a temporary file in \"\(missing)\"") == true
        }
    }

    @Test("falling back to memory: output that cannot go to a file is kept, and the reason recorded")
    func fallsBackToMemory() throws {
        let bytes = pattern(5_000)
        var writer = SpoolWriter(memoryLimit: 1_000, directory: scratch.path("missing"))
        for start in stride(from: 0, to: bytes.count, by: 700) {
            let piece = Array(bytes[start..<min(start + 700, bytes.count)])
            try piece.withUnsafeBytes { try writer.appendFallingBackToMemory($0) }
        }
        #expect(writer.spillError?.message.contains("cannot create a temporary file") == true)
        let spool = writer.finish()
        #expect(spool.isInMemory)
        #expect(spool.allBytes() == bytes)
    }

    @Test("spools are equal when they hold the same bytes, in memory or not")
    func equality() throws {
        let bytes = pattern(3_000)
        #expect(try spool(bytes, limit: 100) == Spool(bytes))
        #expect(try spool(bytes, limit: 100) != Spool(pattern(2_999)))
        #expect(Spool([1, 2, 3]) != Spool([1, 2, 4]))
    }

    @Test("a limit bounds a spool: bytes past it are refused with an error naming it, in memory or in a file")
    func limit() throws {
        for memoryLimit in [10_000, 100] {
            var writer = SpoolWriter(memoryLimit: memoryLimit, limit: 2_048, directory: scratch.url.path)
            try pattern(2_000).withUnsafeBytes { try writer.append($0) }
            #expect(throws: SpoolError.self) { try pattern(100).withUnsafeBytes { try writer.append($0) } }
            #expect {
                try pattern(49).withUnsafeBytes { try writer.appendFallingBackToMemory($0) }
            } throws: { error in
                (error as? SpoolError)?.isLimit == true && (error as? SpoolError)?.message == "it passed the --spool-limit of 2KiB"
            }
            try pattern(48).withUnsafeBytes { try writer.append($0) }
            #expect(writer.count == 2_048)
            #expect(writer.finish().allBytes() == pattern(2_000) + pattern(48))
        }
    }

    @Test("sizes take binary and decimal units and print in the largest binary unit that divides them")
    func byteCounts() throws {
        #expect(try ByteCount(parsing: "512MiB").bytes == 512 << 20)
        #expect(try ByteCount(parsing: "1GiB").bytes == 1 << 30)
        #expect(try ByteCount(parsing: "1GB").bytes == 1_000_000_000)
        #expect(try ByteCount(parsing: "4096").bytes == 4_096)
        #expect(try ByteCount(parsing: "64KiB").description == "64KiB")
        #expect(ByteCount.format(1_000) == "1000B")
        for (text, reason) in [
            ("-1GiB", "is negative"), ("0", "at least 1 byte"), ("1.5GiB", "unknown unit \".5GiB\""), ("1XB", "unknown unit \"XB\""),
            ("", "is not a size"), ("99999999999TiB", "too large"),
        ] {
            #expect(performing: { try ByteCount(parsing: text) }, throws: { ($0 as? ArgumentError)?.message.contains(reason) == true })
        }
    }
}
