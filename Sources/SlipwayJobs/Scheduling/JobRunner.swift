public import SlipwayCore

/// Runs one job now and records the run: started (or skipped when the same job is still running),
/// then succeeded or failed with its output and duration.
public struct JobRunner: Sendable {
    let jobs: any JobStore
    let promoter: Promoter
    let evaluator: Evaluator
    /// Runs `predict` jobs; without it they fail.
    let predictions: PredictJob?
    /// Runs `monitor` jobs; without it they fail.
    let monitors: RuleMonitor?
    let now: @Sendable () -> Int64
    /// A run still marked running after this long is taken as abandoned by a dead process.
    let staleAfter: Int64 = 6 * 3_600_000

    public init(
        jobs: any JobStore, promoter: Promoter, evaluator: Evaluator, predictions: PredictJob? = nil, monitors: RuleMonitor? = nil,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.jobs = jobs
        self.promoter = promoter
        self.evaluator = evaluator
        self.predictions = predictions
        self.monitors = monitors
        self.now = now
    }

    /// Runs `job` now; a `backfill` (predict jobs) runs it over that range instead of what is new.
    public func run(_ job: Job, trigger: JobRun.Trigger, backfill: Backfill? = nil) async throws -> JobRun {
        var run = try await jobs.start(job: job.name, trigger: trigger, at: now(), staleAfter: staleAfter)
        guard run.status == .running else { return run }
        do {
            run.output = try await perform(job, runID: run.id, backfill: backfill)
            run.status = .succeeded
        } catch {
            run.output = "error: " + ((error as? SlipwayError)?.message ?? "\(error)")
            run.status = .failed
        }
        let finished = now()
        try await jobs.finish(runID: run.id, status: run.status, at: finished, output: run.output)
        run.finishedAt = finished
        return run
    }

    /// What the job's kind does; the text becomes the run's output.
    func perform(_ job: Job, runID: String, backfill: Backfill?) async throws -> String {
        if backfill != nil, job.kind != .predict { throw SlipwayError.invalidParameter("--since and --until are for predict jobs") }
        switch job.kind {
        case .promote:
            let (decision, record) = try await promoter.promote(job.model, actor: "job:\(job.name)")
            return "\(decision.action.rawValue)\(decision.challenger.map { " v\($0)" } ?? ""): " + decision.reasons.joined(separator: " ") + " (record \(record.id))"
        case .evaluate:
            let (dataset, version) = try EvaluationDataset.parseReference(job.argument ?? "")
            guard let production = try await promoter.productionVersion(job.model) else {
                throw SlipwayError.invalidParameter("'\(job.model)' has no production version to evaluate")
            }
            let evaluation = try await evaluator.evaluate(model: job.model, version: production, dataset: dataset, datasetVersion: version)
            return "v\(production) on \(evaluation.dataset)@\(evaluation.datasetVersion): "
                + evaluation.metrics.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        case .predict:
            guard let predictions else { throw SlipwayError(.invalidState, "This process cannot run predict jobs") }
            return try await predictions.run(job, runID: runID, now: now(), backfill: backfill)
        case .monitor:
            let rule = job.argument ?? ""
            let check = try await checkRule(rule, model: job.model)
            if check.actionFailed { throw SlipwayError(.invalidState, check.summary) }
            return check.summary
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
            let run = try await self.run(job, trigger: .monitor)
            guard run.status == .succeeded else { throw SlipwayError(.invalidState, "job \(target) \(run.status.rawValue): \(run.output)") }
            return "ran job \(target): \(run.status.rawValue)" + (run.output.isEmpty ? "" : ": \(run.output)")
        }
    }
}
