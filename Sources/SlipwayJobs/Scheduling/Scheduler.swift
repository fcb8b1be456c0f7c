public import Logging
public import ServiceLifecycle
public import SlipwayCore

/// Runs jobs on their cron schedules until shutdown. Each tick it takes the due jobs, moves each
/// one's next run forward with a compare-and-set (`JobStore.claim`: of several processes sharing
/// the store, one runs it), and runs it in the background; the store refuses a second concurrent
/// run of the same job (recorded as skipped). A job due while the scheduler was down runs once on
/// start, not once per missed time.
public struct Scheduler: Service {
    let jobs: any JobStore
    let runner: JobRunner
    let logger: Logger
    let tick: Duration
    let now: @Sendable () -> Int64

    public init(jobs: any JobStore, runner: JobRunner, logger: Logger, tick: Duration = .seconds(1), now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
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
                for job in await claimDue() {
                    group.addTask { await execute(job) }
                }
                try? await Task.sleep(for: tick)
            }
        }
    }

    /// The due jobs this process won (tests call it with a stepping clock).
    public func claimDue() async -> [Job] {
        let time = now()
        var won: [Job] = []
        do {
            for job in try await jobs.dueJobs(now: time) {
                guard let expected = job.nextRunAt else { continue }
                if try await jobs.claim(name: job.name, expected: expected, next: job.schedule.next(after: time)) { won.append(job) }
            }
        } catch {
            logger.error("jobs.claim_failed", metadata: ["error": "\(error)"])
        }
        return won
    }

    public func execute(_ job: Job) async {
        do {
            let run = try await runner.run(job, trigger: .schedule)
            logger.info("jobs.ran", metadata: ["job": "\(job.name)", "status": "\(run.status.rawValue)", "ms": "\(run.durationMilliseconds ?? 0)"])
        } catch {
            logger.error("jobs.run_failed", metadata: ["job": "\(job.name)", "error": "\(error)"])
        }
    }
}
