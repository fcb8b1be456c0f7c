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
            if try await database.first(db, "SELECT 1 AS one FROM jobs WHERE name = \(bind: job.name)") != nil {
                throw SlipwayError(.resourceAlreadyExists, "A job named '\(job.name)' already exists")
            }
            try await database.run(db, """
                INSERT INTO jobs (name, kind, model, argument, schedule, enabled, next_run_at, created_at)
                VALUES (\(bind: job.name), \(bind: job.kind.rawValue), \(bind: job.model), \(bind: job.argument), \(bind: job.schedule.description),
                        \(bind: job.enabled ? 1 : 0), \(bind: job.nextRunAt), \(bind: job.createdAt))
                """)
        }
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
            guard try await database.first(db, "SELECT 1 AS one FROM jobs WHERE name = \(bind: name)") != nil else {
                throw SlipwayError.notFound("No job named '\(name)'")
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
            try await database.run(db, """
                UPDATE job_runs SET status = 'failed', finished_at = \(bind: time), output = 'abandoned: still marked running after the stale limit (the process running it died?)'
                WHERE job = \(bind: job) AND status = 'running' AND started_at < \(bind: time - staleAfter)
                """)
            let running = try await database.first(db, "SELECT run_id FROM job_runs WHERE job = \(bind: job) AND status = 'running'")
            let run = JobRun(
                id: IDGenerator.timeOrdered(time), job: job, trigger: trigger, status: running == nil ? .running : .skipped, startedAt: time,
                finishedAt: running == nil ? nil : time,
                output: running.map { "skipped: run \((try? $0.string("run_id")) ?? "?") of this job is still running" } ?? "")
            try await database.run(db, """
                INSERT INTO job_runs (run_id, job, triggered_by, status, started_at, finished_at, output)
                VALUES (\(bind: run.id), \(bind: job), \(bind: trigger.rawValue), \(bind: run.status.rawValue), \(bind: time), \(bind: run.finishedAt), \(bind: run.output))
                """)
            return run
        }
    }

    public func finish(runID: String, status: JobRun.Status, at time: Int64, output: String) async throws {
        try await database.transaction { db in
            try await database.run(db, """
                UPDATE job_runs SET status = \(bind: status.rawValue), finished_at = \(bind: time), output = \(bind: String(output.prefix(64_000)))
                WHERE run_id = \(bind: runID)
                """)
        }
    }

    public func listRuns(job: String, maxResults: Int) async throws -> [JobRun] {
        try await database.withConnection { db in
            try await database.rows(db, """
                SELECT * FROM job_runs WHERE job = \(bind: job) ORDER BY started_at DESC, run_id DESC LIMIT \(bind: min(max(maxResults, 1), 1000))
                """).map { row in
                JobRun(
                    id: try row.string("run_id"), job: try row.string("job"), trigger: JobRun.Trigger(rawValue: try row.string("triggered_by")) ?? .manual,
                    status: JobRun.Status(rawValue: try row.string("status")) ?? .failed, startedAt: try row.int64("started_at"),
                    finishedAt: try row.optionalInt64("finished_at"), output: try row.string("output"))
            }
        }
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
        Job(
            name: try row.string("name"), kind: Job.Kind(rawValue: try row.string("kind")) ?? .promote, model: try row.string("model"),
            argument: try row.optionalString("argument"), schedule: try CronSchedule(try row.string("schedule")), enabled: try row.int("enabled") != 0,
            nextRunAt: try row.optionalInt64("next_run_at"), createdAt: try row.int64("created_at"))
    }
}
