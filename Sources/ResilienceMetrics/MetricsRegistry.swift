#if Metrics

import CoreMetrics

/// The pipeline and strategy a group of series belongs to.
struct ScopeKey: Hashable, Sendable {
    /// The pipeline's name, empty outside a pipeline.
    var pipeline: String
    /// The strategy's name.
    var strategy: String
}

/// One series within a scope: its metric and the values of the metric's ``MetricID/valueDimensions``
/// (unused ones empty).
struct SeriesKey: Hashable, Sendable {
    var metric: MetricID
    var first: String
    var second: String = ""
    var third: String = ""

    var values: [String] { [first, second, third] }
}

/// The handlers made for one scope. The series a successful call touches have slots of their own,
/// so the success path looks up one scope and no series; every other series is found by its key.
struct Scope {
    let key: ScopeKey

    var attemptSucceededEvents: (any CounterHandler)?
    var successfulAttempts: (any CounterHandler)?
    var successfulAttemptDurations: (any TimerHandler)?
    var successesWithoutRetry: (any CounterHandler)?
    var successesWithRetry: (any CounterHandler)?
    var callCompletedEvents: (any CounterHandler)?
    var successfulCalls: (any CounterHandler)?
    var successfulCallDurations: (any TimerHandler)?

    var counters: [SeriesKey: any CounterHandler] = [:]
    var timers: [SeriesKey: any TimerHandler] = [:]
    var gauges: [SeriesKey: any RecorderHandler] = [:]

    init(key: ScopeKey) {
        self.key = key
    }
}

/// Every handler the observer has made, by scope and series, and the names of the error types it has
/// seen. Lives in the observer's mutex; each handler is made once, on first use, and then found
/// without allocating.
///
/// Scopes are values in one array, updated in place (no reference, so no run-time exclusivity
/// check), found through a short list of the recent ones and, failing that, a dictionary.
struct MetricsRegistry {
    /// How many scopes are found without hashing their names.
    static let recentCapacity = 8

    let factory: any MetricsFactory
    var scopes: [Scope] = []
    var indices: [ScopeKey: Int] = [:]
    /// The indices of the scopes used last, searched first: comparing names that share their storage
    /// (as the names in one strategy's events do) costs a comparison of two words; hashing them costs
    /// much more.
    var recent: [Int] = []
    var nextRecent = 0
    var errorTypeNames: [ObjectIdentifier: String] = [:]

    init(factory: any MetricsFactory) {
        self.factory = factory
        recent.reserveCapacity(Self.recentCapacity)
    }

    /// Runs `body` on the scope of `key`, made empty on first use, with the makers of its handlers.
    mutating func update<Result>(_ key: ScopeKey, _ body: (inout Scope, Makers) -> Result) -> Result {
        let index = self.index(pipeline: key.pipeline, strategy: key.strategy)
        return body(&scopes[index], Makers(factory: factory, scope: key))
    }

    /// Runs `body` on the scope of `pipeline` and `strategy`, made empty on first use. For the success
    /// path: the names are borrowed, and nothing is copied unless the scope is new.
    mutating func update<Result>(pipeline: String, strategy: String, _ body: (inout Scope) -> Result) -> Result {
        let index = self.index(pipeline: pipeline, strategy: strategy)
        return body(&scopes[index])
    }

    /// The index of the scope of `pipeline` and `strategy`: from the recent ones, else the
    /// dictionary (made on first use), and then made recent in place of the oldest.
    private mutating func index(pipeline: String, strategy: String) -> Int {
        for index in recent where scopes[index].key.strategy == strategy && scopes[index].key.pipeline == pipeline {
            return index
        }
        let key = ScopeKey(pipeline: pipeline, strategy: strategy)
        let index: Int
        if let existing = indices[key] {
            index = existing
        } else {
            index = scopes.count
            scopes.append(Scope(key: key))
            indices[key] = index
        }
        if recent.count < Self.recentCapacity {
            recent.append(index)
        } else {
            recent[nextRecent] = index
            nextRecent = (nextRecent + 1) % Self.recentCapacity
        }
        return index
    }

    /// The name of `error`'s type, such as `Resilience.TimeoutError`: computed once per type.
    mutating func typeName(of error: any Error) -> String {
        let type = type(of: error)
        let id = ObjectIdentifier(type)
        if let name = errorTypeNames[id] { return name }
        let name = String(reflecting: type)
        errorTypeNames[id] = name
        return name
    }
}

/// Makes (or finds) the handlers of one scope's series.
struct Makers {
    let factory: any MetricsFactory
    let scope: ScopeKey

    /// The counter of `series` in `scope`, made on first use.
    func counter(_ series: SeriesKey, in scope: inout Scope) -> any CounterHandler {
        if let handler = scope.counters[series] { return handler }
        let handler = makeCounter(series)
        scope.counters[series] = handler
        return handler
    }

    /// The timer of `series` in `scope`, made on first use.
    func timer(_ series: SeriesKey, in scope: inout Scope) -> any TimerHandler {
        if let handler = scope.timers[series] { return handler }
        let handler = makeTimer(series)
        scope.timers[series] = handler
        return handler
    }

    /// The gauge of `series` in `scope`, made on first use.
    func gauge(_ series: SeriesKey, in scope: inout Scope) -> any RecorderHandler {
        if let handler = scope.gauges[series] { return handler }
        let handler = factory.makeRecorder(
            label: series.metric.name, dimensions: series.metric.dimensions(in: self.scope, values: series.values), aggregate: false)
        scope.gauges[series] = handler
        return handler
    }

    private func makeCounter(_ series: SeriesKey) -> any CounterHandler {
        factory.makeCounter(label: series.metric.name, dimensions: series.metric.dimensions(in: scope, values: series.values))
    }

    private func makeTimer(_ series: SeriesKey) -> any TimerHandler {
        factory.makeTimer(label: series.metric.name, dimensions: series.metric.dimensions(in: scope, values: series.values))
    }
}

/// Increments the counter in `slot`, made by `make` on first use.
func increment(_ slot: inout (any CounterHandler)?, orMake make: @autoclosure () -> any CounterHandler) {
    if slot == nil { slot = make() }
    slot?.increment(by: 1)
}

/// Records `nanoseconds` in the timer in `slot`, made by `make` on first use.
func recordDuration(_ nanoseconds: Int64, in slot: inout (any TimerHandler)?, orMake make: @autoclosure () -> any TimerHandler) {
    if slot == nil { slot = make() }
    slot?.recordNanoseconds(nanoseconds)
}

extension Duration {
    /// This duration in whole nanoseconds for a timer: negative durations count as zero, and ones
    /// beyond `Int64.max` nanoseconds (about 292 years) as that.
    var timerNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow { return .max }
        return max(sum, 0)
    }
}

#endif
