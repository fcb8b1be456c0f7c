/// A job: what to do (`kind` and its target), and when: on a cron schedule read in a time zone,
/// after other jobs succeed (`after`), on an event (`onEvent`), or by hand. A pipeline file may
/// have declared it (`pipeline`).
public struct Job: Sendable, Hashable {
    /// What a job does.
    public enum Kind: String, Sendable, CaseIterable {
        /// Run the target model's promotion policy.
        case promote
        /// Evaluate the target model's production version on a dataset (`argument`: NAME or NAME@VERSION).
        case evaluate
        /// Predict the rows of new input files into a table (`model`: NAME or NAME@ALIAS; `argument`: a ``PredictJobSpec``).
        case predict
        /// Check a monitoring rule of the target model (`argument`: the rule's name).
        case monitor
        /// Run a program (`argument`: a ``CommandSpec``): an ingestion or training script.
        case command
        /// Check a CSV file or a dataset against a schema (`argument`: a ``ValidationSpec``).
        case validate

        /// Whether the job is about a registered model (`model` names it).
        public var isAboutModel: Bool { self != .command && self != .validate }
    }

    public var name: String
    public var kind: Kind
    /// The registered model the job is about (`predict`: NAME@ALIAS too; the alias defaults to
    /// production); empty for `command` and `validate` jobs.
    public var model: String
    /// Kind-specific: the dataset for `evaluate`, a ``PredictJobSpec``'s JSON for `predict`, the rule
    /// for `monitor`, a ``CommandSpec``'s JSON for `command`, a ``ValidationSpec``'s for `validate`.
    public var argument: String?
    /// When it runs on the clock; nil: only after other jobs, on an event, or by hand.
    public var schedule: CronSchedule?
    /// Jobs whose success starts this one: it runs once each has succeeded since its last run, and
    /// is skipped (with the reason) when one of them failed or was skipped.
    public var after: [String]
    /// An event type (`ml.model.drift_detected.v1`) each new event of which starts this job.
    public var onEvent: String?
    /// Jobs whose latest run must have succeeded for this one to run (a predict or promote step
    /// requiring a passing validation); otherwise its run fails, saying which did not pass.
    public var requires: [String]
    /// The pipeline (file) that declared the job, if one did.
    public var pipeline: String?
    public var enabled: Bool
    /// When the scheduler runs it next (milliseconds since the Unix epoch), if ever.
    public var nextRunAt: Int64?
    public var createdAt: Int64

    public init(
        name: String, kind: Kind, model: String, argument: String? = nil, schedule: CronSchedule?, after: [String] = [], onEvent: String? = nil,
        requires: [String] = [], pipeline: String? = nil, enabled: Bool = true, nextRunAt: Int64?, createdAt: Int64
    ) {
        self.name = name
        self.kind = kind
        self.model = model
        self.argument = argument
        self.schedule = schedule
        self.after = after
        self.onEvent = onEvent
        self.requires = requires
        self.pipeline = pipeline
        self.enabled = enabled
        self.nextRunAt = nextRunAt
        self.createdAt = createdAt
    }

    /// The registered model's name alone: a predict job's `NAME@ALIAS` without its alias.
    public var registeredModel: String {
        guard kind == .predict, let at = model.firstIndex(of: "@") else { return model }
        return String(model[..<at])
    }

    /// - Throws: INVALID_PARAMETER_VALUE for a name that is not a simple identifier, a missing or
    /// malformed argument, an `after` list naming the job itself or twice, an unknown event type.
    public func validate() throws(SlipwayError) {
        try Self.validateName(name)
        if kind.isAboutModel {
            guard !model.isEmpty else { throw .invalidParameter("A \(kind.rawValue) job needs the registered model it is about") }
        } else if !model.isEmpty {
            throw .invalidParameter("A \(kind.rawValue) job is not about a registered model; leave 'model' out")
        }
        if kind == .evaluate {
            guard let argument else { throw .invalidParameter("An evaluate job needs a dataset (NAME or NAME@VERSION)") }
            _ = try EvaluationDataset.parseReference(argument)
        }
        if kind == .predict { _ = try PredictJobSpec(json: argument) }
        if kind == .monitor, argument?.isEmpty ?? true { throw .invalidParameter("A monitor job needs the monitoring rule it checks") }
        if kind == .command { _ = try CommandSpec(json: argument) }
        if kind == .validate { _ = try ValidationSpec(json: argument) }
        var seen = Set<String>()
        for upstream in after {
            try Self.validateName(upstream)
            guard upstream != name else { throw .invalidParameter("Job '\(name)' cannot run after itself") }
            guard seen.insert(upstream).inserted else { throw .invalidParameter("Job '\(name)' names '\(upstream)' twice in 'after'") }
        }
        for required in requires {
            try Self.validateName(required)
            guard required != name else { throw .invalidParameter("Job '\(name)' cannot require itself") }
        }
        if let onEvent {
            guard EventType(named: onEvent) != nil else {
                throw .invalidParameter("Unknown event type '\(onEvent)' for 'on'; one of: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    /// - Throws: INVALID_PARAMETER_VALUE unless `name` is letters, digits, '-', '_' and '.' (at most 200).
    public static func validateName(_ name: String) throws(SlipwayError) {
        guard !name.isEmpty, name.utf8.count <= 200, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw .invalidParameter("Job names use letters, digits, '-', '_' and '.' (at most 200), got '\(name)'")
        }
    }
}

/// One run of a job: when, how it ended, how long it took, what it said.
public struct JobRun: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case running, succeeded, failed
        /// Not started: the previous run of the same job was still running, or a job it runs after
        /// failed or was skipped (the output says which).
        case skipped
        /// Its process stopped beating (killed, or the machine went away) before it finished.
        case abandoned

        /// Whether the run is over.
        public var isFinished: Bool { self != .running }
    }

    public enum Trigger: String, Sendable {
        case schedule, manual
        /// Run as a monitoring rule's action on a breach (`on_breach: job:NAME`).
        case monitor
        /// Run because the jobs it runs after succeeded.
        case after
        /// Run because an event of its `on` type was recorded.
        case event
    }

    public var id: String
    public var job: String
    public var trigger: Trigger
    public var status: Status
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var output: String
    /// What the kind adds (a command's exit code, attempts, output artifact and the MLflow runs it
    /// logged), a JSON object; nil when it adds nothing.
    public var details: JSONValue?

    public var durationMilliseconds: Int64? { finishedAt.map { $0 - startedAt } }

    public init(
        id: String, job: String, trigger: Trigger, status: Status, startedAt: Int64, finishedAt: Int64?, output: String, details: JSONValue? = nil
    ) {
        self.id = id
        self.job = job
        self.trigger = trigger
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.output = output
        self.details = details
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
        } else if kind == .command, let spec = try? CommandSpec(json: argument) {
            fields.append(("command", spec.json))
        } else if kind == .validate, let spec = try? ValidationSpec(json: argument) {
            fields.append(("validation", spec.json))
        } else {
            // The dataset of an evaluate job, the rule of a monitor job.
            fields.append(("dataset", argument.map { .string($0) } ?? .null))
        }
        return .object(fields + [
            ("schedule", schedule.map { .string($0.description) } ?? .null), ("timezone", .string(schedule?.timeZone ?? "UTC")),
            ("after", .array(after.map { .string($0) })), ("on", onEvent.map { .string($0) } ?? .null),
            ("requires", .array(requires.map { .string($0) })),
            ("pipeline", pipeline.map { .string($0) } ?? .null), ("enabled", .bool(enabled)),
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
            ("details", details ?? .null),
        ])
    }
}
