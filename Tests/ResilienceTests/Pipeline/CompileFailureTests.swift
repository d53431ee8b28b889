import Testing

/// Mismatches the API turns into compile errors, pinned by compiling small files against the built
/// modules. Each failing snippet has a twin that differs only in the mismatch and must compile, so
/// these tests fail if the compiler cannot be run at all.
@Suite("Mismatches that do not compile", .timeLimit(.minutes(5)))
struct CompileFailureTests {
    static let prelude = """
        import Resilience

        struct Receipt {}

        """

    @Test("a fallback of String around a call returning String? is a compile error, not a fallback that never runs")
    func fallbackOfAnotherType() async throws {
        let snippet = { (resultType: String, value: String) in
            Self.prelude + """
                func call() async throws {
                    let pipeline = ResiliencePipeline(name: "p") {
                        Fallback(returning: "skipped")
                        Retry(.default)
                    }
                    let value = try await pipeline.execute { () async throws -> \(resultType) in \(value) }
                    _ = value
                }
                """
        }
        let mismatch = try await SwiftCompiler.typecheck(snippet("String?", "nil"))
        #expect(!mismatch.succeeded)
        #expect(mismatch.errors.contains { $0.contains("value of optional type 'String?' must be unwrapped") }, "\(mismatch.diagnostics)")
        let match = try await SwiftCompiler.typecheck(snippet("String", "\"text\""))
        #expect(match.succeeded, "\(match.diagnostics)")
    }

    @Test("two fallbacks of different values in one pipeline do not build")
    func fallbacksOfTwoTypes() async throws {
        let snippet = { (second: String) in
            Self.prelude + """
                let pipeline = ResiliencePipeline {
                    Fallback(returning: "skipped")
                    Fallback(returning: \(second))
                }
                """
        }
        let mismatch = try await SwiftCompiler.typecheck(snippet("1"))
        #expect(!mismatch.succeeded)
        #expect(
            mismatch.diagnostics.contains("candidate requires that the types 'String' and 'Int' be equivalent"), "\(mismatch.diagnostics)")
        let match = try await SwiftCompiler.typecheck(snippet("\"other\""))
        #expect(match.succeeded, "\(match.diagnostics)")
    }

    @Test("a typed erased strategy only runs calls of its value")
    func erasedTypedStrategy() async throws {
        let snippet = { (resultType: String, value: String) in
            Self.prelude + """
                func call(ocr: AnyTypedResilienceStrategy<String>) async throws {
                    _ = try await ocr.execute { () async throws -> \(resultType) in \(value) }
                }
                """
        }
        let mismatch = try await SwiftCompiler.typecheck(snippet("Receipt", "Receipt()"))
        #expect(!mismatch.succeeded)
        #expect(mismatch.errors.contains { $0.contains("'Receipt'") && $0.contains("'String'") }, "\(mismatch.diagnostics)")
        let match = try await SwiftCompiler.typecheck(snippet("String", "\"text\""))
        #expect(match.succeeded, "\(match.diagnostics)")
    }

    @Test("an observer that switches over event kinds must have a default case, so new kinds break nobody")
    func eventKindsAreOpen() async throws {
        let snippet = { (defaultCase: String) in
            Self.prelude + """
                func name(of event: ResilienceEvent) -> String {
                    switch event.kind {
                    case .retryScheduled: return "retry"
                    case .circuitStateChanged: return "breaker"
                    \(defaultCase)
                    }
                }
                """
        }
        let exhaustive = try await SwiftCompiler.typecheck(snippet(""))
        #expect(exhaustive.errors.contains { $0.contains("switch must be exhaustive") }, "\(exhaustive.diagnostics)")
        let withDefault = try await SwiftCompiler.typecheck(snippet("default: return \"other\""))
        #expect(withDefault.succeeded, "\(withDefault.diagnostics)")
    }
}
