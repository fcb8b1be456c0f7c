public import SlipwayCore

/// Runs a model's promotion policy and carries out what it decides, and the human actions around
/// it: approving a staged version, rolling back, and moves made by hand through MLflow's API
/// (`Promoter+ManualChanges.swift`). Each action moves aliases and stages, writes its audit record
/// and queues its events in one transaction (`PromotionStore.apply`), refused if `production` moved
/// meanwhile: of two promotions racing, exactly one wins.
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

    /// What the model's policy decides now, changing nothing: versions an evaluation policy has not
    /// scored yet are scored but not recorded (no evaluation, run metric, event or delivery is written).
    public func decide(_ name: String) async throws -> PromotionDecision {
        try await decide(name, recordingEvaluations: false)
    }

    /// Decides and applies: the decision, and the audit record it was written with.
    public func promote(_ name: String, actor: String) async throws -> (PromotionDecision, PromotionRecord) {
        let decision = try await decide(name, recordingEvaluations: true)
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
            let winner = try await registry.getModelVersion(name: name, version: decision.challenger!)
            try await promote(&change, to: winner, from: decision.champion, time: time, actor: actor, facts: facts)
        case .awaitApproval, .stage:
            let staged = try await registry.getModelVersion(name: name, version: decision.challenger!)
            if !(staged.aliases.contains("staging") && staged.currentStage == .staging) {
                change.aliases = [("staging", staged.version)]
                change.stages = [(staged.version, .staging)]
                change.events = [event(.modelStaged, staged, stage: .staging, time: time, [
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
        let winner = try await registry.getModelVersion(name: name, version: version)
        try await promote(&change, to: winner, from: production, time: time, actor: actor, facts: [("approved_decision", .string(latest.id))])
        try await promotions.apply(change)
        return record
    }

    /// Puts a version back into production: `to`, or the one behind `previous`. The replaced version
    /// is archived and becomes `previous`, so a second rollback undoes the first. A `reason` (a
    /// monitoring rule's breach) goes into the audit record and the event; with `replacing`, it
    /// happens only while that version is still in production.
    public func rollback(_ name: String, to chosen: Int? = nil, actor: String, reason: String? = nil, replacing expected: Int? = nil) async throws -> PromotionRecord {
        let production = try await productionVersion(name)
        if let expected, production != expected {
            throw SlipwayError(.invalidState, "production of '\(name)' is no longer v\(expected) (it is \(production.map { "v\($0)" } ?? "nothing")): not rolled back")
        }
        let target: ModelVersion
        if let chosen {
            target = try await registry.getModelVersion(name: name, version: chosen)
        } else {
            guard let previous = try? await registry.getModelVersion(name: name, alias: "previous") else {
                throw SlipwayError(.invalidParameterValue, "'\(name)' has no `previous` version to roll back to (a promotion sets it); name one with --to VERSION")
            }
            target = previous
        }
        guard target.version != production else {
            throw SlipwayError(.invalidParameterValue, "v\(target.version) of '\(name)' is already in production: nothing to roll back")
        }
        let time = now()
        let record = PromotionRecord(
            id: IDGenerator.hex32(), model: name, kind: .rollback, actor: actor, time: time, action: "rollback", fromVersion: production,
            toVersion: target.version,
            summary: "\(actor) rolled '\(name)' back to v\(target.version)" + (production.map { "; v\($0) is archived and kept as `previous`." } ?? ".")
                + (reason.map { " Reason: \($0)" } ?? ""),
            details: JSONWriter.string(.object([
                ("restored", .string(String(target.version))), ("replaced", Self.json(production)), ("chosen", .bool(chosen != nil)),
            ] + (reason.map { [("reason", JSONValue.string($0))] } ?? []))))
        var change = PromotionChange(model: name, expectedProduction: production, record: record)
        change.aliases = [("production", target.version), ("previous", production)]
        change.stages = [(target.version, .production)] + (production.map { [($0, ModelStage.archived)] } ?? [])
        change.events = [event(.modelRolledBack, target, stage: .production, time: time, [
            ("rolled_back_version", Self.json(production)), ("record_id", .string(record.id)), ("actor", .string(actor)),
        ] + (reason.map { [("reason", JSONValue.string($0))] } ?? []))]
        if let production {
            change.events.append(event(.modelArchived, try await versionOrStub(name, production), stage: .archived, time: time, [
                ("replaced_by", .string(String(target.version))),
            ]))
        }
        try await promotions.apply(change)
        return record
    }

    // MARK: - Parts

    /// `winner` becomes production (alias and stage; it leaves `staging`), `champion` is archived and kept as `previous`.
    func promote(
        _ change: inout PromotionChange, to winner: ModelVersion, from champion: Int?, time: Int64, actor: String, facts: [(String, JSONValue)]
    ) async throws {
        change.aliases = [("production", winner.version)] + (winner.aliases.contains("staging") ? [("staging", nil)] : [])
        change.stages = [(winner.version, .production)]
        if let champion {
            change.aliases.append(("previous", champion))
            change.stages.append((champion, .archived))
        }
        change.events = [event(.modelPromoted, winner, stage: .production, time: time, [
            ("previous_version", Self.json(champion)), ("record_id", .string(change.record.id)), ("actor", .string(actor)),
        ] + facts)]
        if let champion {
            change.events.append(event(.modelArchived, try await versionOrStub(winner.name, champion), stage: .archived, time: time, [
                ("replaced_by", .string(String(winner.version))),
            ]))
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

    /// A version, or (when it was deleted) one that carries only its name and number, for an event.
    func versionOrStub(_ name: String, _ number: Int) async throws -> ModelVersion {
        do {
            return try await registry.getModelVersion(name: name, version: number)
        } catch let error as SlipwayError where error.code == .resourceDoesNotExist {
            return ModelVersion(
                name: name, version: number, creationTimestamp: 0, lastUpdatedTimestamp: 0, currentStage: .none, description: "", userID: "",
                source: "", runID: "", runLink: "")
        }
    }

    /// A model lifecycle event. Its data leads with what every consumer reads (seed 003's
    /// `ml.model.promoted.v1`): `model_name`, `version`, `stage`, `run_id`, `timestamp` in ms.
    func event(_ type: EventType, _ version: ModelVersion, stage: ModelStage, time: Int64, _ details: [(String, JSONValue)]) -> Event {
        Event(
            type: type, source: Self.eventSource, subject: "models/\(version.name)/versions/\(version.version)", time: time,
            data: .object([
                ("model_name", .string(version.name)), ("version", .string(String(version.version))), ("stage", .string(stage.rawValue)),
                ("run_id", .string(version.runID)), ("timestamp", .int(time)),
            ] + details))
    }

    /// A version number as MLflow writes it (a string), or null.
    public static func json(_ version: Int?) -> JSONValue {
        version.map { .string(String($0)) } ?? .null
    }
}
