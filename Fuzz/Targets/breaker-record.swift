import Foundation
import Resilience

// The library's `CircuitBreakerRecord` decoder and `CircuitBreakerStateMachine`'s restore, as a
// store sharing a breaker through a database would use them. Crash checks, and round trips: a
// decoded record re-encodes to one that decodes equal; restored with its window's layout and
// exported again it is the same record (leading empty buckets aside); and after calls the
// machine exports a valid record.

let origin = ContinuousClock.now

/// `record` as the library exports it: a time window without its leading empty buckets.
func exportedForm(_ record: CircuitBreakerRecord) -> CircuitBreakerRecord {
    guard let length = record.window.bucketNanoseconds, let count = record.window.bucketCount,
        let start = record.window.newestBucketStart, let buckets = record.window.buckets
    else { return record }
    var copy = record
    let empty = CircuitBreakerRecord.Window.Bucket(calls: 0, failures: 0, slowCalls: 0)
    copy.window = .time(
        bucketNanoseconds: length, bucketCount: count, newestBucketStart: start, buckets: Array(buckets.drop { $0 == empty }))
    return copy
}

func requireDecodesBack(_ record: CircuitBreakerRecord) {
    do {
        try record.validate()
        let decoded = try JSONDecoder().decode(CircuitBreakerRecord.self, from: JSONEncoder().encode(record))
        require(decoded == record, "the record did not read back equal: \(record) \(decoded)")
    } catch {
        require(false, "an exported record does not read back: \(error) \(record)")
    }
}

func fuzz(_ data: Data) {
    guard let record = try? JSONDecoder().decode(CircuitBreakerRecord.self, from: data) else { return }
    requireDecodesBack(record)
    // The configuration whose window the record has, so that the window is restored.
    var configuration = CircuitBreakerConfiguration.default
    if let size = record.window.size {
        configuration.slidingWindow = .count(size)
    } else if let length = record.window.bucketNanoseconds, let count = record.window.bucketCount {
        configuration.slidingWindow = .time(.nanoseconds(length * Int64(count)), buckets: count)
        configuration.slowCalls = .tripping(atRate: 0.9, over: .seconds(1))
    }
    configuration.maxConcurrentProbes = 3
    var machine: CircuitBreakerStateMachine<ContinuousClock.Instant>
    do {
        machine = try CircuitBreakerStateMachine(restoring: record, configuration: configuration, origin: origin, originUnixNanoseconds: 0)
    } catch {
        require(false, "a decoded record does not restore: \(error)")
        return
    }
    let exported = machine.exported(originUnixNanoseconds: 0)
    require(exported == exportedForm(record), "restoring and exporting changed the record: \(record) \(exported)")
    // Calls near the record's times.
    let anchor = record.openUntil ?? record.probes.first?.grantedAt ?? record.window.newestBucketStart ?? 0
    for step in 0..<4 {
        let now = origin.advanced(by: .nanoseconds(anchor) + .seconds(Int64(data.count % 97) * Int64(step) - 1))
        let acquisition = machine.acquire(at: now, configuration: configuration)
        if let permit = acquisition.permit {
            let outcome: CircuitBreakerOutcome = (data.count + step) % 3 == 0 ? .success : .failure
            _ = machine.record(outcome, for: permit, at: now.advanced(by: .seconds(2)), configuration: configuration)
        }
        _ = machine.halfOpenIfDue(at: now, configuration: configuration)
        _ = machine.snapshot(at: now, configuration: configuration)
        requireDecodesBack(machine.exported(originUnixNanoseconds: 0))
    }
}
