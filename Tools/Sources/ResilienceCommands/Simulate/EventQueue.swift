/// One message arriving at the server in ``ContentionSimulation``.
struct ContentionEvent: Comparable {
    /// What arrives.
    enum Kind: UInt8 {
        /// A client's read request: the server notes the version it returns.
        case readArrives
        /// A client's conditional write: it succeeds if the version is unchanged since the read.
        case writeArrives
    }

    /// When it arrives, in nanoseconds from the start.
    var time: Int64
    /// The order in which events were scheduled: the tie-break between events at the same time.
    var sequence: UInt64
    /// The client sending it.
    var client: Int32
    /// What arrives.
    var kind: Kind

    static func < (lhs: ContentionEvent, rhs: ContentionEvent) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.sequence < rhs.sequence
    }

    static func == (lhs: ContentionEvent, rhs: ContentionEvent) -> Bool {
        lhs.time == rhs.time && lhs.sequence == rhs.sequence
    }
}

/// A discrete-event queue: a binary min-heap ordered by time, then by the order events were scheduled.
///
/// The tie-break makes a run a pure function of its random draws: two events at the same nanosecond
/// are processed in the order they were scheduled, on every platform and every run.
struct EventQueue {
    private var heap: [ContentionEvent] = []
    private var nextSequence: UInt64 = 0

    /// Creates an empty queue with room for `capacity` events.
    init(capacity: Int) {
        heap.reserveCapacity(capacity)
    }

    /// The number of events waiting.
    var count: Int { heap.count }

    /// Schedules an event. O(log n).
    mutating func schedule(at time: Int64, client: Int, kind: ContentionEvent.Kind) {
        heap.append(ContentionEvent(time: time, sequence: nextSequence, client: Int32(truncatingIfNeeded: client), kind: kind))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest event, or `nil` when none is left. O(log n).
    mutating func next() -> ContentionEvent? {
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
            let smaller = right < count && heap[right] < heap[left] ? right : left
            guard heap[smaller] < heap[parent] else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return first
    }
}
