/// A scheduled job: what to do (`kind` and its target), when (a cron schedule, UTC).
public struct Job: Sendable, Hashable {
    /// What a job does. New kinds (predict, train, drift) add a case and a runner.
    public enum Kind: String, Sendable, CaseIterable {
        /// Run the target model's promotion policy.
        case promote
        /// Evaluate the target model's production version on a dataset (`argument`: NAME or NAME@VERSION).
        case evaluate
        /// Predict the rows of new input files into a table (`model`: NAME or NAME@ALIAS; `argument`: a ``PredictJobSpec``).
        case predict
        /// Check a monitoring rule of the target model (`argument`: the rule's name).
        case monitor
    }

    public var name: String
    public var kind: Kind
    /// The registered model the job is about (`predict`: NAME@ALIAS too; the alias defaults to production).
    public var model: String
    /// Kind-specific: the dataset for `evaluate`, a ``PredictJobSpec``'s JSON for `predict`, the rule for `monitor`.
    public var argument: String?
    public var schedule: CronSchedule
    public var enabled: Bool
    /// When the scheduler runs it next (milliseconds since the Unix epoch), if ever.
    public var nextRunAt: Int64?
    public var createdAt: Int64

    public init(name: String, kind: Kind, model: String, argument: String? = nil, schedule: CronSchedule, enabled: Bool = true, nextRunAt: Int64?, createdAt: Int64) {
        self.name = name
        self.kind = kind
        self.model = model
        self.argument = argument
        self.schedule = schedule
        self.enabled = enabled
        self.nextRunAt = nextRunAt
        self.createdAt = createdAt
    }

    /// The registered model's name alone: a predict job's `NAME@ALIAS` without its alias.
    public var registeredModel: String {
        guard kind == .predict, let at = model.firstIndex(of: "@") else { return model }
        return String(model[..<at])
    }

    /// - Throws: INVALID_PARAMETER_VALUE for a name that is not a simple identifier, or a missing argument.
    public func validate() throws(SlipwayError) {
        guard !name.isEmpty, name.utf8.count <= 200, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw .invalidParameter("Job names use letters, digits, '-', '_' and '.' (at most 200), got '\(name)'")
        }
        guard !model.isEmpty else { throw .invalidParameter("A job needs the registered model it is about") }
        if kind == .evaluate {
            guard let argument else { throw .invalidParameter("An evaluate job needs a dataset (NAME or NAME@VERSION)") }
            _ = try EvaluationDataset.parseReference(argument)
        }
        if kind == .predict { _ = try PredictJobSpec(json: argument) }
        if kind == .monitor, argument?.isEmpty ?? true { throw .invalidParameter("A monitor job needs the monitoring rule it checks") }
    }
}

/// One run of a job: when, how it ended, how long it took, what it said.
public struct JobRun: Sendable, Hashable {
    public enum Status: String, Sendable, CaseIterable {
        case running, succeeded, failed
        /// Not started: the previous run of the same job was still running.
        case skipped
    }

    public enum Trigger: String, Sendable {
        case schedule, manual
        /// Run as a monitoring rule's action on a breach (`on_breach: job:NAME`).
        case monitor
    }

    public var id: String
    public var job: String
    public var trigger: Trigger
    public var status: Status
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var output: String

    public var durationMilliseconds: Int64? { finishedAt.map { $0 - startedAt } }

    public init(id: String, job: String, trigger: Trigger, status: Status, startedAt: Int64, finishedAt: Int64?, output: String) {
        self.id = id
        self.job = job
        self.trigger = trigger
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.output = output
    }
}

extension Job {
    /// The job as the API returns it (`GET /api/v1/jobs`) and the CLI prints it.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(name)), ("kind", .string(kind.rawValue)), ("model", .string(model))]
        if kind == .predict, let spec = try? PredictJobSpec(json: argument) {
            fields += [("input", .string(spec.input)), ("source_url", spec.sourceURL.map { .string($0) } ?? .null),
                       ("query", spec.query.map { .string($0) } ?? .null), ("watermark", spec.watermark.map { .string($0) } ?? .null),
                       ("id", spec.idColumn.map { .string($0) } ?? .null), ("output_table", .string(spec.outputTable)),
                       ("output_url", spec.outputURL.map { .string($0) } ?? .null)]
        } else {
            // The dataset of an evaluate job, the rule of a monitor job.
            fields.append(("dataset", argument.map { .string($0) } ?? .null))
        }
        return .object(fields + [
            ("schedule", .string(schedule.description)), ("enabled", .bool(enabled)),
            ("next_run_at", nextRunAt.map { .int($0) } ?? .null), ("created_at", .int(createdAt)),
        ])
    }
}

extension JobRun {
    /// The run as the API returns it (`GET /api/v1/jobs/{name}/runs`) and the CLI prints it.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("job", .string(job)), ("trigger", .string(trigger.rawValue)), ("status", .string(status.rawValue)),
            ("started_at", .int(startedAt)), ("finished_at", finishedAt.map { .int($0) } ?? .null),
            ("duration_ms", durationMilliseconds.map { .int($0) } ?? .null), ("output", .string(output)),
        ])
    }
}
