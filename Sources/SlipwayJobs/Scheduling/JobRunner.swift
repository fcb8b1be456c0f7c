public import SlipwayCore

/// A run that failed with more to say than an error: why, the output's tail, and the details
/// (a command's exit code, a validation's report), all kept in the run.
public struct JobFailure: Error, Sendable {
    public var message: String
    public var output: String
    public var details: JSONValue

    public init(message: String, output: String, details: JSONValue) {
        self.message = message
        self.output = output
        self.details = details
    }
}

/// Runs one job now and records the run: started (or skipped when the same job is still running),
/// beating while it runs (a run whose process dies stops beating and is marked abandoned), then
/// succeeded or failed with its output, details and duration. A failed run is announced
/// (`ml.job.failed.v1`). At most `slots.limit` runs go at once in this process.
public struct JobRunner: Sendable {
    let jobs: any JobStore
    let promoter: Promoter
    let evaluator: Evaluator
    /// Runs `predict` jobs; without it they fail.
    let predictions: PredictJob?
    /// Runs `monitor` jobs; without it they fail.
    let monitors: RuleMonitor?
    /// Runs `command` jobs; without it they fail.
    let commands: CommandJob?
    /// Runs `validate` jobs; without it they fail.
    public let validations: ValidateJob?
    /// Where failed runs are announced.
    let events: (any EventStore)?
    let slots: JobSlots
    let now: @Sendable () -> Int64
    /// How often a running run says it is alive.
    let heartbeat: Duration
    /// A running run silent this long (6 heartbeats) is taken as abandoned by a dead process.
    var staleAfter: Int64 { Int64(heartbeat.components.seconds * 1000 + heartbeat.components.attoseconds / 1_000_000_000_000_000) * 6 }

    static let eventSource = "/slipway/jobs"

    public init(
        jobs: any JobStore, promoter: Promoter, evaluator: Evaluator, predictions: PredictJob? = nil, monitors: RuleMonitor? = nil,
        commands: CommandJob? = nil, validations: ValidateJob? = nil, events: (any EventStore)? = nil, slots: JobSlots = JobSlots(limit: 4), heartbeat: Duration = .seconds(5),
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.jobs = jobs
        self.promoter = promoter
        self.evaluator = evaluator
        self.predictions = predictions
        self.monitors = monitors
        self.commands = commands
        self.validations = validations
        self.events = events
        self.slots = slots
        self.heartbeat = heartbeat
        self.now = now
    }

    /// Runs `job` now, in a slot of this process; a `backfill` (predict jobs) runs it over that
    /// range instead of what is new.
    public func run(_ job: Job, trigger: JobRun.Trigger, backfill: Backfill? = nil) async throws -> JobRun {
        try await slots.withSlot { try await runHeld(job, trigger: trigger, backfill: backfill) }
    }

    /// Runs `job` now without taking a slot: for a job run on behalf of one that holds a slot (a
    /// monitoring rule's `job:NAME` action), which would otherwise wait on itself.
    func runHeld(_ job: Job, trigger: JobRun.Trigger, backfill: Backfill? = nil) async throws -> JobRun {
        var run = try await jobs.start(job: job.name, trigger: trigger, at: now(), staleAfter: staleAfter)
        guard run.status == .running else { return run }
        let beating = Task { [jobs, heartbeat, now, id = run.id] in
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                if Task.isCancelled { break }
                try? await jobs.heartbeat(runID: id, at: now())
            }
        }
        do {
            (run.output, run.details) = try await perform(job, runID: run.id, backfill: backfill)
            run.status = .succeeded
        } catch let failure as JobFailure {
            run.output = "error: \(failure.message)\n\(failure.output)"
            run.details = failure.details
            run.status = .failed
        } catch {
            run.output = "error: " + ((error as? SlipwayError)?.message ?? "\(error)")
            run.status = .failed
        }
        beating.cancel()
        let finished = now()
        try await jobs.finish(runID: run.id, status: run.status, at: finished, output: run.output, details: run.details)
        run.finishedAt = finished
        if run.status == .failed { await announceFailure(job, run) }
        return run
    }

    /// - Throws: INVALID_STATE naming each job `job` requires whose latest run did not succeed.
    func checkRequirements(_ job: Job) async throws {
        guard !job.requires.isEmpty else { return }
        let latest = try await jobs.latestFinishedRuns(jobs: job.requires)
        let failing = job.requires.compactMap { name -> String? in
            guard let run = latest[name] else { return "\(name) has not run" }
            return run.status == .succeeded ? nil : "\(name)'s last run \(run.status.rawValue) (run \(run.id))"
        }
        if !failing.isEmpty { throw SlipwayError(.invalidState, "requires a passing run first: " + failing.joined(separator: "; ")) }
    }

    /// - Throws: INVALID_PARAMETER_VALUE when the command's program cannot be found, INVALID_STATE
    ///   when this process cannot run commands.
    public func checkCommand(_ spec: CommandSpec) throws(SlipwayError) {
        guard let commands else { throw SlipwayError(.invalidState, "This process cannot run command jobs") }
        try commands.check(spec)
    }

    func announceFailure(_ job: Job, _ run: JobRun) async {
        guard let events else { return }
        var data: [(String, JSONValue)] = [("job", .string(job.name)), ("kind", .string(job.kind.rawValue)), ("run_id", .string(run.id))]
        if !job.model.isEmpty { data.append(("model", .string(job.registeredModel))) }
        data += [("trigger", .string(run.trigger.rawValue)), ("output", .string(String(run.output.suffix(2000)))), ("details", run.details ?? .null)]
        try? await events.record(Event(type: .jobFailed, source: Self.eventSource, subject: "jobs/\(job.name)/runs/\(run.id)", time: now(), data: .object(data)))
    }

    /// What the job's kind does: the run's output text, and its details.
    func perform(_ job: Job, runID: String, backfill: Backfill?) async throws -> (String, JSONValue?) {
        if backfill != nil, job.kind != .predict { throw SlipwayError.invalidParameter("--since and --until are for predict jobs") }
        try await checkRequirements(job)
        switch job.kind {
        case .promote:
            let (decision, record) = try await promoter.promote(job.model, actor: "job:\(job.name)")
            return ("\(decision.action.rawValue)\(decision.challenger.map { " v\($0)" } ?? ""): " + decision.reasons.joined(separator: " ") + " (record \(record.id))", nil)
        case .evaluate:
            let (dataset, version) = try EvaluationDataset.parseReference(job.argument ?? "")
            guard let production = try await promoter.productionVersion(job.model) else {
                throw SlipwayError.invalidParameter("'\(job.model)' has no production version to evaluate")
            }
            let evaluation = try await evaluator.evaluate(model: job.model, version: production, dataset: dataset, datasetVersion: version)
            return ("v\(production) on \(evaluation.dataset)@\(evaluation.datasetVersion): "
                + evaluation.metrics.map { "\($0.key)=\($0.value)" }.joined(separator: " "), nil)
        case .predict:
            guard let predictions else { throw SlipwayError(.invalidState, "This process cannot run predict jobs") }
            return (try await predictions.run(job, runID: runID, now: now(), backfill: backfill), nil)
        case .monitor:
            let rule = job.argument ?? ""
            let check = try await checkRule(rule, model: job.model)
            if check.actionFailed { throw SlipwayError(.invalidState, check.summary) }
            return (check.summary, nil)
        case .command:
            guard let commands else { throw SlipwayError(.invalidState, "This process cannot run command jobs") }
            let (output, details) = try await commands.run(job, runID: runID)
            return (output, details)
        case .validate:
            guard let validations else { throw SlipwayError(.invalidState, "This process cannot run validate jobs") }
            let (output, details) = try await validations.run(job, runID: runID)
            return (output, details)
        }
    }

    /// Checks a monitoring rule now (of `model`, when given); a `job:NAME` action runs that job, recorded in its history as triggered by `monitor`.
    public func checkRule(_ name: String, model: String? = nil) async throws -> RuleCheck {
        guard let monitors else { throw SlipwayError(.invalidState, "This process cannot check monitoring rules") }
        if let model {
            let rule = try await monitors.rules.getRule(name: name).rule
            guard rule.model == model else {
                throw SlipwayError.invalidParameter("Monitoring rule '\(name)' watches '\(rule.model)', not '\(model)'")
            }
        }
        return try await monitors.check(name) { target in
            let job = try await jobs.getJob(name: target)
            guard job.kind != .monitor else {
                throw SlipwayError.invalidParameter("A rule's job:NAME action runs a promote, evaluate or predict job; '\(target)' is a monitor job")
            }
            // Within the monitor job's slot: a second slot could wait on itself.
            let run = try await self.runHeld(job, trigger: .monitor)
            guard run.status == .succeeded else { throw SlipwayError(.invalidState, "job \(target) \(run.status.rawValue): \(run.output)") }
            return "ran job \(target): \(run.status.rawValue)" + (run.output.isEmpty ? "" : ": \(run.output)")
        }
    }
}
