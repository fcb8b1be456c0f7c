public import SlipwayCore

/// Alias and stage changes made through MLflow's API (a person in a UI, a script calling
/// `set_registered_model_alias("churn", "production", "7")`). On a model without a promotion
/// policy they go straight to the registry, as MLflow does. On a model with one, nothing moves
/// production unseen: moving `production` (the alias, or a version into the Production stage) is a
/// manual promotion, carried out and recorded as a promotion is (the new version gets the alias and
/// the stage, the old one is archived and kept as `previous`, one audit record of kind `manual`,
/// `ml.model.promoted.v1` and `ml.model.archived.v1`), and removing `production` is recorded too.
extension Promoter {
    /// `registered-models/alias` (POST).
    /// Whether moving `alias` of `name` is a promotion: `production` of a model with a policy.
    public func governs(_ name: String, alias: String) async throws -> Bool {
        alias == "production" ? try await promotions.getPolicy(name: name) != nil : false
    }

    public func setAlias(name: String, alias: String, version: Int, actor: String) async throws {
        guard alias == "production", try await promotions.getPolicy(name: name) != nil else {
            return try await registry.setAlias(name: name, alias: alias, version: version)
        }
        let production = try await productionVersion(name)
        guard production != version else { return try await registry.setAlias(name: name, alias: alias, version: version) }
        try await manualPromotion(name, to: version, from: production, actor: actor, via: "set_registered_model_alias", archivingOthers: false)
    }

    /// `registered-models/alias` (DELETE).
    public func deleteAlias(name: String, alias: String, actor: String) async throws {
        guard alias == "production", try await promotions.getPolicy(name: name) != nil, let production = try await productionVersion(name) else {
            return try await registry.deleteAlias(name: name, alias: alias)
        }
        let record = PromotionRecord(
            id: IDGenerator.hex32(), model: name, kind: .manual, actor: actor, time: now(), action: "unset", fromVersion: production, toVersion: nil,
            summary: "\(actor) removed the production alias of '\(name)' (it pointed at v\(production)) through MLflow's API; nothing is in production.",
            details: JSONWriter.string(.object([("via", .string("delete_registered_model_alias"))])))
        try await promotions.apply(PromotionChange(model: name, expectedProduction: production, aliases: [("production", nil)], record: record))
    }

    /// `model-versions/transition-stage`.
    public func transitionStage(name: String, version: Int, stage: ModelStage, archiveExisting: Bool, actor: String) async throws -> ModelVersion {
        guard stage == .production, try await promotions.getPolicy(name: name) != nil else {
            return try await registry.transitionStage(name: name, version: version, stage: stage, archiveExisting: archiveExisting)
        }
        let production = try await productionVersion(name)
        guard production != version else {
            return try await registry.transitionStage(name: name, version: version, stage: stage, archiveExisting: archiveExisting)
        }
        // Other versions left in the Production stage are archived too when the caller asks for it.
        try await manualPromotion(
            name, to: version, from: production, actor: actor, via: "transition_model_version_stage", archivingOthers: archiveExisting)
        return try await registry.getModelVersion(name: name, version: version)
    }

    /// `version` becomes production as a promotion makes it, recorded as a manual one.
    func manualPromotion(_ name: String, to version: Int, from production: Int?, actor: String, via: String, archivingOthers: Bool) async throws {
        let winner = try await registry.getModelVersion(name: name, version: version)
        let time = now()
        let record = PromotionRecord(
            id: IDGenerator.hex32(), model: name, kind: .manual, actor: actor, time: time, action: "promote", fromVersion: production, toVersion: version,
            summary: "\(actor) put v\(version) of '\(name)' into production through MLflow's API (\(via)), outside its promotion policy"
                + (production.map { "; v\($0) is archived and kept as `previous`." } ?? "."),
            details: JSONWriter.string(.object([("via", .string(via)), ("policy_bypassed", .bool(true))])))
        var change = PromotionChange(model: name, expectedProduction: production, record: record)
        try await promote(&change, to: winner, from: production, time: time, actor: actor, facts: [("via", .string(via)), ("manual", .bool(true))])
        if archivingOthers { change.archivingOthersIn = .production }
        try await promotions.apply(change)
    }
}
