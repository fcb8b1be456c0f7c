import Dispatch
import Foundation

/// Splits a batch of rows across threads: one contiguous range per thread, each large enough
/// that a thread's start-up costs less than its work. Small batches stay on the calling thread.
enum RowPartition {
    /// Rows a thread must have before another thread is worth starting.
    static let minimumRowsPerThread = 2048

    /// The thread count for `rows` rows: `requested` when positive, else every active core.
    static func threadCount(rows: Int, requested: Int) -> Int {
        let wanted = requested > 0 ? requested : ProcessInfo.processInfo.activeProcessorCount
        return max(1, min(wanted, rows / minimumRowsPerThread))
    }

    /// Calls `body` once per range, concurrently when there are several; returns when all are done.
    static func run(rows: Int, threads requested: Int, _ body: (Range<Int>) -> Void) {
        let threads = threadCount(rows: rows, requested: requested)
        if threads == 1 {
            body(0..<rows)
            return
        }
        withoutActuallyEscaping(body) { body in
            // Each part writes only its own rows; the caller waits for all of them.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                body((rows * part / threads)..<(rows * (part + 1) / threads))
            }
        }
    }
}

/// Rows are evaluated in blocks: a block's features and per-row positions stay in the L1 cache
/// while every tree walks them level by level, and each tree is brought into the cache once per
/// block: 256 rows of up to 9 features (a block then holds about 18 KB), 64 rows of 36 or more.
func evaluationBlockRows(columns: Int) -> Int {
    max(64, min(256, 2304 / max(columns, 1)))
}
