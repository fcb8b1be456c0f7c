public import SlipwayCore
import SQLKit

/// Pipelines: a file's jobs applied as one, in one transaction.
extension SQLJobStore {
    public func applyPipeline(_ pipeline: Pipeline, at time: Int64) async throws -> PipelineChange {
        for job in pipeline.jobs { try job.validate() }
        return try await database.transaction { db in
            try await database.announce(db, .job, "pipeline:" + pipeline.name)
            let all = try await database.rows(db, "SELECT * FROM jobs\(unsafeRaw: database.forUpdate)").map(Self.job)
            let current = Dictionary(all.filter { $0.pipeline == pipeline.name }.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            let others = all.filter { $0.pipeline != pipeline.name }
            let wanted = Set(pipeline.jobs.map(\.name))
            for job in pipeline.jobs {
                if let holder = others.first(where: { $0.name == job.name }) {
                    let owner = holder.pipeline.map { "pipeline '\($0)'" } ?? "no pipeline (it was added by hand)"
                    throw SlipwayError.invalidParameter("Job '\(job.name)' already exists and belongs to \(owner); rename it in the file, or remove it first")
                }
            }
            let removed = current.keys.filter { !wanted.contains($0) }.sorted()
            for other in others {
                if let gone = (other.after + other.requires).first(where: removed.contains) {
                    throw SlipwayError.invalidParameter("Job '\(other.name)' runs after '\(gone)', which pipeline '\(pipeline.name)' no longer has")
                }
            }
            // Every link resolves and none closes a cycle, with the jobs as they will be.
            _ = try JobGraph.ordered(others + pipeline.jobs)

            var change = PipelineChange(pipeline: pipeline.name)
            for job in pipeline.jobs.sorted(by: { $0.name < $1.name }) {
                guard let existing = current[job.name] else {
                    try await insert(db, job)
                    change.created.append(job.name)
                    continue
                }
                if existing.sameDefinition(as: job) {
                    change.unchanged.append(job.name)
                    continue
                }
                // A schedule that changed is planned anew; one that did not keeps its next run. New
                // links answer what happens from now on.
                let next = existing.schedule == job.schedule ? existing.nextRunAt : job.schedule?.next(after: time)
                if existing.after != job.after {
                    try await database.run(db, "UPDATE jobs SET after_mark = \(bind: time) WHERE name = \(bind: job.name)")
                }
                if existing.onEvent != job.onEvent {
                    try await database.run(db, "UPDATE jobs SET event_count = 0, event_claimed = 0 WHERE name = \(bind: job.name)")
                }
                try await database.run(db, """
                    UPDATE jobs SET kind = \(bind: job.kind.rawValue), model = \(bind: job.model), argument = \(bind: job.argument),
                        schedule = \(bind: job.schedule?.description ?? ""), timezone = \(bind: job.schedule?.timeZone ?? "UTC"),
                        after_jobs = \(bind: job.after.joined(separator: ",")), on_event = \(bind: job.onEvent),
                        requires_jobs = \(bind: job.requires.joined(separator: ",")), enabled = \(bind: job.enabled ? 1 : 0),
                        next_run_at = \(bind: next)
                    WHERE name = \(bind: job.name)
                    """)
                change.changed.append(job.name)
            }
            for name in removed {
                try await database.run(db, "DELETE FROM jobs WHERE name = \(bind: name)")
                try await database.run(db, "DELETE FROM prediction_job_files WHERE job = \(bind: name)")
                try await database.run(db, "DELETE FROM prediction_job_watermarks WHERE job = \(bind: name)")
            }
            change.removed = removed
            if !change.isEmpty {
                var data = change.json
                if case .object(var members) = data { members.removeAll { $0.0 == "unchanged" }; data = .object(members) }
                try await Outbox.append(database, db, Event(
                    type: .pipelineApplied, source: "/slipway/pipelines", subject: "pipelines/\(pipeline.name)", time: time, data: data))
            }
            return change
        }
    }
}
