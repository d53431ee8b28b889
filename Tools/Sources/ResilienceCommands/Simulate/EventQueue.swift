/// One event waiting in an ``EventQueue``: when it happens, the order it was scheduled in, and what it is.
struct QueuedEvent<Payload> {
    /// When it happens, in nanoseconds from the start.
    var time: Int64
    /// The order in which events were scheduled: the tie-break between events at the same time.
    var sequence: UInt64
    /// What happens.
    var payload: Payload

    /// Whether `self` comes before `other`: earlier, or as early and scheduled first.
    func precedes(_ other: QueuedEvent) -> Bool {
        time != other.time ? time < other.time : sequence < other.sequence
    }
}

/// A discrete-event queue: a binary min-heap ordered by time, then by the order events were scheduled.
///
/// The tie-break makes a run a pure function of its random draws: two events at the same nanosecond
/// are processed in the order they were scheduled, on every platform and every run.
struct EventQueue<Payload> {
    private var heap: [QueuedEvent<Payload>] = []
    private var nextSequence: UInt64 = 0

    /// Creates an empty queue with room for `capacity` events.
    init(capacity: Int) {
        heap.reserveCapacity(capacity)
    }

    /// The number of events waiting.
    var count: Int { heap.count }

    /// Schedules `payload` at `time`. O(log n).
    mutating func schedule(at time: Int64, _ payload: Payload) {
        heap.append(QueuedEvent(time: time, sequence: nextSequence, payload: payload))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest event, or `nil` when none is left. O(log n).
    mutating func next() -> QueuedEvent<Payload>? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let first = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && heap[right].precedes(heap[left]) ? right : left
            guard heap[smaller].precedes(heap[parent]) else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return first
    }
}

/// One message arriving at the server in ``ContentionSimulation``.
struct ContentionEvent {
    /// What arrives.
    enum Kind: UInt8 {
        /// A client's read request: the server notes the version it returns.
        case readArrives
        /// A client's conditional write: it succeeds if the version is unchanged since the read.
        case writeArrives
    }

    /// The client sending it.
    var client: Int32
    /// What arrives.
    var kind: Kind
}

extension EventQueue where Payload == ContentionEvent {
    /// Schedules `client`'s message of `kind` at `time`.
    mutating func schedule(at time: Int64, client: Int, kind: ContentionEvent.Kind) {
        schedule(at: time, ContentionEvent(client: Int32(truncatingIfNeeded: client), kind: kind))
    }
}
