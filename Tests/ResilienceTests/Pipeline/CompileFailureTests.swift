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
}
