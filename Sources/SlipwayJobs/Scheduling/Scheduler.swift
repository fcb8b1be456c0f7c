public import Logging
public import ServiceLifecycle
public import SlipwayCore

/// Runs jobs until shutdown: on their cron schedules, after the jobs they run after, and on the
/// events they answer. Each tick it takes the due jobs, moves each one's next run forward with a
/// compare-and-set (`JobStore.claim`: of several processes sharing the store, one runs it), and
/// runs it in the background; the store refuses a second concurrent run of the same job (recorded
/// as skipped). A job due while the scheduler was down runs once on start, not once per missed
/// time. Triggers by other jobs and by events are claimed the same way (`claimTriggered`), and
/// runs whose process died are marked abandoned.
public struct Scheduler: Service {
    let jobs: any JobStore
    let runner: JobRunner
    let logger: Logger
    let tick: Duration
    let now: @Sendable () -> Int64

    public init(
        jobs: any JobStore, runner: JobRunner, logger: Logger, tick: Duration = .seconds(1),
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.jobs = jobs
        self.runner = runner
        self.logger = logger
        self.tick = tick
        self.now = now
    }

    public func run() async throws {
        // Runs in flight when shutdown begins are allowed to finish.
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                await abandonStale()
                // Claim no more than this process can start now: a claimed run waiting for a slot
                // would be lost with the process, and another server with room can take it.
                let capacity = await runner.slots.free
                let due = await claimDue(limit: capacity)
                for job in due {
                    group.addTask { await execute(job) }
                }
                for (job, trigger) in await claimTriggered(limit: capacity - due.count) {
                    group.addTask { await execute(job, trigger: trigger) }
                }
                try? await Task.sleep(for: tick)
            }
        }
    }

    /// Marks the runs whose process stopped beating abandoned (so that what runs after them is not left waiting).
    func abandonStale() async {
        do {
            for run in try await jobs.abandonStale(at: now(), staleAfter: runner.staleAfter) {
                logger.warning("jobs.abandoned", metadata: ["job": "\(run.job)", "run": "\(run.id)"])
            }
        } catch {
            logger.error("jobs.abandon_failed", metadata: ["error": "\(error)"])
        }
    }

    /// The jobs whose `after` jobs all finished since it last answered them, or with a new event of
    /// its `on` type, that this process won. When one of the jobs it runs after failed or was
    /// skipped, the job is recorded as skipped with the reason, and is not returned.
    public func claimTriggered(limit: Int = .max) async -> [(Job, JobRun.Trigger)] {
        var won: [(Job, JobRun.Trigger)] = []
        guard limit > 0 else { return won }
        do {
            for job in try await jobs.listJobs() where job.enabled && (!job.after.isEmpty || job.onEvent != nil) {
                if won.count >= limit { break }
                if !job.after.isEmpty, try await claimAfter(job, mark: try await jobs.afterMark(name: job.name)) { won.append((job, .after)) }
                // Every event of its type written since it last answered: one run for all of them.
                if job.onEvent != nil, won.count < limit, try await jobs.claimEvent(name: job.name) { won.append((job, .event)) }
            }
        } catch {
            logger.error("jobs.trigger_failed", metadata: ["error": "\(error)"])
        }
        return won
    }

    /// Whether `job` should run now after its upstream jobs (claimed); records it skipped when one failed.
    func claimAfter(_ job: Job, mark: Int64?) async throws -> Bool {
        let latest = try await jobs.latestFinishedRuns(jobs: job.after)
        let fresh = job.after.compactMap { name in latest[name].flatMap { run in (run.finishedAt ?? 0) > (mark ?? Int64.min) ? run : nil } }
        let failed = fresh.filter { $0.status != .succeeded }
        guard fresh.count == job.after.count || !failed.isEmpty, let newest = fresh.compactMap(\.finishedAt).max() else { return false }
        guard try await jobs.claimAfter(name: job.name, expected: mark, next: newest) else { return false }
        guard failed.isEmpty else {
            let reasons = failed.map { "\($0.job) \($0.status == .skipped ? "was skipped" : $0.status.rawValue) (run \($0.id))" }
            let run = try await jobs.recordSkipped(
                job: job.name, trigger: .after, at: now(), output: "skipped: runs after " + reasons.joined(separator: ", "))
            logger.info("jobs.skipped", metadata: ["job": "\(job.name)", "run": "\(run.id)", "reason": "\(run.output)"])
            return false
        }
        return true
    }

    /// The due jobs this process won, at most `limit` (the rest stay due).
    public func claimDue(limit: Int = .max) async -> [Job] {
        let time = now()
        var won: [Job] = []
        guard limit > 0 else { return won }
        do {
            for job in try await jobs.dueJobs(now: time) where won.count < limit {
                guard let expected = job.nextRunAt else { continue }
                if try await jobs.claim(name: job.name, expected: expected, next: job.schedule?.next(after: time)) { won.append(job) }
            }
        } catch {
            logger.error("jobs.claim_failed", metadata: ["error": "\(error)"])
        }
        return won
    }

    public func execute(_ job: Job, trigger: JobRun.Trigger = .schedule) async {
        do {
            let run = try await runner.run(job, trigger: trigger)
            logger.info("jobs.ran", metadata: ["job": "\(job.name)", "status": "\(run.status.rawValue)", "ms": "\(run.durationMilliseconds ?? 0)"])
        } catch {
            logger.error("jobs.run_failed", metadata: ["job": "\(job.name)", "error": "\(error)"])
        }
    }
}
