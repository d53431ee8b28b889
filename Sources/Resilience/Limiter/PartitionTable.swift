/// A limiter's state for one partition, which a ``PartitionTable`` may drop when it is idle.
@usableFromInline
protocol LimiterPartition {
    /// Whether the state, at `now`, is that of a new partition (counts aside), so that dropping it and
    /// making a new one later changes no decision.
    ///
    /// - Parameter now: Nanoseconds since the limiter's origin.
    mutating func isIdle(at now: Int64) -> Bool
}

/// The partitions of a partitioned limiter: one state per key, at most ``maxPartitions`` of them.
///
/// A key without a partition gets a new one while there is room. When the table is full, every idle
/// partition (one whose state is that of a new one: a full bucket, an empty window, no permit in use
/// and nobody waiting) is dropped to make room, which loses nothing; when none is idle, the new key
/// is refused.
@usableFromInline
struct PartitionTable<Key: Hashable, Partition: LimiterPartition> {
    /// Where each key's partition is in ``slots``.
    ///
    /// The states live in an array rather than as the dictionary's values: updating a value in place
    /// through a dictionary's subscript moves it out and back through a coroutine whose frame, for a
    /// state this size, is allocated on every call (three allocations per lookup in the benchmark);
    /// an array element is updated where it lies.
    @usableFromInline
    private(set) var indices: [Key: Int] = [:]
    /// The partitions' states; a slot no key points at is free (its stale state is replaced on reuse).
    @usableFromInline
    private(set) var slots: [Partition] = []
    /// The slots no key points at.
    private var freeSlots: [Int] = []
    /// The most partitions at once; at least 1.
    @usableFromInline
    let maxPartitions: Int
    /// Idle partitions dropped so far.
    @usableFromInline
    private(set) var evictedPartitions: Int64 = 0
    /// Calls refused because their key had no partition and none could be made.
    @usableFromInline
    private(set) var exhaustedRejections: Int64 = 0

    /// An empty table.
    ///
    /// - Parameter maxPartitions: The most partitions at once; values below 1 act as 1.
    @usableFromInline
    init(maxPartitions: Int) {
        self.maxPartitions = max(maxPartitions, 1)
    }

    /// The partitions held.
    @usableFromInline
    var count: Int { indices.count }

    /// Runs `body` on the partition of `key`, in place.
    ///
    /// - Returns: What `body` returns, or `nil` when `key` has no partition.
    @inlinable
    mutating func update<Result>(_ key: Key, _ body: (inout Partition) -> Result) -> Result? {
        guard let index = indices[key] else { return nil }
        return body(&slots[index])
    }

    /// Adds `partition` for `key`, unless another caller added one meanwhile (that one stays), making
    /// room by dropping idle partitions if the table is full.
    ///
    /// - Parameters:
    ///   - partition: A new partition's state.
    ///   - key: Its key.
    ///   - now: Nanoseconds since the limiter's origin, to judge idleness.
    /// - Returns: Whether `key` has a partition now; `false` (counted) when the table is full of busy ones.
    @usableFromInline
    mutating func insert(_ partition: Partition, for key: Key, at now: Int64) -> Bool {
        if indices[key] != nil { return true }
        if indices.count >= maxPartitions { evictIdle(at: now) }
        guard indices.count < maxPartitions else {
            exhaustedRejections &+= 1
            return false
        }
        if let free = freeSlots.popLast() {
            slots[free] = partition
            indices[key] = free
        } else {
            indices[key] = slots.count
            slots.append(partition)
        }
        return true
    }

    /// Drops every idle partition.
    ///
    /// - Parameter now: Nanoseconds since the limiter's origin.
    mutating func evictIdle(at now: Int64) {
        var idle: [Key] = []
        for (key, index) in indices where slots[index].isIdle(at: now) {
            idle.append(key)
        }
        for key in idle {
            if let index = indices.removeValue(forKey: key) { freeSlots.append(index) }
        }
        evictedPartitions &+= Int64(idle.count)
    }

    /// The table's counts.
    @usableFromInline
    var snapshot: PartitionedLimiterSnapshot {
        PartitionedLimiterSnapshot(
            partitions: indices.count,
            maxPartitions: maxPartitions,
            evictedPartitions: evictedPartitions,
            exhaustedRejections: exhaustedRejections
        )
    }
}

extension PartitionTable: Sendable where Key: Sendable, Partition: Sendable {}

extension RateLimiterState: LimiterPartition {}

/// A partitioned limiter's partitions at one moment, for dashboards, health checks and tests.
public struct PartitionedLimiterSnapshot: Hashable, Sendable, CustomStringConvertible {
    /// The partitions held now.
    public var partitions: Int
    /// The most partitions held at once.
    public var maxPartitions: Int
    /// The idle partitions dropped so far to make room for new keys.
    public var evictedPartitions: Int64
    /// The calls refused so far because their key had no partition and the table was full of busy
    /// ones (reason ``LimitExceededError/Reason/partitionsExhausted``).
    public var exhaustedRejections: Int64

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - partitions: The partitions held.
    ///   - maxPartitions: The most partitions held at once.
    ///   - evictedPartitions: The idle partitions dropped so far.
    ///   - exhaustedRejections: The calls refused so far for want of a partition.
    public init(partitions: Int, maxPartitions: Int, evictedPartitions: Int64 = 0, exhaustedRejections: Int64 = 0) {
        self.partitions = partitions
        self.maxPartitions = maxPartitions
        self.evictedPartitions = evictedPartitions
        self.exhaustedRejections = exhaustedRejections
    }

    /// A summary such as `12/1000 partitions, 3 evicted, 0 refused for want of a partition`.
    public var description: String {
        "\(partitions)/\(maxPartitions) partitions, \(evictedPartitions) evicted, \(exhaustedRejections) refused for want of a partition"
    }
}
