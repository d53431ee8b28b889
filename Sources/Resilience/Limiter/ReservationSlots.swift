/// The permits reserved in each of a run of future time slots (token-bucket periods or sliding-window
/// segments), the first being the slot after the current one.
///
/// Empty, and allocating nothing, while no call waits; only waiting calls add slots.
@usableFromInline
struct ReservationSlots: Sendable {
    /// Reservations per slot; the first slot is at ``head``.
    private var counts: [Int] = []
    private var head = 0
    /// The reservations in every slot.
    @usableFromInline
    private(set) var total = 0

    @usableFromInline
    init() {}

    /// Whether no slot holds a reservation.
    @inlinable
    var isEmpty: Bool { total == 0 }

    /// The slots tracked, from the next one: past the last, no slot holds a reservation.
    var count: Int { counts.count - head }

    /// The reservations in the slot `offset` slots after the next one (0: the next one).
    func reservations(at offset: Int) -> Int {
        offset >= 0 && offset < count ? counts[head + offset] : 0
    }

    /// Moves on by one slot, returning the reservations of the slot that is now current.
    mutating func removeFirst() -> Int {
        guard head < counts.count else { return 0 }
        let first = counts[head]
        head += 1
        total -= first
        if total == 0 {
            counts.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= counts.count {
            counts.removeFirst(head)
            head = 0
        }
        return first
    }

    /// The first slot holding fewer than `perSlot` reservations, as an offset from the next one
    /// (possibly one past the slots tracked).
    func firstSlot(withRoomFor perSlot: Int) -> Int {
        var offset = 0
        while offset < count, counts[head + offset] >= perSlot { offset += 1 }
        return offset
    }

    /// Adds a reservation to the slot `offset` slots after the next one.
    mutating func add(at offset: Int) {
        guard offset >= 0 else { return }
        while count <= offset { counts.append(0) }
        counts[head + offset] += 1
        total += 1
    }

    /// Takes a reservation back from the slot `offset` slots after the next one, if it holds one.
    mutating func remove(at offset: Int) {
        guard offset >= 0, offset < count, counts[head + offset] > 0 else { return }
        counts[head + offset] -= 1
        total -= 1
        if total == 0 {
            counts.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
