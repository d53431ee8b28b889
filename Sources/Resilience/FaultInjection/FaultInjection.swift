import Synchronization

/// Chaos for testing your own resilience (Polly's chaos strategies): strategies that inject an error
/// (``ErrorInjection``), a delay (``LatencyInjection``) or a replacement result (``ResultInjection``)
/// into a chosen share of calls, and a ``Switch`` that turns them on and off while the program runs.
///
/// ```swift
/// let chaos = FaultInjection.Switch(isEnabled: false)        // flipped by a test or an admin endpoint
/// let search = ResiliencePipeline(name: "search") {
///     Retry(.default)
///     ErrorInjection(rate: 0.1, switch: chaos) { URLError(.timedOut) }
///     LatencyInjection(rate: 0.05, delay: .seconds(2), switch: chaos)
/// }
/// chaos.isEnabled = true                                     // one call in ten now times out
/// ```
///
/// Each strategy decides per call: when its switch is off, it costs one atomic load and runs the
/// operation; otherwise it draws from its ``RandomSource`` (seeded ones make the injected calls the
/// same on every run) and injects with probability ``Switch/injectionRate`` if set, else its own
/// rate. A rate of 0 never injects and 1 always does, neither drawing a number. Pipelines that do not
/// hold them pay nothing.
public enum FaultInjection {
    /// Turns the fault-injection strategies that share it on and off, and can override their rate,
    /// at run time: a `Sendable` object to hand to a test or an admin endpoint.
    ///
    /// Reading it is one atomic load (two when it is on), so a disabled strategy costs next to
    /// nothing on the hot path.
    public final class Switch: Sendable, CustomStringConvertible {
        @usableFromInline
        let enabled: Atomic<Bool>
        /// The override's bit pattern, or ``noRate`` for none.
        @usableFromInline
        let rateBits: Atomic<UInt64>

        @usableFromInline
        static var noRate: UInt64 { .max }

        /// Creates a switch.
        ///
        /// - Parameters:
        ///   - isEnabled: Whether the strategies inject faults. Default: on.
        ///   - injectionRate: A rate replacing each strategy's own, or `nil` to keep theirs.
        public init(isEnabled: Bool = true, injectionRate: Double? = nil) {
            enabled = Atomic(isEnabled)
            rateBits = Atomic(Self.bits(of: injectionRate))
        }

        /// Whether the strategies sharing this switch inject faults; set it to turn them on or off.
        public var isEnabled: Bool {
            get { enabled.load(ordering: .relaxed) }
            set { enabled.store(newValue, ordering: .relaxed) }
        }

        /// A share of calls, in `0...1`, that replaces the rate of every strategy sharing this switch,
        /// or `nil` to keep theirs. Values outside `0...1` are clamped when used; setting NaN clears it.
        public var injectionRate: Double? {
            get {
                let bits = rateBits.load(ordering: .relaxed)
                return bits == Self.noRate ? nil : Double(bitPattern: bits)
            }
            set { rateBits.store(Self.bits(of: newValue), ordering: .relaxed) }
        }

        private static func bits(of rate: Double?) -> UInt64 {
            guard let rate, !rate.isNaN else { return noRate }
            return rate.bitPattern
        }

        /// `on` or `off`, with the override if any, such as `on at 0.5`.
        public var description: String {
            (isEnabled ? "on" : "off") + (injectionRate.map { " at \($0)" } ?? "")
        }
    }
}

/// When a fault-injection strategy injects: its rate, switch and random source.
@usableFromInline
struct FaultTrigger: Sendable {
    @usableFromInline
    var rate: Double
    @usableFromInline
    var `switch`: FaultInjection.Switch?
    @usableFromInline
    var random: RandomSource

    @inlinable
    init(rate: Double, switch: FaultInjection.Switch?, random: RandomSource) {
        self.rate = rate
        self.switch = `switch`
        self.random = random
    }

    /// Whether to inject into this call: never while the switch is off; otherwise with the switch's
    /// rate if set, else ``rate``, clamped to `0...1` (NaN never injects), drawing only for a rate
    /// strictly between 0 and 1.
    @inlinable
    func fires() -> Bool {
        var rate = self.rate
        if let `switch` {
            guard `switch`.enabled.load(ordering: .relaxed) else { return false }
            let bits = `switch`.rateBits.load(ordering: .relaxed)
            if bits != FaultInjection.Switch.noRate { rate = Double(bitPattern: bits) }
        }
        guard rate > 0 else { return false }
        guard rate < 1 else { return true }
        return draw() < rate
    }

    @usableFromInline
    func draw() -> Double {
        var generator = random.makeGenerator()
        return generator.nextUnitFraction()
    }

    /// Checks a rate read from configuration.
    static func validate(rate: Double) throws(ConfigurationError) {
        guard (0...1).contains(rate) else { throw .invalid("rate", "must be in 0...1, got \(rate)") }
    }
}
