import SlipwayCore

extension Promoter {
    /// The policy's decision over every version of the model. With `recordingEvaluations`, versions
    /// an evaluation policy scores are recorded as evaluations; without it (a dry run) nothing is written.
    func decide(_ name: String, recordingEvaluations: Bool) async throws -> PromotionDecision {
        let policy = try await policy(name)
        let (versions, champion, basis) = try await candidates(policy, recordingEvaluations: recordingEvaluations)
        var decision = PromotionDecider.decide(policy: policy, versions: versions, champion: champion, now: now())
        if let basis { decision.reasons.insert(basis, at: 0) }
        return decision
    }

    /// Every version of the model with its value of the metric, its run's status and tags; the
    /// production version; and, for evaluation policies, which dataset version the values come from.
    /// Runs are read (and versions scored) only inside the lookback window, and for the champion.
    func candidates(_ policy: PromotionPolicy, recordingEvaluations: Bool) async throws -> ([PromotionCandidate], Int?, String?) {
        let quoted = policy.modelName.replacingOccurrences(of: "'", with: "''")
        let versions = try await registry.searchModelVersions(
            try EntitySearch(.modelVersions, filter: "name = '\(quoted)'", maxResults: 200_000, orderBy: ["version_number DESC"])).items
        let champion = versions.first { $0.aliases.contains("production") }?.version
        let oldest = now() - policy.lookbackMilliseconds
        var scoring: Scoring?
        if case .evaluation(let name, let pinned) = policy.source {
            guard let evaluator else { throw SlipwayError(.internalError, "This process cannot evaluate models") }
            scoring = try await Scoring(evaluator: evaluator, model: policy.modelName, dataset: try await evaluator.evaluations.getDataset(name: name, version: pinned))
        }
        var candidates: [PromotionCandidate] = []
        for version in versions {
            var candidate = PromotionCandidate(
                version: version.version, runID: version.runID, registeredAt: version.creationTimestamp, stage: version.currentStage,
                runStatus: "UNKNOWN", tags: version.tags, value: nil)
            let considered = version.creationTimestamp >= oldest || version.version == champion
            if considered, !version.runID.isEmpty, let run = try? await tracking.getRun(id: version.runID) {
                candidate.runStatus = run.info.status.rawValue
                candidate.tags += run.tags
                if scoring == nil { candidate.value = run.metrics.last { $0.key == policy.metric }?.value }
            }
            if scoring != nil, considered, version.currentStage != .archived || version.version == champion {
                // Every version on the same rows: the ones not scored on this dataset version yet are scored now.
                switch await scoring!.evaluation(of: version, recording: recordingEvaluations) {
                case .success(let evaluation):
                    candidate.value = evaluation.value(policy.metric)
                    if candidate.value == nil { candidate.missingValue = "its evaluation has no \(policy.metric) (a \(evaluation.task.rawValue) model)" }
                case .failure(let error):
                    candidate.missingValue = "could not be scored on \(scoring!.dataset.reference): \((error as? SlipwayError)?.message ?? "\(error)")"
                }
            }
            candidates.append(candidate)
        }
        let basis = scoring.map { s in
            "Values are \(policy.metric) on dataset \(s.dataset.reference) (\(s.dataset.rows) rows, sha256 \(s.dataset.digest.prefix(12))...), the same rows for every version."
        }
        return (candidates, champion, basis)
    }
}

/// The evaluations an evaluation policy compares: those already recorded on the dataset version,
/// and new scores for the versions that have none.
struct Scoring {
    let evaluator: Evaluator
    let dataset: EvaluationDataset
    /// The newest recorded evaluation of each version on this dataset version.
    let recorded: [Int: Evaluation]

    init(evaluator: Evaluator, model: String, dataset: EvaluationDataset) async throws {
        self.evaluator = evaluator
        self.dataset = dataset
        var recorded: [Int: Evaluation] = [:]
        for evaluation in try await evaluator.evaluations.listEvaluations(model: model, version: nil).reversed()
        where evaluation.dataset == dataset.name && evaluation.datasetVersion == dataset.version {
            recorded[evaluation.version] = evaluation  // listed newest first: the newest wins
        }
        self.recorded = recorded
    }

    func evaluation(of version: ModelVersion, recording: Bool) async -> Result<Evaluation, any Error> {
        if let known = recorded[version.version] { return .success(known) }
        do {
            return .success(
                recording
                    ? try await evaluator.evaluate(version, dataset: dataset.name, datasetVersion: dataset.version)
                    : try await evaluator.score(version, dataset: dataset.name, datasetVersion: dataset.version))
        } catch {
            return .failure(error)
        }
    }
}
