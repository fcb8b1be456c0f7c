public import SlipwayCore

/// What the API and the command line show of pipelines, and what applying one would change.
public enum PipelineGraph {
    /// `{"pipelines": [{"name", "jobs"}]}`.
    public static func list(_ jobs: any JobStore) async throws -> JSONValue {
        var byName: [String: [String]] = [:]
        for job in try await jobs.listJobs() { if let pipeline = job.pipeline { byName[pipeline, default: []].append(job.name) } }
        return .object([("pipelines", .array(byName.keys.sorted().map { name in
            .object([("name", .string(name)), ("jobs", .array(byName[name]!.map { .string($0) }))])
        }))])
    }

    /// The pipeline's steps in order (each after those it runs after), each with its last run.
    /// - Throws: NOT_FOUND for a pipeline with no jobs.
    public static func json(_ name: String, _ jobs: any JobStore) async throws -> JSONValue {
        let members = try await jobs.listJobs().filter { $0.pipeline == name }
        guard !members.isEmpty else { throw SlipwayError.notFound("No pipeline named '\(name)'") }
        // Shown after what they run after and what they require; links outside the pipeline are shown, not followed.
        let inside = Set(members.map(\.name))
        func local(_ links: (Job) -> [String]) -> [Job] {
            members.map { job in
                var step = job
                step.after = links(job).filter(inside.contains)
                step.requires = []
                return step
            }
        }
        let ordered: [Job]
        if let both = try? JobGraph.ordered(local { $0.after + $0.requires }) { ordered = both } else { ordered = try JobGraph.ordered(local(\.after)) }
        var steps: [JSONValue] = []
        for step in ordered {
            let job = members.first { $0.name == step.name }!
            let last = try await jobs.listRuns(job: job.name, maxResults: 1).first
            var fields: [(String, JSONValue)] = []
            if case .object(let jobFields) = job.json { fields = jobFields }
            fields.append(("last_run", last?.json ?? .null))
            steps.append(.object(fields))
        }
        return .object([("name", .string(name)), ("steps", .array(steps))])
    }

    /// What applying `pipeline` would change, without changing it.
    /// - Throws: as applying would for an unknown job in `after` or a cycle.
    public static func plan(_ pipeline: Pipeline, _ jobs: any JobStore) async throws -> PipelineChange {
        let existing = try await jobs.listJobs()
        _ = try JobGraph.ordered(existing.filter { $0.pipeline != pipeline.name } + pipeline.jobs)
        var change = PipelineChange(pipeline: pipeline.name)
        let current = existing.filter { $0.pipeline == pipeline.name }
        for job in pipeline.jobs.sorted(by: { $0.name < $1.name }) {
            if let old = current.first(where: { $0.name == job.name }) {
                if old.sameDefinition(as: job) { change.unchanged.append(job.name) } else { change.changed.append(job.name) }
            } else {
                change.created.append(job.name)
            }
        }
        change.removed = current.map(\.name).filter { name in !pipeline.jobs.contains { $0.name == name } }.sorted()
        return change
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming the job whose program cannot be found.
    public static func checkCommands(_ pipeline: Pipeline, _ runner: JobRunner) throws(SlipwayError) {
        for job in pipeline.jobs where job.kind == .command {
            do {
                try runner.checkCommand(try CommandSpec(json: job.argument))
            } catch {
                throw SlipwayError(error.code, "Pipeline '\(pipeline.name)', job '\(job.name)': \(error.message)")
            }
        }
    }
}
