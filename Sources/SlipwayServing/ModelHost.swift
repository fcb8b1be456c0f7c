import Foundation
public import Logging
public import ServiceLifecycle
public import SlipwayCore
import SlipwayModels
import Synchronization

/// Serves the versions behind the configured aliases. When an alias moves it loads the new version
/// beside the old one, verifies its files, runs a smoke prediction, and only then swaps: requests
/// already holding the old `ServedModel` finish on it. A version that fails any step is not served;
/// the old one stays, the failure is reported in `status`, and the version is tried again after a
/// capped exponential backoff (`retry`), so a transient failure (a download, a full disk) heals
/// without the alias having to move.
public final class ModelHost: Service, Sendable {
    public let targets: [ServingTarget]
    public let source: any ModelSource
    let pollInterval: Duration
    /// How long a version that failed to load waits before the next try.
    let retry: Backoff
    let logger: Logger
    let metrics: ServingMetrics
    /// Where swaps and failed loads are recorded, as `serving.swapped` and `serving.load_failed` events.
    let events: (any EventSink)?
    /// This process, as the events' CloudEvents `source`.
    let eventSource: String
    let now: @Sendable () -> Int64
    let state: Mutex<[String: ServingStatus]>
    let wakeup = Wakeup()

    public init(
        targets: [ServingTarget], source: any ModelSource, pollInterval: Duration = .milliseconds(500),
        retry: Backoff = Backoff(baseMilliseconds: 1000, capMilliseconds: 60_000), logger: Logger,
        metrics: ServingMetrics, events: (any EventSink)? = nil, eventSource: String = "/slipway/serving", now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.targets = targets
        self.source = source
        self.pollInterval = pollInterval
        self.retry = retry
        self.logger = logger
        self.metrics = metrics
        self.events = events
        self.eventSource = eventSource
        self.now = now
        self.state = Mutex(Dictionary(uniqueKeysWithValues: targets.map { ($0.name, ServingStatus(target: $0)) }))
    }

    /// The version serving `name` now, if one is loaded.
    public func served(_ name: String) -> ServedModel? {
        state.withLock { $0[name]?.served }
    }

    public func status(_ name: String) -> ServingStatus? {
        state.withLock { $0[name] }
    }

    public var statuses: [ServingStatus] {
        let all = state.withLock { $0 }
        return targets.compactMap { all[$0.name] }
    }

    /// Ready when every configured model has a version loaded.
    public var isReady: Bool {
        state.withLock { states in targets.allSatisfy { states[$0.name]?.served != nil } }
    }

    /// Checks every target now, then whenever the source pushes a change or the poll interval passes.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            if let changes = source.changes() {
                group.addTask { [wakeup] in
                    for await _ in changes { wakeup.signal() }
                }
            }
            group.addTask { [wakeup, pollInterval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    wakeup.signal()
                }
            }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await self.refreshAll()
                    await self.wakeup.wait()
                }
            }
            group.cancelAll()
        }
    }

    /// One pass over every target (the loop's body; tests call it directly).
    public func refreshAll() async {
        for target in targets { await refresh(target) }
    }

    func refresh(_ target: ServingTarget) async {
        let current = state.withLock { $0[target.name] }
        let version: ModelVersion
        do {
            version = try await source.version(for: target)
        } catch {
            // Alias gone or registry unreachable: keep serving what we have, ask again at the next poll.
            let failure = ServingStatus.Failure(version: nil, message: "Cannot resolve \(target): \(Self.describe(error))", at: now())
            state.withLock { $0[target.name]?.failure = failure }
            return
        }
        if current?.served?.version.version == version.version {
            if current?.failure != nil || current?.retrying != nil {  // the alias came back to what we serve
                state.withLock {
                    $0[target.name]?.failure = nil
                    $0[target.name]?.retrying = nil
                }
            }
            return
        }
        let earlier = current?.retrying.flatMap { $0.version == version.version ? $0 : nil }
        // Failed recently: wait out the backoff (a wait longer than the cap means the clock went back).
        if let retryAt = earlier?.retryAt, case let wait = retryAt - now(), wait > 0, wait <= retry.cap { return }
        do {
            let model = try await load(target, version)
            let replaced = state.withLock { states -> ServedModel? in
                let old = states[target.name]?.served
                states[target.name]?.served = model
                states[target.name]?.failure = nil
                states[target.name]?.retrying = nil
                states[target.name]?.reloads += 1
                return old
            }
            replaced?.metrics.retire()
            metrics.reloaded(target, succeeded: true)
            logger.info("serving.swapped", metadata: ["model": "\(target)", "version": "\(version.version)", "digest": "\(model.digest)"])
            await record(.servingSwapped, target, version: version.version, [
                ("previous_version", replaced.map { .string(String($0.version.version)) } ?? .null), ("digest", .string(model.digest)),
                ("attempts", .int((earlier?.attempts ?? 0) + 1)),
            ])
        } catch {
            let time = now()
            let attempts = (earlier?.attempts ?? 0) + 1
            let failure = ServingStatus.Failure(
                version: version.version, message: Self.describe(error), at: time, attempts: attempts, retryAt: time + retry.delay(afterFailure: attempts))
            state.withLock {
                $0[target.name]?.failure = failure
                $0[target.name]?.retrying = failure
                $0[target.name]?.failedReloads += 1
            }
            metrics.reloaded(target, succeeded: false)
            logger.error("serving.load_failed", metadata: [
                "model": "\(target)", "version": "\(version.version)", "error": "\(failure.message)", "attempt": "\(attempts)",
            ])
            // Announced once per version; the retries show in `status` and the reload metrics.
            if attempts == 1 {
                let serving = current?.served.map { JSONValue.string(String($0.version.version)) } ?? .null
                await record(.servingLoadFailed, target, version: version.version, [("error", .string(failure.message)), ("serving_version", serving)])
            }
        }
    }

    /// Fetches, verifies, loads and smoke-tests a version; reads its run's metrics once.
    func load(_ target: ServingTarget, _ version: ModelVersion) async throws -> ServedModel {
        let fetched = try await source.fetch(version)
        // Loading blocks for as long as the model takes (seconds for a large forest or a Python
        // worker importing mlflow): a thread of its own, so the cooperative pool keeps serving.
        let predictor = try await Self.offPool {
            let predictor = try ModelLoader.load(path: fetched.directory)
            try SmokeTest.run(predictor, directory: fetched.directory)
            return predictor
        }
        let runMetrics: [(key: String, value: Double)]
        do {
            runMetrics = version.runID.isEmpty ? [] : try await source.runMetrics(version.runID)
        } catch {
            // The model is good; its run's metrics are a nicety that must not keep it out of service.
            logger.warning("serving.run_metrics_unavailable", metadata: ["model": "\(target)", "version": "\(version.version)", "error": "\(Self.describe(error))"])
            runMetrics = []
        }
        return ServedModel(
            target: target, version: version, predictor: predictor, digest: fetched.digest, loadedAt: now(), runMetrics: runMetrics,
            metrics: metrics.loaded(target, version: version.version, digest: fetched.digest))
    }

    /// Records an event about `target`'s version; a sink that fails is logged, never fatal to serving.
    func record(_ type: EventType, _ target: ServingTarget, version: Int, _ details: [(String, JSONValue)]) async {
        guard let events else { return }
        let data = JSONValue.object([("model_name", .string(target.name)), ("alias", .string(target.alias)), ("version", .string(String(version)))] + details)
        let event = Event(type: type, source: eventSource, subject: "models/\(target.name)/versions/\(version)", time: now(), data: data)
        do {
            try await events.record(event)
        } catch {
            logger.warning("serving.event_not_recorded", metadata: ["type": "\(type)", "error": "\(Self.describe(error))"])
        }
    }

    /// Runs blocking `work` on a dispatch thread and waits for it without holding a cooperative one.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? SlipwayError)?.message ?? "\(error)"
    }
}

/// A wake-up call that is never lost: a signal with no waiter is kept for the next wait.
final class Wakeup: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            signal()
        }
    }
}
