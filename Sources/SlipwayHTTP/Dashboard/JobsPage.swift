import SlipwayCore

/// What the jobs page shows, as `GET /api/v1/jobs/overview` answers it: every job with its
/// schedule, next run and recent runs (newest first), the jobs whose last run failed first.
struct JobsPage: Sendable {
    let jobs: any JobStore

    /// - Parameter visible: whether the caller may see a model (its jobs are left out otherwise).
    func json(now: Int64, runs: Int = 20, visible: @Sendable (String) async throws -> Bool = { _ in true }) async throws -> JSONValue {
        var rows: [(failed: Bool, name: String, json: JSONValue)] = []
        for job in try await jobs.listJobs() where try await visible(job.registeredModel) {
            let history = try await jobs.listRuns(job: job.name, maxResults: runs)
            let failed = history.first?.status == .failed
            rows.append((failed, job.name, .object([
                ("name", .string(job.name)), ("kind", .string(job.kind.rawValue)), ("model", .string(job.model)),
                ("argument", job.argument.map { .string($0) } ?? .null), ("schedule", .string(job.schedule?.description ?? "")),
                ("enabled", .bool(job.enabled)), ("next_run_at", Overview.time(job.nextRunAt)), ("failing", .bool(failed)),
                ("runs", .array(history.map { run in
                    .object([
                        ("id", .string(run.id)), ("trigger", .string(run.trigger.rawValue)), ("status", .string(run.status.rawValue)),
                        ("failed", .bool(run.status == .failed)), ("started_at", Overview.time(run.startedAt)),
                        ("duration_ms", run.durationMilliseconds.map(JSONValue.int) ?? .null), ("output", .string(run.output)),
                    ])
                })),
            ])))
        }
        rows.sort { ($0.failed ? 0 : 1, $0.name) < ($1.failed ? 0 : 1, $1.name) }
        return .object([("generated_at", Overview.time(now)), ("jobs", .array(rows.map(\.json)))])
    }
}
