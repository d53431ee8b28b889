#if HTTP

/// The bookkeeping of an ``HTTPCircuitBreakerPool``, as a value: which breaker serves which
/// authority, how recently each was used, how many calls each has in flight, and what to evict when
/// a new authority arrives at a full pool. Generic over the breaker, so it is tested synchronously
/// with stand-ins.
struct CircuitBreakerPoolState<Breaker: AnyObject> {
    struct Entry {
        var breaker: Breaker
        /// The tick of the entry's last use: larger is more recent.
        var lastUse: UInt64
        /// Calls through the pool that hold the breaker now.
        var inFlight: Int
    }

    /// The most entries kept; at least 1.
    let capacity: Int
    private(set) var entries: [HTTPAuthority: Entry] = [:]
    /// Counts uses, ordering the entries by recency.
    private var tick: UInt64 = 0
    /// Entries evicted to make room for others, ever.
    private(set) var evictions = 0
    /// Breakers handed out without being kept, the pool being full of breakers it may not evict, ever.
    private(set) var overflows = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// The breaker for `authority`: the pooled one, or a new one made by `make` (kept when there is
    /// room, or room can be made by evicting the least recently used entry that `isEvictable` and has
    /// no call in flight; otherwise handed out unkept). Counts a call in flight when `counting`.
    ///
    /// - Returns: The breaker, and whether it is kept in the pool.
    mutating func breaker(
        for authority: HTTPAuthority,
        counting: Bool,
        isEvictable: (Breaker) -> Bool,
        make: () -> Breaker
    ) -> (breaker: Breaker, pooled: Bool) {
        tick &+= 1
        if var entry = entries[authority] {
            entry.lastUse = tick
            if counting { entry.inFlight += 1 }
            entries[authority] = entry
            return (entry.breaker, true)
        }
        if entries.count >= capacity {
            guard let victim = leastRecentlyUsedEvictable(isEvictable) else {
                overflows += 1
                return (make(), false)
            }
            entries[victim] = nil
            evictions += 1
        }
        let breaker = make()
        entries[authority] = Entry(breaker: breaker, lastUse: tick, inFlight: counting ? 1 : 0)
        return (breaker, true)
    }

    /// Ends a call counted by ``breaker(for:counting:isEvictable:make:)``, if `breaker` still serves
    /// `authority`.
    mutating func release(_ authority: HTTPAuthority, breaker: Breaker) {
        guard var entry = entries[authority], entry.breaker === breaker, entry.inFlight > 0 else { return }
        entry.inFlight -= 1
        entries[authority] = entry
    }

    /// Forgets every entry (calls in flight keep the breakers they hold).
    mutating func removeAll() {
        entries.removeAll()
    }

    /// The authorities, most recently used first.
    var authoritiesByRecency: [HTTPAuthority] {
        entries.sorted { $0.value.lastUse > $1.value.lastUse }.map(\.key)
    }

    private func leastRecentlyUsedEvictable(_ isEvictable: (Breaker) -> Bool) -> HTTPAuthority? {
        var victim: (authority: HTTPAuthority, lastUse: UInt64)?
        for (authority, entry) in entries where entry.inFlight == 0 && entry.lastUse < (victim?.lastUse ?? .max) {
            if isEvictable(entry.breaker) { victim = (authority, entry.lastUse) }
        }
        return victim?.authority
    }
}

#endif
