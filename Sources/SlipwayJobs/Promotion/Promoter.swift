public import SlipwayCore

/// Runs a model's promotion policy and carries out what it decides, and the two human actions
/// around it: approving a staged version and rolling back to the previous one. Each action moves
/// aliases and stages, writes its audit record and queues its events in one transaction
/// (`PromotionStore.apply`), refused if `production` moved meanwhile: of two promotions racing,
/// exactly one wins.
public struct Promoter: Sendable {
    let registry: any RegistryStore
    let tracking: any TrackingStore
    let promotions: any PromotionStore
    /// Scores versions for policies whose source is an evaluation dataset.
    let evaluator: Evaluator?
    let now: @Sendable () -> Int64
    /// The CloudEvents `source` of the events this writes.
    static let eventSource = "/slipway/promotion"

    public init(
        registry: any RegistryStore, tracking: any TrackingStore, promotions: any PromotionStore, evaluator: Evaluator? = nil,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.registry = registry
        self.tracking = tracking
        self.promotions = promotions
        self.evaluator = evaluator
        self.now = now
    }

    /// What the model's policy decides now, without changing anything.
    public func decide(_ name: String) async throws -> PromotionDecision {
        let policy = try await policy(name)
        let (versions, champion, basis) = try await candidates(policy)
        var decision = PromotionDecider.decide(policy: policy, versions: versions, champion: champion, now: now())
        if let basis { decision.reasons.insert(basis, at: 0) }
        return decision
    }

    /// Decides and applies: the decision, and the audit record it was written with.
    public func promote(_ name: String, actor: String) async throws -> (PromotionDecision, PromotionRecord) {
        let decision = try await decide(name)
        let time = decision.decidedAt
        let record = PromotionRecord(
            id: IDGenerator.hex32(), model: name, kind: .decision, actor: actor, time: time, action: decision.action.rawValue,
            fromVersion: decision.champion, toVersion: decision.challenger, summary: decision.reasons.last ?? "",
            details: JSONWriter.string(decision.json))
        var change = PromotionChange(model: name, expectedProduction: decision.champion, record: record)
        let facts: [(String, JSONValue)] = [
            ("metric", .string(decision.metric)), ("value", decision.challengerValue.map(JSONValue.number) ?? .null),
            ("champion_value", decision.championValue.map(JSONValue.number) ?? .null), ("reasons", .array(decision.reasons.map { .string($0) })),
        ]
        switch decision.action {
        case .promote:
            let staged = try await registry.getModelVersion(name: name, version: decision.challenger!).aliases.contains("staging")
            promote(&change, to: decision.challenger!, from: decision.champion, clearingStaging: staged, time: time, actor: actor, facts: facts)
        case .awaitApproval, .stage:
            let version = decision.challenger!
            let current = try await registry.getModelVersion(name: name, version: version)
            if !(current.aliases.contains("staging") && current.currentStage == .staging) {
                change.aliases = [("staging", version)]
                change.stages = [(version, .staging)]
                change.events = [event(.modelStaged, name, version: version, time: time, [
                    ("awaiting_approval", .bool(decision.action == .awaitApproval)), ("production_version", Self.json(decision.champion)),
                    ("record_id", .string(record.id)), ("actor", .string(actor)),
                ] + facts)]
            }
        case .none:
            break
        }
        try await promotions.apply(change)
        return (decision, record)
    }

    /// Promotes a version that a policy in approval mode staged.
    /// - Throws: INVALID_PARAMETER_VALUE unless the newest decision for the model is waiting for this version.
    public func approve(_ name: String, version: Int, actor: String) async throws -> PromotionRecord {
        let latest = try await promotions.listRecords(name: name, maxResults: 20, pageToken: nil).items.first { $0.kind == .decision }
        guard let latest, latest.action == PromotionDecision.Action.awaitApproval.rawValue, latest.toVersion == version else {
            throw SlipwayError(.invalidParameterValue, "Version \(version) of '\(name)' is not waiting for approval: the newest decision is \(latest.map { "'\($0.action)' for \($0.toVersion.map { "v\($0)" } ?? "no version")" } ?? "missing"). Run `slipway promote \(name)` with an approval-mode policy first.")
        }
        let time = now()
        let production = try await productionVersion(name)
        let record = PromotionRecord(
            id: IDGenerator.hex32(), model: name, kind: .approval, actor: actor, time: time, action: "promote", fromVersion: production,
            toVersion: version, summary: "\(actor) approved v\(version) for production" + (production.map { "; v\($0) is archived and kept as `previous`." } ?? "."),
            details: JSONWriter.string(.object([("approved_decision", .string(latest.id)), ("decision_summary", .string(latest.summary))])))
        var change = PromotionChange(model: name, expectedProduction: production, record: record)
        let staged = try await registry.getModelVersion(name: name, version: version).aliases.contains("staging")
        promote(&change, to: version, from: production, clearingStaging: staged, time: time, actor: actor, facts: [("approved_decision", .string(latest.id))])
        try await promotions.apply(change)
        return record
    }

    /// Puts the version behind `previous` back into production; the current one is archived and
    /// becomes `previous`, so a second rollback undoes the first.
    public func rollback(_ name: String, actor: String) async throws -> PromotionRecord {
        let production = try await productionVersion(name)
        guard let previous = try? await registry.getModelVersion(name: name, alias: "previous") else {
            throw SlipwayError(.invalidParameterValue, "'\(name)' has no `previous` version to roll back to (a promotion sets it)")
        }
        guard previous.version != production else {
            throw SlipwayError(.invalidParameterValue, "`previous` and `production` of '\(name)' are both v\(previous.version): nothing to roll back")
        }
        let time = now()
        let record = PromotionRecord(
            id: IDGenerator.hex32(), model: name, kind: .rollback, actor: actor, time: time, action: "rollback", fromVersion: production,
            toVersion: previous.version,
            summary: "\(actor) rolled '\(name)' back to v\(previous.version)" + (production.map { "; v\($0) is archived and kept as `previous`." } ?? "."),
            details: JSONWriter.string(.object([("restored", .string(String(previous.version))), ("replaced", Self.json(production))])))
        var change = PromotionChange(model: name, expectedProduction: production, record: record)
        change.aliases = [("production", previous.version), ("previous", production)]
        change.stages = [(previous.version, .production)] + (production.map { [($0, ModelStage.archived)] } ?? [])
        change.events = [event(.modelRolledBack, name, version: previous.version, time: time, [
            ("rolled_back_version", Self.json(production)), ("record_id", .string(record.id)), ("actor", .string(actor)),
        ])]
        if let production {
            change.events.append(event(.modelArchived, name, version: production, time: time, [("replaced_by", .string(String(previous.version)))]))
        }
        try await promotions.apply(change)
        return record
    }

    // MARK: - Parts

    /// `to` becomes production (alias and stage; it leaves `staging`), `from` is archived and kept as `previous`.
    func promote(
        _ change: inout PromotionChange, to version: Int, from champion: Int?, clearingStaging: Bool, time: Int64, actor: String, facts: [(String, JSONValue)]
    ) {
        change.aliases = [("production", version)] + (clearingStaging ? [("staging", nil)] : [])
        change.stages = [(version, .production)]
        if let champion {
            change.aliases.append(("previous", champion))
            change.stages.append((champion, .archived))
        }
        let name = change.model
        change.events = [event(.modelPromoted, name, version: version, time: time, [
            ("previous_version", Self.json(champion)), ("record_id", .string(change.record.id)), ("actor", .string(actor)),
        ] + facts)]
        if let champion {
            change.events.append(event(.modelArchived, name, version: champion, time: time, [("replaced_by", .string(String(version)))]))
        }
    }

    func policy(_ name: String) async throws -> PromotionPolicy {
        _ = try await registry.getRegisteredModel(name: name)
        guard let policy = try await promotions.getPolicy(name: name) else {
            throw SlipwayError(.resourceDoesNotExist, "'\(name)' has no promotion policy: set one with `slipway policy set \(name) --metric METRIC`")
        }
        return policy
    }

    public func productionVersion(_ name: String) async throws -> Int? {
        do {
            return try await registry.getModelVersion(name: name, alias: "production").version
        } catch let error as SlipwayError where error.code == .invalidParameterValue || error.code == .resourceDoesNotExist {
            _ = try await registry.getRegisteredModel(name: name)  // an unknown model is an error, no production is not
            return nil
        }
    }

    /// Every version of the model with its value of the metric, its run's status and tags; the
    /// production version; and, for evaluation policies, which dataset version the values come from.
    /// Runs are read (and versions evaluated) only inside the lookback window, and for the champion.
    func candidates(_ policy: PromotionPolicy) async throws -> ([PromotionCandidate], Int?, String?) {
        let quoted = policy.modelName.replacingOccurrences(of: "'", with: "''")
        let versions = try await registry.searchModelVersions(
            try EntitySearch(.modelVersions, filter: "name = '\(quoted)'", maxResults: 200_000, orderBy: ["version_number DESC"])).items
        let champion = versions.first { $0.aliases.contains("production") }?.version
        let oldest = now() - policy.lookbackMilliseconds
        var dataset: EvaluationDataset?
        var evaluated: [Int: Evaluation] = [:]
        if case .evaluation(let name, let pinned) = policy.source {
            guard let evaluator else { throw SlipwayError(.internalError, "This process cannot evaluate models") }
            let data = try await evaluator.evaluations.getDataset(name: name, version: pinned)
            dataset = data
            for evaluation in try await evaluator.evaluations.listEvaluations(model: policy.modelName, version: nil).reversed()
            where evaluation.dataset == data.name && evaluation.datasetVersion == data.version {
                evaluated[evaluation.version] = evaluation  // the newest wins
            }
        }
        var candidates: [PromotionCandidate] = []
        for version in versions {
            var candidate = PromotionCandidate(
                version: version.version, runID: version.runID, registeredAt: version.creationTimestamp, stage: version.currentStage,
                runStatus: "UNKNOWN", tags: version.tags, value: nil)
            if version.creationTimestamp >= oldest || version.version == champion, !version.runID.isEmpty,
                let run = try? await tracking.getRun(id: version.runID)
            {
                candidate.runStatus = run.info.status.rawValue
                candidate.tags += run.tags
                if dataset == nil { candidate.value = run.metrics.last { $0.key == policy.metric }?.value }
            }
            if let dataset, version.creationTimestamp >= oldest || version.version == champion, version.currentStage != .archived || version.version == champion {
                if evaluated[version.version] == nil {
                    // Not scored on this dataset version yet: score it now, so every version is compared on the same rows.
                    evaluated[version.version] = try? await evaluator!.evaluate(
                        model: policy.modelName, version: version.version, dataset: dataset.name, datasetVersion: dataset.version)
                }
                candidate.value = evaluated[version.version]?.value(policy.metric)
            }
            candidates.append(candidate)
        }
        let basis = dataset.map { "Values are \(policy.metric) on dataset \($0.name)@\($0.version) (\($0.rows) rows, sha256 \($0.digest.prefix(12))...), the same rows for every version." }
        return (candidates, champion, basis)
    }

    func event(_ type: EventType, _ name: String, version: Int, time: Int64, _ details: [(String, JSONValue)]) -> Event {
        Event(
            type: type, source: Self.eventSource, subject: "models/\(name)/versions/\(version)", time: time,
            data: .object([("model_name", .string(name)), ("version", .string(String(version)))] + details))
    }

    /// A version number as MLflow writes it (a string), or null.
    public static func json(_ version: Int?) -> JSONValue {
        version.map { .string(String($0)) } ?? .null
    }
}
