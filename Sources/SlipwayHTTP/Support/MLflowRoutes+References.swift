import HTTPTypes
import SlipwayCore

/// What a request points at besides the resource its rule is about (`ResourceRules`): the run,
/// logged model or artifacts a new model version comes from, the logged models a run's metrics,
/// inputs and outputs name, and the artifact folder a new experiment claims.
extension MLflowRoutes {
    static func checkReferences(
        _ method: HTTPRequest.Method, _ path: String, _ fields: MLflowRequest, identity: AuthIdentity?, gate: PermissionGate
    ) async throws {
        guard method == .post else { return }
        switch path {
        case "model-versions/create": try await checkSources(fields, identity: identity, gate: gate)
        case "experiments/create":
            // Each artifact has one owner: a new experiment's folder is its own (checked for everyone, admins too).
            if let location = try fields.string("artifact_location"), !location.isEmpty { try await gate.artifactOwners.requireOwnFolder(location) }
        case "runs/log-metric": try await requireLoggedModels([try fields.string("model_id")], .edit, identity: identity, gate: gate)
        case "runs/log-batch": try await requireLoggedModels(try modelIDs(fields, "metrics"), .edit, identity: identity, gate: gate)
        case "runs/outputs": try await requireLoggedModels(try modelIDs(fields, "models"), .edit, identity: identity, gate: gate)
        case "runs/log-inputs": try await requireLoggedModels(try modelIDs(fields, "models"), .read, identity: identity, gate: gate)
        default: break
        }
    }

    /// A new model version may only point at what its creator may read: the run or logged model it
    /// names, or a run's, a logged model's or an experiment's artifacts in its source.
    static func checkSources(_ fields: MLflowRequest, identity: AuthIdentity?, gate: PermissionGate) async throws {
        guard try await gate.constrains(identity, .experiment) else { return }
        if let run = try fields.string("run_id"), !run.isEmpty {
            try await gate.require(identity, .read, .experiment, try await gate.experimentOfRun(run))
        }
        try await requireLoggedModels([try fields.string("model_id")], .read, identity: identity, gate: gate)
        guard let source = try fields.string("source") else { return }
        if source.hasPrefix("runs:/") {
            let run = source.dropFirst("runs:/".count).split(separator: "/").first.map(String.init) ?? ""
            try await gate.require(identity, .read, .experiment, try await gate.experimentOfRun(run))
        } else if source.hasPrefix("models:/") {
            let id = source.dropFirst("models:/".count).split(separator: "/").first.map(String.init) ?? ""
            try await requireLoggedModels([id], .read, identity: identity, gate: gate)
        } else if let stored = ArtifactsController.proxiedPath(source) {
            try await gate.requireArtifacts(identity, .read, path: PathText.decoded(stored))
        }
    }

    /// - Throws: PERMISSION_DENIED unless the caller holds `needed` on the experiment of each logged model named.
    static func requireLoggedModels(_ ids: [String?], _ needed: Permission, identity: AuthIdentity?, gate: PermissionGate) async throws {
        let named = ids.compactMap { $0 }.filter { !$0.isEmpty }
        guard !named.isEmpty, try await gate.constrains(identity, .experiment) else { return }
        for id in named { try await gate.require(identity, needed, .experiment, try await gate.experimentOfLoggedModel(id)) }
    }

    /// The `model_id` of each object in a list field, as the handler reads them.
    static func modelIDs(_ fields: MLflowRequest, _ list: String) throws -> [String?] {
        try fields.objects(list).map { item throws(SlipwayError) in try MLflowRequest(object: item).string("model_id") }
    }
}
