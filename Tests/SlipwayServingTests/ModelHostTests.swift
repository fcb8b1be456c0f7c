import CoreMetrics
import Foundation
import SlipwayCore
import SlipwayServing
import SlipwayTestSupport
import Synchronization
import Testing

/// The model host as a state machine: each `refreshAll()` is one step, the clock is the test's.
@Suite("Model host: swaps, refusals and retries, on a test clock")
struct ModelHostTests {
    static let start: Int64 = 1_800_000_000_000

    func makeHost(_ source: FakeSource, _ clock: TestClock, events: EventLog) -> ModelHost {
        ModelHost(
            targets: [ServingTarget(name: "churn", alias: "production")], source: source,
            retry: Backoff(baseMilliseconds: 1000, capMilliseconds: 4000), logger: quietLogger(),
            metrics: ServingMetrics(factory: NOOPMetricsHandler.instance), events: events, now: clock.now)
    }

    @Test("A version that fails to load keeps the old one serving, is retried with capped backoff, and recovers once the failure passes")
    func transientFailureRecovers() async throws {
        try await withTemporaryDirectory { directory in
            let source = try FakeSource(directory: directory, versions: [1, 2])
            let clock = TestClock(Self.start)
            let events = EventLog()
            let host = makeHost(source, clock, events: events)

            await host.refreshAll()
            #expect(host.served("churn")?.version.version == 1)
            #expect(host.isReady)
            #expect(events.types == [.servingSwapped])

            // v2 cannot be downloaded (the registry is half-way through a restart, say).
            source.set(alias: 2)
            source.setBroken(2, true)
            await host.refreshAll()
            var status = try #require(host.status("churn"))
            #expect(status.served?.version.version == 1)
            #expect(status.failure?.version == 2 && status.failure?.attempts == 1)
            #expect(status.failure?.retryAt == Self.start + 1000)
            #expect(status.failure?.message.contains("connection reset") == true)
            #expect(source.fetches(2) == 1)
            #expect(events.types == [.servingSwapped, .servingLoadFailed])

            // Within the backoff nothing is tried, however often the host wakes up.
            clock.advance(milliseconds: 999)
            await host.refreshAll()
            await host.refreshAll()
            #expect(source.fetches(2) == 1)

            // Each failure doubles the wait, up to the cap; the event is not repeated.
            var waits: [Int64] = []
            for _ in 0..<4 {
                let retryAt = try #require(host.status("churn")?.failure?.retryAt)
                clock.set(retryAt)
                await host.refreshAll()
                status = try #require(host.status("churn"))
                waits.append(try #require(status.failure?.retryAt) - clock.now())
            }
            #expect(waits == [2000, 4000, 4000, 4000])
            #expect(status.failure?.attempts == 5 && status.failedReloads == 5)
            #expect(source.fetches(2) == 5)
            #expect(host.served("churn")?.version.version == 1)
            #expect(events.types == [.servingSwapped, .servingLoadFailed])

            // The failure passes: the next try after the backoff loads v2.
            source.setBroken(2, false)
            clock.set(try #require(status.failure?.retryAt))
            await host.refreshAll()
            status = try #require(host.status("churn"))
            #expect(status.served?.version.version == 2 && status.failure == nil)
            #expect(events.types == [.servingSwapped, .servingLoadFailed, .servingSwapped])
            #expect(events.last?["attempts"] == .int(6) && events.last?["previous_version"] == .string("1"))
        }
    }

    @Test("A registry that cannot be reached between tries does not reset the backoff or repeat the event; a clock that went back does not stall the retry")
    func backoffSurvivesResolveFailures() async throws {
        try await withTemporaryDirectory { directory in
            let source = try FakeSource(directory: directory, versions: [1, 2])
            let clock = TestClock(Self.start)
            let events = EventLog()
            let host = makeHost(source, clock, events: events)
            await host.refreshAll()
            source.set(alias: 2)
            source.setBroken(2, true)
            await host.refreshAll()
            #expect(host.status("churn")?.retrying?.attempts == 1)

            source.set(alias: nil)  // the registry is unreachable for a moment
            await host.refreshAll()
            #expect(host.status("churn")?.failure?.version == nil && host.status("churn")?.retrying?.version == 2)
            source.set(alias: 2)
            await host.refreshAll()
            #expect(source.fetches(2) == 1)  // still inside the first backoff
            clock.advance(milliseconds: 1000)
            await host.refreshAll()
            #expect(host.status("churn")?.retrying?.attempts == 2 && host.status("churn")?.retrying?.retryAt == clock.now() + 2000)
            #expect(events.types == [.servingSwapped, .servingLoadFailed])

            // The wall clock steps back an hour: the next step tries again instead of waiting an hour.
            clock.advance(milliseconds: -3_600_000)
            await host.refreshAll()
            #expect(source.fetches(2) == 3)
        }
    }

    @Test("A model file that does not load is refused and the reason kept; moving the alias back clears it")
    func corruptModel() async throws {
        try await withTemporaryDirectory { directory in
            let source = try FakeSource(directory: directory, versions: [1, 2])
            try Data("{\"format\": \"slipway-linear\", \"coefficients\": \"nope\"}".utf8).write(to: URL(fileURLWithPath: source.path(2)))
            let clock = TestClock(Self.start)
            let host = makeHost(source, clock, events: EventLog())
            await host.refreshAll()
            source.set(alias: 2)
            await host.refreshAll()
            let failure = try #require(host.status("churn")?.failure)
            #expect(failure.version == 2 && host.served("churn")?.version.version == 1)
            #expect(failure.message.contains("coefficients"), "\(failure.message)")

            source.set(alias: 1)
            await host.refreshAll()
            #expect(host.status("churn")?.failure == nil && host.served("churn")?.version.version == 1)
        }
    }

    @Test("A new alias target is tried at once, whatever backoff the previous one was in")
    func newTargetSkipsBackoff() async throws {
        try await withTemporaryDirectory { directory in
            let source = try FakeSource(directory: directory, versions: [1, 2, 3])
            let clock = TestClock(Self.start)
            let host = makeHost(source, clock, events: EventLog())
            await host.refreshAll()
            source.set(alias: 2)
            source.setBroken(2, true)
            await host.refreshAll()
            #expect(host.status("churn")?.failure?.version == 2)
            source.set(alias: 3)
            await host.refreshAll()
            #expect(host.served("churn")?.version.version == 3 && host.status("churn")?.failure == nil)
        }
    }

    @Test("The run's metrics are read once, when the version loads; a failure to read them does not keep it out of service")
    func runMetricsAtLoad() async throws {
        try await withTemporaryDirectory { directory in
            let source = try FakeSource(directory: directory, versions: [1, 2])
            let host = makeHost(source, TestClock(Self.start), events: EventLog())
            await host.refreshAll()
            await host.refreshAll()
            #expect(source.metricReads == 1)
            #expect(host.served("churn")?.runMetrics.map(\.key) == ["rmse"])

            source.failMetrics()
            source.set(alias: 2)
            await host.refreshAll()
            #expect(host.served("churn")?.version.version == 2 && host.served("churn")?.runMetrics.isEmpty == true)
        }
    }

    @Test("An alias that cannot be resolved keeps the served version; it is asked again at every step")
    func unresolvableAlias() async throws {
        try await withTemporaryDirectory { directory in
            let source = try FakeSource(directory: directory, versions: [1])
            let host = makeHost(source, TestClock(Self.start), events: EventLog())
            await host.refreshAll()
            source.set(alias: nil)
            await host.refreshAll()
            #expect(host.served("churn")?.version.version == 1)
            #expect(host.status("churn")?.failure?.version == nil && host.status("churn")?.failure?.retryAt == nil)
            source.set(alias: 1)
            await host.refreshAll()
            #expect(host.status("churn")?.failure == nil)
        }
    }
}

/// Backoff is pure: doubling from the base, never past the cap, no overflow.
@Suite("Backoff")
struct BackoffTests {
    @Test("Doubles from the base up to the cap")
    func doubles() {
        let backoff = Backoff(baseMilliseconds: 250, capMilliseconds: 5000)
        #expect((1...7).map(backoff.delay(afterFailure:)) == [250, 500, 1000, 2000, 4000, 5000, 5000])
        #expect(backoff.delay(afterFailure: 1_000_000) == 5000)
        #expect(Backoff(baseMilliseconds: 1 << 40, capMilliseconds: .max).delay(afterFailure: 60) == .max)
    }
}

/// A registry of one model whose versions are slipway-linear files; it can point the alias
/// anywhere, fail a version's download, and count what it was asked.
final class FakeSource: ModelSource {
    struct State {
        var alias: Int? = 1
        var broken: Set<Int> = []
        var fetches: [Int: Int] = [:]
        var metricReads = 0
        var metricsFail = false
    }

    let directory: String
    let state = Mutex(State())

    init(directory: String, versions: [Int]) throws {
        self.directory = directory
        for version in versions {
            let model = #"{"format": "slipway-linear", "feature_names": ["a"], "coefficients": [\#(version)], "intercept": 0}"#
            try Data(model.utf8).write(to: URL(fileURLWithPath: path(version)))
        }
    }

    func path(_ version: Int) -> String { "\(directory)/v\(version).json" }
    func set(alias version: Int?) { state.withLock { $0.alias = version } }
    func setBroken(_ version: Int, _ broken: Bool) { state.withLock { if broken { $0.broken.insert(version) } else { $0.broken.remove(version) } } }
    func failMetrics() { state.withLock { $0.metricsFail = true } }
    func fetches(_ version: Int) -> Int { state.withLock { $0.fetches[version] ?? 0 } }
    var metricReads: Int { state.withLock { $0.metricReads } }

    func version(for target: ServingTarget) async throws -> ModelVersion {
        guard let number = state.withLock({ $0.alias }) else { throw SlipwayError.notFound("Registered model alias \(target.alias) not found.") }
        return ModelVersion(
            name: target.name, version: number, creationTimestamp: 0, lastUpdatedTimestamp: 0, currentStage: .none, description: "", userID: "",
            source: "", runID: "run\(number)", runLink: "", status: "READY", modelID: nil, aliases: [target.alias])
    }

    func fetch(_ version: ModelVersion) async throws -> FetchedModel {
        let broken = state.withLock { s -> Bool in
            s.fetches[version.version, default: 0] += 1
            return s.broken.contains(version.version)
        }
        if broken { throw SlipwayError(.temporarilyUnavailable, "Registry is unreachable: connection reset by peer") }
        return FetchedModel(version: version, directory: path(version.version), digest: "sha256:v\(version.version)")
    }

    func changes() -> AsyncStream<String>? { nil }

    func runMetrics(_ runID: String) async throws -> [(key: String, value: Double)] {
        let fail = state.withLock { s -> Bool in
            s.metricReads += 1
            return s.metricsFail
        }
        if fail { throw SlipwayError(.temporarilyUnavailable, "Registry is unreachable") }
        return [("rmse", 0.5)]
    }
}

/// Events the host records, in order.
final class EventLog: EventSink {
    let events = Mutex<[Event]>([])

    func record(_ event: Event) async throws { events.withLock { $0.append(event) } }

    var types: [EventType?] { events.withLock { $0.map(\.knownType) } }
    /// The newest event's data.
    var last: JSONValue? { events.withLock { $0.last.flatMap { try? JSONParser.parse($0.data) } } }
}
