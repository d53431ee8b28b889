/// Where a strategy draws its random numbers: the system's generator, or one generator shared by
/// every call (seeded ones in tests).
///
/// Strategies are `Sendable` values reused across tasks, so they cannot hold an `inout` generator.
/// A `RandomSource` can be copied freely: ``shared(_:)`` keeps a single generator behind a `Mutex`,
/// so all copies and all calls draw from one sequence (two calls never repeat each other's jitter).
/// Draws happen only on the failure path.
public struct RandomSource: Sendable {
    @usableFromInline
    enum Storage: Sendable {
        case system
        case shared(any SharedRandomGenerator)
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(storage: Storage) {
        self.storage = storage
    }

    /// The system's cryptographically secure generator.
    ///
    /// A computed property, so that using it as a default argument costs nothing.
    @inlinable
    public static var system: RandomSource { RandomSource(storage: .system) }

    /// One generator shared by every call through this source.
    ///
    /// - Parameter generator: The generator; its state is kept behind a `Mutex`.
    public static func shared<Generator: RandomNumberGenerator & Sendable>(_ generator: Generator) -> RandomSource {
        RandomSource(storage: .shared(LockedRandomGenerator(generator)))
    }

    /// A generator drawing from this source, for APIs taking `inout some RandomNumberGenerator`.
    public func makeGenerator() -> Generator {
        Generator(source: self)
    }

    /// A `RandomNumberGenerator` drawing from a ``RandomSource``.
    public struct Generator: RandomNumberGenerator, Sendable {
        let source: RandomSource

        /// The next 64 random bits from the source.
        public mutating func next() -> UInt64 {
            switch source.storage {
            case .system:
                var system = SystemRandomNumberGenerator()
                return system.next()
            case .shared(let generator):
                return generator.next()
            }
        }
    }
}

/// A generator that several tasks may draw from at once.
///
/// Class-bound, so that copying a ``RandomSource`` (every failed attempt makes a generator of one) is
/// a reference count rather than a copy through an existential's value witnesses.
@usableFromInline
protocol SharedRandomGenerator: AnyObject, Sendable {
    func next() -> UInt64
}

/// A generator behind a `Mutex`: safe to share because every draw takes the lock.
final class LockedRandomGenerator<Wrapped: RandomNumberGenerator & Sendable>: SharedRandomGenerator {
    private let generator: AnnotatedMutex<Wrapped>

    init(_ generator: Wrapped) {
        self.generator = AnnotatedMutex(generator)
    }

    func next() -> UInt64 {
        generator.withLock { $0.next() }
    }
}
