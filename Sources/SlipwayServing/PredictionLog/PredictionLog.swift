public import CoreMetrics
import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore

/// The log of served predictions, as the serving side writes it: a request hands its entry to a
/// bounded in-memory queue and goes on (it never waits on the database); a background service
/// writes the queue to the store in batches. When the queue is full (the store is down or slower
/// than the traffic) new entries are dropped and counted; a batch the store refused goes back to
/// the queue's front while there is room. Graceful shutdown writes what is queued. Old entries are
/// pruned every hour once a retention is set.
public final class PredictionLog: Service, @unchecked Sendable {
    /// Help text of the families this type makes.
    public static let help: [String: String] = [
        "slipway_prediction_log_written_total": "Served predictions written to the prediction log.",
        "slipway_prediction_log_dropped_total": "Served predictions not logged because the log's queue was full.",
        "slipway_prediction_log_queue_depth": "Served predictions waiting to be written to the prediction log.",
    ]

    let store: any PredictionLogStore
    /// Entries the queue holds at most (besides those being written).
    let capacity: Int
    /// The fraction of requests logged (1: all).
    let sample: Double
    /// Entries older than this are pruned (ms); `nil` keeps everything.
    let retention: Int64?
    let flushInterval: Duration
    let logger: Logger
    let written: Counter
    let dropped: Counter
    let depth: Gauge

    private let lock = NSLock()
    private var queue: [ServedPrediction] = []
    private var refusedSince: ContinuousClock.Instant?

    public init(
        store: any PredictionLogStore, sample: Double = 1, capacity: Int = 100_000, retentionDays: Int? = 30,
        flushInterval: Duration = .milliseconds(50), metrics: any MetricsFactory, logger: Logger
    ) {
        self.store = store
        self.sample = min(max(sample, 0), 1)
        self.capacity = max(capacity, 1)
        self.retention = retentionDays.map { Int64($0) * 86_400_000 }
        self.flushInterval = flushInterval
        self.logger = logger
        written = Counter(label: "slipway_prediction_log_written_total", factory: metrics)
        dropped = Counter(label: "slipway_prediction_log_dropped_total", factory: metrics)
        depth = Gauge(label: "slipway_prediction_log_queue_depth", factory: metrics)
    }

    /// Whether this request is logged (the sample); ask before building its entry.
    public var samples: Bool {
        sample >= 1 || (sample > 0 && Double.random(in: 0..<1) < sample)
    }

    /// Queues one entry, or drops and counts it when the queue is full. Never waits.
    public func record(_ entry: ServedPrediction) {
        let accepted = lock.withLock {
            guard queue.count < capacity else { return false }
            queue.append(entry)
            return true
        }
        if !accepted { dropped.increment() }
    }

    /// Entries waiting now.
    public var queued: Int { lock.withLock { queue.count } }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastPrune = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled {
                try await Task.sleep(for: self.flushInterval)
                await self.flush()
                if self.retention != nil, ContinuousClock.now - lastPrune >= .seconds(3600) {
                    lastPrune = ContinuousClock.now
                    await self.prune()
                }
            }
        }
        // Shutting down: write what is queued, while the store takes it.
        while queued > 0, await flush() {}
    }

    /// Writes the queue in batches of up to 5000; false when the store refused a batch (it and
    /// what followed it go back to the queue's front, as far as there is room).
    @discardableResult
    func flush() async -> Bool {
        let taken: [ServedPrediction] = lock.withLock {
            defer { queue.removeAll() }
            return queue
        }
        var start = 0
        while start < taken.count {
            let batch = taken[start..<min(start + 5000, taken.count)]
            do {
                try await store.append(Array(batch))
            } catch {
                let lost = lock.withLock {
                    let rest = taken[start...]
                    let room = max(0, capacity - queue.count)
                    queue.insert(contentsOf: rest.prefix(room), at: 0)
                    return rest.count - min(room, rest.count)
                }
                if lost > 0 { dropped.increment(by: lost) }
                if refusedSince == nil {
                    refusedSince = .now
                    logger.warning("prediction_log.write_failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                depth.record(queued)
                return false
            }
            written.increment(by: batch.count)
            start += batch.count
            if refusedSince != nil {
                logger.info("prediction_log.resumed")
                refusedSince = nil
            }
        }
        depth.record(queued)
        return true
    }

    func prune() async {
        guard let retention else { return }
        do {
            let removed = try await store.prune(before: Int64(Date().timeIntervalSince1970 * 1000) - retention)
            if removed > 0 { logger.info("prediction_log.pruned", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.warning("prediction_log.prune_failed", metadata: ["error": "\(error)"])
        }
    }
}
