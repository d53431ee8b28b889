/// Runs a batch of receipts in order, at most `concurrency` at once, in a window that slides: receipt
/// `n` starts only once every receipt before `n - concurrency + 1` has ended. So the receipts in
/// flight are always `concurrency` consecutive ones at most, whatever the timing, which is what lets
/// the demo's fault plan say which receipts are in flight around its outage.
struct ReceiptBatch: Sendable {
    /// The receipts, numbered from 0.
    var receipts: Int
    /// The most receipts in flight.
    var concurrency: Int

    /// Processes every receipt with `process`, calling `finished` as each one ends (with the number
    /// ended so far), and returns the results in receipt order. One receipt's failure never stops
    /// the others; cancelling the task ends the receipts in flight as `process` ends them, and
    /// starts no more.
    func run(
        _ process: @escaping @Sendable (Int) async -> ReceiptResult,
        finished: (ReceiptResult, Int) -> Void = { _, _ in }
    ) async -> [ReceiptResult] {
        let count = max(receipts, 0)
        let window = max(concurrency, 1)
        var results = [ReceiptResult?](repeating: nil, count: count)
        return await withTaskGroup(of: ReceiptResult.self, returning: [ReceiptResult].self) { group in
            var next = 0
            var lowestUnfinished = 0
            var done = 0
            while next < count, next < lowestUnfinished + window {
                let receipt = next
                group.addTask { await process(receipt) }
                next += 1
            }
            for await result in group {
                guard results.indices.contains(result.receipt) else { continue }
                results[result.receipt] = result
                done += 1
                finished(result, done)
                while lowestUnfinished < count, results[lowestUnfinished] != nil { lowestUnfinished += 1 }
                while next < count, next < lowestUnfinished + window, !Task.isCancelled {
                    let receipt = next
                    group.addTask { await process(receipt) }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }
}
