import Resilience
import ResilienceTestKit
import Testing

@Suite("Seeded random numbers and scripted operations")
struct SeededRandomNumberGeneratorTests {
    @Test("SplitMix64 yields its published sequence")
    func knownSequence() {
        var generator = SeededRandomNumberGenerator(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test("the same seed repeats the same sequence; different seeds differ")
    func repeatable() {
        var first = SeededRandomNumberGenerator(seed: 99)
        var second = SeededRandomNumberGenerator(seed: 99)
        var other = SeededRandomNumberGenerator(seed: 100)
        let a = (0..<10).map { _ in first.next() }
        #expect(a == (0..<10).map { _ in second.next() })
        #expect(a != (0..<10).map { _ in other.next() })
    }

    @Test("a seeded random source is shared: successive draws continue one sequence")
    func sharedSource() {
        let source = RandomSource.seeded(5)
        var first = source.makeGenerator()
        var second = source.makeGenerator()
        var reference = SeededRandomNumberGenerator(seed: 5)
        #expect([first.next(), second.next(), first.next()] == [reference.next(), reference.next(), reference.next()])
    }

    @Test("a scripted operation follows its script, repeats the last step, and counts calls")
    func scriptedOperation() async throws {
        struct Boom: Error, Equatable {}
        let operation = ScriptedOperation(failures: 2, with: Boom(), thenReturning: "done")
        await #expect(throws: Boom()) { try await operation() }
        await #expect(throws: Boom()) { try await operation() }
        #expect(try await operation() == "done")
        #expect(try await operation() == "done")
        #expect(operation.callCount == 4)
    }

    @Test("an empty script throws a named error instead of crashing")
    func emptyScript() {
        let operation = ScriptedOperation<Int>([])
        #expect(throws: EmptyScriptError()) { try operation.next() }
    }
}
