import Foundation
import Resilience

// `CircuitBreakerConfiguration`'s JSON decoder (`resilience run --breaker-config FILE`, and any
// service's configuration file). Crash checks; a decoded configuration is valid, encodes, and
// reads back equal; a breaker runs with it.

func fuzz(_ data: Data) {
    guard let configuration = try? JSONDecoder().decode(CircuitBreakerConfiguration.self, from: data) else { return }
    do {
        try configuration.validate()
    } catch {
        require(false, "a decoded configuration is not valid: \(error)")
    }
    _ = configuration.description
    do {
        let encoded = try JSONEncoder().encode(configuration)
        let decoded = try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: encoded)
        require(
            decoded == configuration, "did not read back equal:\n\(String(decoding: encoded, as: UTF8.self))\n\(decoded)\n\(configuration)")
    } catch {
        require(false, "what was written does not read back: \(error)")
    }
    let start = ContinuousClock.now
    var machine = CircuitBreakerStateMachine(configuration: configuration, now: start)
    for step in 0..<40 {
        let now = start.advanced(by: .milliseconds(Int64(step) * 250 + Int64(data.count)))
        let acquisition = machine.acquire(at: now, configuration: configuration)
        if let permit = acquisition.permit {
            _ = machine.record(step % 4 == 0 ? .success : .failure, for: permit, at: now, configuration: configuration)
        }
        _ = machine.halfOpenIfDue(at: now, configuration: configuration)
    }
    _ = machine.snapshot(at: start, configuration: configuration)
}
