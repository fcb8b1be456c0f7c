import Foundation
public import SlipwayCore
import SQLKit

/// Jobs and job runs over SQL.
public struct SQLJobStore: JobStore {
    let database: StoreDatabase

    public init(database: StoreDatabase) {
        self.database = database
    }

    public func createJob(_ job: Job) async throws {
        try job.validate()
        try await database.transaction { db in
            try await database.announce(db, .job, job.name)
            if try await database.first(db, "SELECT 1 AS one FROM jobs WHERE name = \(bind: job.name)") != nil {
                throw SlipwayError(.resourceAlreadyExists, "A job named '\(job.name)' already exists")
            }
            // Every job it runs after exists, and no cycle closes (checked with the others, in the transaction).
            _ = try JobGraph.ordered(try await database.rows(db, "SELECT * FROM jobs\(unsafeRaw: database.forUpdate)").map(Self.job) + [job])
            try await insert(db, job)
        }
    }

    /// Inserts a job (validated, its links checked) in the transaction `db`. It answers upstream
    /// runs and events from now on, not those already recorded.
    func insert(_ db: any SQLDatabase, _ job: Job) async throws {
        try await database.run(db, """
            INSERT INTO jobs (name, kind, model, argument, schedule, timezone, after_jobs, on_event, requires_jobs, pipeline, enabled, next_run_at, created_at,
                              after_mark)
            VALUES (\(bind: job.name), \(bind: job.kind.rawValue), \(bind: job.model), \(bind: job.argument), \(bind: job.schedule?.description ?? ""),
                    \(bind: job.schedule?.timeZone ?? "UTC"), \(bind: job.after.joined(separator: ",")), \(bind: job.onEvent),
                    \(bind: job.requires.joined(separator: ",")), \(bind: job.pipeline), \(bind: job.enabled ? 1 : 0), \(bind: job.nextRunAt),
                    \(bind: job.createdAt), \(bind: job.createdAt))
            """)
    }

    public func getJob(name: String) async throws -> Job {
        let row = try await database.withConnection { db in try await database.first(db, "SELECT * FROM jobs WHERE name = \(bind: name)") }
        guard let row else { throw SlipwayError.notFound("No job named '\(name)'") }
        return try Self.job(row)
    }

    public func listJobs() async throws -> [Job] {
        try await database.withConnection { db in try await database.rows(db, "SELECT * FROM jobs ORDER BY name").map(Self.job) }
    }

    public func deleteJob(name: String) async throws {
        try await database.transaction { db in
            try await database.announce(db, .job, name)
            // Locked, as creating a job that runs after this one locks them: one waits for the other.
            let all = try await database.rows(db, "SELECT * FROM jobs\(unsafeRaw: database.forUpdate)").map(Self.job)
            guard all.contains(where: { $0.name == name }) else { throw SlipwayError.notFound("No job named '\(name)'") }
            for other in all where (other.after + other.requires).contains(name) {
                throw SlipwayError.invalidParameter("Job '\(other.name)' runs after '\(name)': remove it, or change what it runs after, first")
            }
            try await database.run(db, "DELETE FROM jobs WHERE name = \(bind: name)")
            // A new job of this name starts afresh.
            try await database.run(db, "DELETE FROM prediction_job_files WHERE job = \(bind: name)")
            try await database.run(db, "DELETE FROM prediction_job_watermarks WHERE job = \(bind: name)")
        }
    }

    public func dueJobs(now: Int64) async throws -> [Job] {
        try await database.withConnection { db in
            try await database.rows(db, "SELECT * FROM jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= \(bind: now) ORDER BY next_run_at")
                .map(Self.job)
        }
    }

    public func claim(name: String, expected: Int64, next: Int64?) async throws -> Bool {
        try await database.transaction { db in
            try await database.first(db, """
                UPDATE jobs SET next_run_at = \(bind: next) WHERE name = \(bind: name) AND next_run_at = \(bind: expected) RETURNING name
                """) != nil
        }
    }

    public func start(job: String, trigger: JobRun.Trigger, at time: Int64, staleAfter: Int64) async throws -> JobRun {
        try await database.transaction { db in
            // Serializes starts of one job across processes on PostgreSQL; SQLite has one writer.
            guard try await database.first(db, "SELECT name FROM jobs WHERE name = \(bind: job)\(unsafeRaw: database.forUpdate)") != nil else {
                throw SlipwayError.notFound("No job named '\(job)'")
            }
            try await Self.abandon(database, db, job: job, at: time, staleAfter: staleAfter)
            let running = try await database.first(db, "SELECT run_id FROM job_runs WHERE job = \(bind: job) AND status = 'running'")
            let run = JobRun(
                id: IDGenerator.timeOrdered(time), job: job, trigger: trigger, status: running == nil ? .running : .skipped, startedAt: time,
                finishedAt: running == nil ? nil : time,
                output: running.map { "skipped: run \((try? $0.string("run_id")) ?? "?") of this job is still running" } ?? "")
            try await insert(db, run)
            return run
        }
    }

    /// Marks the running runs (of `job`, or of every job) whose heartbeat stopped before `time - staleAfter` abandoned.
    static func abandon(_ database: StoreDatabase, _ db: any SQLDatabase, job: String?, at time: Int64, staleAfter: Int64) async throws -> [JobRun] {
        let filter: SQLQueryString = job.map { "AND job = \(bind: $0)" } ?? ""
        let stale = try await database.rows(db, """
            SELECT * FROM job_runs WHERE status = 'running' \(filter) AND COALESCE(heartbeat_at, started_at) < \(bind: time - staleAfter)
            """).map(Self.run)
        for run in stale {
            try await database.run(db, """
                UPDATE job_runs SET status = 'abandoned', finished_at = \(bind: time),
                    output = \(bind: String(("abandoned: its process stopped beating (killed, or its machine went away)\n" + run.output).prefix(64_000)))
                WHERE run_id = \(bind: run.id) AND status = 'running'
                """)
        }
        return stale
    }

    public func abandonStale(at time: Int64, staleAfter: Int64) async throws -> [JobRun] {
        try await database.transaction { db in try await Self.abandon(database, db, job: nil, at: time, staleAfter: staleAfter) }
    }

    public func heartbeat(runID: String, at time: Int64) async throws {
        try await database.transaction { db in
            try await database.run(db, "UPDATE job_runs SET heartbeat_at = \(bind: time) WHERE run_id = \(bind: runID) AND status = 'running'")
        }
    }

    public func recordSkipped(job: String, trigger: JobRun.Trigger, at time: Int64, output: String) async throws -> JobRun {
        let run = JobRun(id: IDGenerator.timeOrdered(time), job: job, trigger: trigger, status: .skipped, startedAt: time, finishedAt: time, output: output)
        try await database.transaction { db in try await insert(db, run) }
        return run
    }

    func insert(_ db: any SQLDatabase, _ run: JobRun) async throws {
        try await database.run(db, """
            INSERT INTO job_runs (run_id, job, triggered_by, status, started_at, finished_at, output, heartbeat_at)
            VALUES (\(bind: run.id), \(bind: run.job), \(bind: run.trigger.rawValue), \(bind: run.status.rawValue), \(bind: run.startedAt),
                    \(bind: run.finishedAt), \(bind: String(run.output.prefix(64_000))), \(bind: run.startedAt))
            """)
    }

    public func finish(runID: String, status: JobRun.Status, at time: Int64, output: String, details: JSONValue?) async throws {
        try await database.transaction { db in
            // A run marked abandoned meanwhile (its heartbeat lapsed) keeps that verdict.
            try await database.run(db, """
                UPDATE job_runs SET status = \(bind: status.rawValue), finished_at = \(bind: time), output = \(bind: String(output.prefix(64_000))),
                    details = \(bind: details.map(JSONWriter.string))
                WHERE run_id = \(bind: runID) AND status = 'running'
                """)
        }
    }

    public func latestFinishedRuns(jobs: [String]) async throws -> [String: JobRun] {
        guard !jobs.isEmpty else { return [:] }
        return try await database.withConnection { db in
            var latest: [String: JobRun] = [:]
            for job in jobs {
                if let row = try await database.first(db, """
                    SELECT * FROM job_runs WHERE job = \(bind: job) AND status <> 'running' ORDER BY finished_at DESC, run_id DESC LIMIT 1
                    """) {
                    latest[job] = try Self.run(row)
                }
            }
            return latest
        }
    }

    public func claimAfter(name: String, expected: Int64?, next: Int64) async throws -> Bool {
        try await database.transaction { db in
            let guardMark: SQLQueryString = expected.map { "after_mark = \(bind: $0)" } ?? "after_mark IS NULL"
            return try await database.first(db, "UPDATE jobs SET after_mark = \(bind: next) WHERE name = \(bind: name) AND \(guardMark) RETURNING name") != nil
        }
    }

    public func claimEvent(name: String) async throws -> Bool {
        try await database.transaction { db in
            try await database.first(db, """
                UPDATE jobs SET event_claimed = event_count WHERE name = \(bind: name) AND event_claimed < event_count RETURNING name
                """) != nil
        }
    }

    public func afterMark(name: String) async throws -> Int64? {
        let row = try await database.withConnection { db in try await database.first(db, "SELECT after_mark FROM jobs WHERE name = \(bind: name)") }
        guard let row else { throw SlipwayError.notFound("No job named '\(name)'") }
        return try row.optionalInt64("after_mark")
    }

    public func listRuns(job: String, maxResults: Int) async throws -> [JobRun] {
        try await database.withConnection { db in
            try await database.rows(db, """
                SELECT * FROM job_runs WHERE job = \(bind: job) ORDER BY started_at DESC, run_id DESC LIMIT \(bind: min(max(maxResults, 1), 1000))
                """).map(Self.run)
        }
    }

    public func getRun(id: String) async throws -> JobRun {
        let row = try await database.withConnection { db in try await database.first(db, "SELECT * FROM job_runs WHERE run_id = \(bind: id)") }
        guard let row else { throw SlipwayError.notFound("No job run '\(id)'") }
        return try Self.run(row)
    }

    static func run(_ row: StoreRow) throws -> JobRun {
        JobRun(
            id: try row.string("run_id"), job: try row.string("job"), trigger: JobRun.Trigger(rawValue: try row.string("triggered_by")) ?? .manual,
            status: JobRun.Status(rawValue: try row.string("status")) ?? .failed, startedAt: try row.int64("started_at"),
            finishedAt: try row.optionalInt64("finished_at"), output: try row.string("output"),
            details: try row.optionalString("details").flatMap { try? JSONParser.parse($0) })
    }

    public func processedFiles(job: String) async throws -> [ProcessedFile] {
        try await database.withConnection { db in
            try await database.rows(db, "SELECT * FROM prediction_job_files WHERE job = \(bind: job) ORDER BY recorded_at, path").map { row in
                ProcessedFile(
                    path: try row.string("path"), size: try row.int64("size"), modifiedAt: try row.int64("modified_at"), digest: try row.string("digest"),
                    rows: try row.int("rows_read"), runID: try row.string("run_id"))
            }
        }
    }

    public func recordProcessed(job: String, files: [ProcessedFile], at time: Int64) async throws {
        guard !files.isEmpty else { return }
        try await database.transaction { db in
            for file in files {
                try await database.run(db, "DELETE FROM prediction_job_files WHERE job = \(bind: job) AND path = \(bind: file.path)")
                try await database.run(db, """
                    INSERT INTO prediction_job_files (job, path, size, modified_at, digest, rows_read, run_id, recorded_at)
                    VALUES (\(bind: job), \(bind: file.path), \(bind: file.size), \(bind: file.modifiedAt), \(bind: file.digest), \(bind: file.rows),
                            \(bind: file.runID), \(bind: time))
                    """)
            }
        }
    }

    public func watermark(job: String) async throws -> String? {
        try await database.withConnection { db in
            try await database.first(db, "SELECT value FROM prediction_job_watermarks WHERE job = \(bind: job)")?.string("value")
        }
    }

    public func recordWatermark(job: String, value: String, runID: String, at time: Int64) async throws {
        try await database.transaction { db in
            try await database.run(db, "DELETE FROM prediction_job_watermarks WHERE job = \(bind: job)")
            try await database.run(db, """
                INSERT INTO prediction_job_watermarks (job, value, run_id, recorded_at) VALUES (\(bind: job), \(bind: value), \(bind: runID), \(bind: time))
                """)
        }
    }

    static func job(_ row: StoreRow) throws -> Job {
        let schedule = try row.string("schedule")
        func names(_ column: String) throws -> [String] {
            let text = try row.string(column)
            return text.isEmpty ? [] : text.split(separator: ",").map(String.init)
        }
        return Job(
            name: try row.string("name"), kind: Job.Kind(rawValue: try row.string("kind")) ?? .promote, model: try row.string("model"),
            argument: try row.optionalString("argument"),
            schedule: schedule.isEmpty ? nil : try CronSchedule(schedule, timeZone: try row.string("timezone")),
            after: try names("after_jobs"), onEvent: try row.optionalString("on_event"), requires: try names("requires_jobs"),
            pipeline: try row.optionalString("pipeline"), enabled: try row.int("enabled") != 0,
            nextRunAt: try row.optionalInt64("next_run_at"), createdAt: try row.int64("created_at"))
    }
}
