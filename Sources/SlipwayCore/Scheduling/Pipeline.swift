/// A pipeline file: named jobs and the links between them, applied as one
/// (`slipway pipelines apply pipeline.yaml`, `PUT /api/v1/pipelines/{name}`). The command line
/// reads the YAML; the server takes the same document as JSON:
///
/// ```yaml
/// pipeline: bikes
/// timezone: America/New_York        # for every schedule below unless a job names its own
/// jobs:
///   ingest:  {command: [python, ingest.py], schedule: "*/15 * * * *", timeout: 300, retries: 2}
///   train:   {command: [python, train.py], after: [ingest], schedule: "0 2 * * *"}
///   promote: {kind: promote, model: bikes, after: [train]}
/// ```
///
/// A job with `command` is a command job (its `cwd`, `env`, `timeout`, `retries` and
/// `retry_backoff` may sit beside it); any other names its `kind` and that kind's fields, as
/// `POST /api/v1/jobs` takes them.
public struct Pipeline: Sendable, Equatable {
    public var name: String
    public var jobs: [Job]

    public init(name: String, jobs: [Job]) {
        self.name = name
        self.jobs = jobs
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming the job and what is wrong with it; a cycle or an
    ///   unknown job in `after` among the pipeline's own jobs is found when it is applied.
    public init(json: JSONValue, at time: Int64) throws(SlipwayError) {
        guard case .object = json else { throw .invalidParameter("A pipeline is a mapping with 'pipeline' (its name) and 'jobs'") }
        guard let name = json["pipeline"]?.stringValue, !name.isEmpty else { throw .invalidParameter("A pipeline needs its name: 'pipeline: NAME'") }
        try Job.validateName(name)
        let known: Set<String> = ["pipeline", "timezone", "jobs", "description"]
        if case .object(let members) = json, let unknown = members.first(where: { !known.contains($0.0) }) {
            throw .invalidParameter("Unknown pipeline field '\(unknown.0)'; a pipeline has \(known.sorted().joined(separator: ", "))")
        }
        guard case .object(let entries)? = json["jobs"], !entries.isEmpty else {
            throw .invalidParameter("Pipeline '\(name)' needs 'jobs': a mapping of job names to what each runs")
        }
        let timezone = json["timezone"]?.stringValue
        var jobs: [Job] = []
        var seen = Set<String>()
        for (jobName, entry) in entries {
            guard seen.insert(jobName).inserted else { throw .invalidParameter("Pipeline '\(name)' declares job '\(jobName)' twice") }
            do {
                var job = try Job(fields: try Self.fields(jobName, entry, timezone: timezone), at: time)
                job.pipeline = name
                jobs.append(job)
            } catch {
                throw .invalidParameter("Pipeline '\(name)', job '\(jobName)': \(error.message)")
            }
        }
        self.init(name: name, jobs: jobs)
    }

    /// The fields `Job(fields:at:)` reads, from one job's entry in the file.
    static func fields(_ name: String, _ entry: JSONValue, timezone: String?) throws(SlipwayError) -> [String: JSONValue] {
        guard case .object(let members) = entry else { throw .invalidParameter("a job is a mapping of its fields") }
        var fields = Dictionary(members, uniquingKeysWith: { $1 })
        let commandFields = ["cwd", "env", "timeout", "retries", "retry_backoff"]
        // `validate: {source, schema}` is a validate job.
        if let validation = fields.removeValue(forKey: "validate") {
            if let kind = fields["kind"]?.stringValue, kind != Job.Kind.validate.rawValue { throw .invalidParameter("'validate' is for validate jobs, not \(kind) jobs") }
            fields["kind"] = .string(Job.Kind.validate.rawValue)
            fields["validation"] = validation
        }
        if let command = fields["command"] {
            if let kind = fields["kind"]?.stringValue, kind != Job.Kind.command.rawValue {
                throw .invalidParameter("'command' is for command jobs, not \(kind) jobs")
            }
            fields["kind"] = .string(Job.Kind.command.rawValue)
            var spec: [(String, JSONValue)] = []
            if case .object(let inner) = command { spec = inner } else { spec = [("command", command)] }
            for key in commandFields { if let value = fields.removeValue(forKey: key) { spec.append((key, value)) } }
            fields["command"] = .object(spec)
        } else if let stray = commandFields.first(where: { fields[$0] != nil }) {
            throw .invalidParameter("'\(stray)' is for command jobs (with 'command')")
        }
        guard fields["kind"] != nil else { throw .invalidParameter("a job needs 'command', 'validate', or a 'kind' (promote, evaluate, predict, monitor)") }
        if fields["schedule"] != nil, fields["timezone"] == nil, let timezone { fields["timezone"] = .string(timezone) }
        // `after` and `requires` may be one name or a list.
        for key in ["after", "requires"] { if case .string(let one)? = fields[key] { fields[key] = .array([.string(one)]) } }
        fields["name"] = .string(name)
        return fields
    }
}

/// What applying a pipeline did: the jobs it created, changed and removed, and those it left as they were.
public struct PipelineChange: Sendable, Equatable {
    public var pipeline: String
    public var created: [String] = []
    public var changed: [String] = []
    public var removed: [String] = []
    public var unchanged: [String] = []

    public init(pipeline: String) {
        self.pipeline = pipeline
    }

    public var isEmpty: Bool { created.isEmpty && changed.isEmpty && removed.isEmpty }

    public var json: JSONValue {
        .object([
            ("pipeline", .string(pipeline)), ("created", .array(created.map { .string($0) })), ("changed", .array(changed.map { .string($0) })),
            ("removed", .array(removed.map { .string($0) })), ("unchanged", .array(unchanged.map { .string($0) })),
        ])
    }
}

extension Job {
    /// Whether two jobs do the same thing at the same times (whatever their run state).
    public func sameDefinition(as other: Job) -> Bool {
        name == other.name && kind == other.kind && model == other.model && argument == other.argument && schedule == other.schedule
            && after == other.after && onEvent == other.onEvent && requires == other.requires && pipeline == other.pipeline && enabled == other.enabled
    }
}
