import Logging
import SlipwayCore
import SlipwayJobs
import SlipwayStore
import SlipwayTestSupport
import Testing

@Suite("Scheduler (SQLite in memory, a test clock)")
struct SchedulerTests {
    @Test("A job runs when due, once per due time across two schedulers, and its run is recorded")
    func runsWhenDue() async throws {
        let f = try await Fixture(start: WallClock.milliseconds(rfc3339: "2026-11-24T10:07:30Z")!)
        let (database, registry, jobs, clock, schedulers) = (f.database, f.registry, f.jobs, f.clock, f.schedulers)
        _ = try await registry.createRegisteredModel(name: "churn", tags: [], description: nil)

        let schedule = try CronSchedule("*/5 * * * *")
        let due = schedule.next(after: clock.now())!
        #expect(WallClock.rfc3339(milliseconds: due) == "2026-11-24T10:10:00.000Z")
        try await jobs.createJob(Job(name: "promote-churn", kind: .promote, model: "churn", schedule: schedule, nextRunAt: due, createdAt: clock.now()))
        await expectError(.resourceAlreadyExists) {
            try await jobs.createJob(Job(name: "promote-churn", kind: .promote, model: "churn", schedule: schedule, nextRunAt: due, createdAt: 0))
        }

        #expect(await schedulers[0].claimDue().isEmpty)  // not yet
        clock.set(due + 1500)
        // A process with no free slot claims nothing: the job stays due for one with room.
        #expect(await schedulers[0].claimDue(limit: 0).isEmpty)
        #expect(try await jobs.getJob(name: "promote-churn").nextRunAt == due)
        async let first = schedulers[0].claimDue()
        async let second = schedulers[1].claimDue()
        let claimed = await first + second
        #expect(claimed.map(\.name) == ["promote-churn"])  // one of the two won
        #expect(try await jobs.getJob(name: "promote-churn").nextRunAt == due + 5 * 60_000)
        #expect(await schedulers[0].claimDue().isEmpty)  // claimed: not due again until 10:15

        for job in claimed { await schedulers[0].execute(job) }
        let runs = try await jobs.listRuns(job: "promote-churn", maxResults: 10)
        #expect(runs.count == 1 && runs[0].status == .failed && runs[0].trigger == .schedule)
        #expect(runs[0].output.contains("has no promotion policy"))

        // Down for an hour: the job runs once when it comes back, then keeps to its schedule.
        clock.set(due + 3_600_000)
        #expect(await schedulers[1].claimDue().count == 1)
        #expect(try await jobs.getJob(name: "promote-churn").nextRunAt == due + 3_600_000 + 5 * 60_000)
        try await database.close()
    }

    @Test("No overlapping runs of one job; a run left running past the stale limit is marked abandoned")
    func noOverlap() async throws {
        let database = try await StoreDatabase.open(.sqliteMemory, logger: Logger(label: "test"))
        let jobs = SQLJobStore(database: database)
        try await jobs.createJob(Job(name: "j", kind: .promote, model: "m", schedule: try CronSchedule("0 2 * * *"), nextRunAt: nil, createdAt: 0))
        let first = try await jobs.start(job: "j", trigger: .schedule, at: 1_000, staleAfter: 10_000)
        let second = try await jobs.start(job: "j", trigger: .manual, at: 2_000, staleAfter: 10_000)
        #expect(first.status == .running && second.status == .skipped && second.output.contains(first.id))
        let third = try await jobs.start(job: "j", trigger: .schedule, at: 20_000, staleAfter: 10_000)
        #expect(third.status == .running)
        let runs = try await jobs.listRuns(job: "j", maxResults: 10)
        #expect(runs.map(\.status) == [.running, .skipped, .abandoned] && runs[2].output.hasPrefix("abandoned"))
        try await jobs.finish(runID: third.id, status: .succeeded, at: 21_500, output: "ok")
        #expect(try await jobs.listRuns(job: "j", maxResults: 1)[0].durationMilliseconds == 1_500)
        await expectError(.resourceDoesNotExist) { _ = try await jobs.start(job: "nope", trigger: .manual, at: 0, staleAfter: 1) }
        try await database.close()
    }

    @Test("After and on-event triggers: claimed once across two schedulers; a failed upstream skips the job with the reason")
    func triggers() async throws {
        let f = try await Fixture(start: 1_000_000)
        let (database, events, jobs, schedulers) = (f.database, f.events, f.jobs, f.schedulers)
        try await events.record(Event(type: .modelPromoted, source: "/test", subject: "models/m/versions/1", time: 500, data: .object([])))
        for job in [
            Job(name: "a", kind: .promote, model: "m", schedule: nil, nextRunAt: nil, createdAt: 0),
            Job(name: "b", kind: .promote, model: "m", schedule: nil, after: ["a"], nextRunAt: nil, createdAt: 0),
            Job(name: "c", kind: .promote, model: "m", schedule: nil, onEvent: "ml.model.promoted.v1", nextRunAt: nil, createdAt: 0),
        ] { try await jobs.createJob(job) }
        await expectError(.resourceDoesNotExist) {
            try await jobs.createJob(Job(name: "d", kind: .promote, model: "m", schedule: nil, after: ["ghost"], nextRunAt: nil, createdAt: 0))
        }
        // Nothing yet: a has never run, and the event came before c.
        #expect(await schedulers[0].claimTriggered().isEmpty)

        func finishA(_ status: JobRun.Status, at time: Int64) async throws {
            let run = try await jobs.start(job: "a", trigger: .manual, at: time - 10, staleAfter: 60_000)
            try await jobs.finish(runID: run.id, status: status, at: time, output: "")
        }
        try await finishA(.succeeded, at: 2_000_000)
        try await events.record(Event(type: .modelPromoted, source: "/test", subject: "models/m/versions/2", time: 2_000_001, data: .object([])))
        async let first = schedulers[0].claimTriggered()
        async let second = schedulers[1].claimTriggered()
        let won = await first + second
        #expect(won.map { "\($0.0.name):\($0.1.rawValue)" }.sorted() == ["b:after", "c:event"])
        #expect(await schedulers[1].claimTriggered().isEmpty)  // answered
        // A job added now answers what a runs from now on, not its run before.
        try await jobs.createJob(Job(name: "e", kind: .promote, model: "m", schedule: nil, after: ["a"], nextRunAt: nil, createdAt: 2_500_000))
        #expect(await schedulers[0].claimTriggered().isEmpty)

        try await finishA(.failed, at: 3_000_000)
        #expect(await schedulers[0].claimTriggered().isEmpty)
        let skipped = try await jobs.listRuns(job: "b", maxResults: 10)
        #expect(skipped.count == 1 && skipped[0].status == .skipped && skipped[0].output.contains("runs after a failed"))
        #expect(try await jobs.listRuns(job: "e", maxResults: 10).map(\.status) == [.skipped])
        #expect(await schedulers[1].claimTriggered().isEmpty)  // skipped once
        await expectError(.invalidParameterValue) { try await jobs.deleteJob(name: "a") }
        try await database.close()
    }
}

/// Two schedulers on one store in memory, with a test clock.
struct Fixture {
    let database: StoreDatabase
    let registry: SQLRegistryStore
    let events: SQLEventStore
    let jobs: SQLJobStore
    let clock: TestClock
    let schedulers: [Scheduler]

    init(start: Int64) async throws {
        database = try await StoreDatabase.open(.sqliteMemory, logger: Logger(label: "test"))
        registry = SQLRegistryStore(database: database)
        let tracking = SQLTrackingStore(database: database)
        events = SQLEventStore(database: database)
        jobs = SQLJobStore(database: database)
        clock = TestClock(start)
        let evaluator = Evaluator(
            evaluations: SQLEvaluationStore(database: database, events: events), registry: registry, tracking: tracking,
            artifacts: try FileArtifactRepository(root: "/tmp/slipway-scheduler-test", database: database), modelFiles: NoModelFiles())
        let promoter = Promoter(
            registry: registry, tracking: tracking, promotions: SQLPromotionStore(database: database, registry: registry, events: events),
            evaluator: evaluator, now: clock.now)
        let runner = JobRunner(jobs: jobs, promoter: promoter, evaluator: evaluator, now: clock.now)
        schedulers = (0..<2).map { [jobs, clock] _ in Scheduler(jobs: jobs, runner: runner, logger: Logger(label: "test"), now: clock.now) }
    }
}

/// Model files for a scheduler that never loads a model.
struct NoModelFiles: ModelVersionFiles {
    func verifiedFiles(_ version: ModelVersion) async throws -> VerifiedModelFiles {
        throw SlipwayError.notFound("No model files in this test")
    }
}

@Suite("Job slots")
struct JobSlotsTests {
    @Test("A run holds a slot while it runs; the next waits for it and takes it over")
    func slots() async throws {
        let slots = JobSlots(limit: 1)
        #expect(await slots.free == 1)
        let (started, go) = AsyncStream.makeStream(of: Void.self)
        let (releasing, release) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            await slots.withSlot {
                go.yield()
                for await _ in releasing { break }
            }
        }
        for await _ in started { break }
        #expect(await slots.free == 0)
        let second = Task { await slots.withSlot { 2 } }
        release.yield()
        await first.value
        #expect(await second.value == 2)
        #expect(await slots.free == 1)
    }
}
