import Testing

/// What the type system must refuse: a typed pipeline running an operation of another type, and
/// fallbacks of two types in one pipeline. Each case compiles a small source file with `swiftc`
/// against the built library (``SwiftCompiler``), next to a control that must compile.
@Suite("Compile failures", .timeLimit(.minutes(5)))
struct CompileFailureTests {
    static let prelude = """
        import Resilience

        enum Analysis: Sendable { case detected, skipped }

        func check() async throws {

        """

    static func errors(in body: String) throws -> [String] {
        let output = try SwiftCompiler.typecheck(prelude + body + "\n}\n", fileName: "Check.swift")
        return output.errors.map(\.message)
    }

    @Test("a pipeline with a fallback runs operations of the fallback's type")
    func typedPipelineCompiles() throws {
        let errors = try Self.errors(
            in: """
                let pipeline = ResiliencePipeline { Fallback(returning: Analysis.skipped); Retry(.default) }
                let analysis: Analysis = try await pipeline.execute { .detected }
                _ = analysis
                """
        )
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("a pipeline with a fallback does not run an operation of another type")
    func wrongOperationType() throws {
        let errors = try Self.errors(
            in: """
                let pipeline = ResiliencePipeline { Fallback(returning: Analysis.skipped); Retry(.default) }
                _ = try await pipeline.execute { "text" }
                """
        )
        #expect(errors.contains { $0.contains("cannot convert value of type 'String'") }, "\(errors)")
    }

    @Test("fallbacks of two types do not build into one pipeline")
    func mixedFallbacks() throws {
        let errors = try Self.errors(
            in: """
                let pipeline = ResiliencePipeline { Fallback(returning: Analysis.skipped); Fallback(returning: "text") }
                _ = pipeline
                """
        )
        #expect(errors.contains { $0.contains("buildPartialBlock") }, "\(errors)")
    }

    @Test("a typed erased strategy does not run an operation of another type")
    func erasedTyped() throws {
        let errors = try Self.errors(
            in: """
                let erased = AnyTypedResilienceStrategy<Analysis>(ResiliencePipeline { Fallback(returning: Analysis.skipped) })
                _ = try await erased.execute { 42 }
                """
        )
        #expect(errors.contains { $0.contains("cannot convert value of type 'Int'") }, "\(errors)")
    }

    @Test("a String fallback around a call returning String? is a compile error, not a fallback that never runs")
    func optionalResult() throws {
        let mismatch = try Self.errors(
            in: """
                let pipeline = ResiliencePipeline { Fallback(returning: "x"); Retry(.default) }
                let text = try await pipeline.execute { () async throws -> String? in nil }
                _ = text
                """
        )
        #expect(mismatch.contains { $0.contains("value of optional type 'String?' must be unwrapped") }, "\(mismatch)")
        let control = try Self.errors(
            in: """
                let pipeline = ResiliencePipeline { Fallback(returning: "x"); Retry(.default) }
                let text = try await pipeline.execute { () async throws -> String in "text" }
                _ = text
                """
        )
        #expect(control.isEmpty, "\(control)")
    }

    @Test("a switch over event kinds needs a default case, so kinds added later break no observer")
    func eventKindsAreOpen() throws {
        let body = { (defaultCase: String) in
            """
            let name: (ResilienceEvent) -> String = { event in
                switch event.kind {
                case .retryScheduled: return "retry"
                case .circuitStateChanged: return "breaker"
                \(defaultCase)
                }
            }
            _ = name
            """
        }
        let exhaustive = try Self.errors(in: body(""))
        #expect(exhaustive.contains { $0.contains("switch must be exhaustive") }, "\(exhaustive)")
        let withDefault = try Self.errors(in: body("default: return \"other\""))
        #expect(withDefault.isEmpty, "\(withDefault)")
    }
}
