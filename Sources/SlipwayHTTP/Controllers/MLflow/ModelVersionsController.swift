import Hummingbird
import SlipwayCore
import SlipwayJobs

/// `model-versions/*`: create (linking MLflow 3 logged models), get, update, delete, stages,
/// tags, search, download URI.
struct ModelVersionsController: Sendable {
    let store: any TrackingStore
    let registry: any RegistryStore
    /// Stage changes go through it: on a model with a promotion policy, moving a version into Production is recorded.
    let promoter: Promoter

    func addRoutes<Context>(to routes: MLflowRoutes<Context>) {
        routes.add(.post, "model-versions/create") { r in
            .object([("model_version", Wire.modelVersion(try await create(r)))])
        }
        routes.add(.get, "model-versions/get") { r in
            let version = try await registry.getModelVersion(name: try r.requiredString("name"), version: try r.version())
            return .object([("model_version", Wire.modelVersion(version))])
        }
        routes.add(.patch, "model-versions/update") { r in
            let version = try await registry.updateModelVersion(
                name: try r.requiredString("name"), version: try r.version(), description: try r.string("description") ?? "")
            return .object([("model_version", Wire.modelVersion(version))])
        }
        routes.add(.delete, "model-versions/delete") { r in
            try await registry.deleteModelVersion(name: try r.requiredString("name"), version: try r.version())
            return .object([])
        }
        routes.add(.post, "model-versions/transition-stage") { r in
            let raw = try r.requiredString("stage")
            guard let stage = ModelStage(caseInsensitive: raw) else {
                throw SlipwayError.invalidParameter("Invalid Model Version stage: \(raw). Value must be one of None, Staging, Production, Archived.")
            }
            let name = try r.requiredString("name")
            try await r.authorizeMove(name) { stage == .production ? try await promoter.governs(name, alias: "production") : false }
            let version = try await promoter.transitionStage(
                name: name, version: try r.version(), stage: stage,
                archiveExisting: try r.bool("archive_existing_versions") ?? false, actor: r.actor)
            return .object([("model_version", Wire.modelVersion(version))])
        }
        routes.add(.post, "model-versions/set-tag") { r in
            try await registry.setModelVersionTag(
                name: try r.requiredString("name"), version: try r.version(),
                tag: KeyValue(key: try r.requiredString("key"), value: try r.string("value") ?? ""))
            return .object([])
        }
        routes.add(.delete, "model-versions/delete-tag") { r in
            try await registry.deleteModelVersionTag(name: try r.requiredString("name"), version: try r.version(), key: try r.requiredString("key"))
            return .object([])
        }
        routes.add(.get, "model-versions/search") { r in
            let search = try EntitySearch(
                .modelVersions, filter: try r.string("filter"), maxResults: Int(try r.int64("max_results") ?? 10_000),
                orderBy: try r.strings("order_by"), pageToken: try r.string("page_token"))
            let page = try await registry.searchModelVersions(search)
            return Wire.page("model_versions", page.items.map { Wire.modelVersion($0) }, next: page.nextPageToken)
        }
        routes.add(.get, "model-versions/get-download-uri") { r in
            let version = try await registry.getModelVersion(name: try r.requiredString("name"), version: try r.version())
            return .object([("artifact_uri", .string(try await downloadURI(version)))])
        }
    }

    /// Where a version's files are: the logged model's artifact root for MLflow 3 models, else its source.
    func downloadURI(_ version: ModelVersion) async throws -> String {
        if let modelID = version.modelID, !modelID.isEmpty, let model = try? await store.getLoggedModel(id: modelID) {
            return model.artifactURI
        }
        return version.source
    }

    /// Checks the source against the run or logged model, registers the version, and records it
    /// on the logged model's `mlflow.modelVersions` tag as MLflow's server does.
    func create(_ r: MLflowRequest) async throws -> ModelVersion {
        let name = try r.requiredString("name")
        let source = try r.requiredString("source")
        var runID = try r.string("run_id") ?? ""
        let modelID = try r.string("model_id").flatMap { $0.isEmpty ? nil : $0 }
        if source.hasPrefix("runs:/"), !runID.isEmpty {
            let sourceRun = source.dropFirst("runs:/".count).split(separator: "/").first.map(String.init) ?? ""
            guard sourceRun == runID else {
                throw SlipwayError.invalidParameter("The run_id '\(runID)' does not match the run_id in the source '\(source)'.")
            }
        }
        var model: LoggedModel?
        if let modelID {
            if source.hasPrefix("models:/m-"), source != "models:/\(modelID)" {
                throw SlipwayError.invalidParameter("The model_id '\(modelID)' does not match the source '\(source)'.")
            }
            model = try await store.getLoggedModel(id: modelID)
            if runID.isEmpty { runID = model?.sourceRunID ?? "" }
        }
        if !runID.isEmpty { _ = try await store.getRun(id: runID) }
        let version = try await registry.createModelVersion(CreateModelVersionRequest(
            name: name, source: source, runID: runID, runLink: try r.string("run_link") ?? "",
            description: try r.string("description") ?? "", modelID: modelID, tags: try r.keyValues("tags")))
        if let model {
            let key = "mlflow.modelVersions"
            var entries = (try? JSONParser.parse(model.tags.first(where: { $0.key == key })?.value ?? "[]"))?.arrayValue ?? []
            entries.append(.object([("name", .string(name)), ("version", .int(version.version))]))
            try await store.setLoggedModelTags(id: model.modelID, tags: [KeyValue(key: key, value: pythonJSON(.array(entries)))])
        }
        return version
    }

    /// JSON as Python's `json.dumps` writes it (`", "` and `": "`), for tags the client also edits.
    func pythonJSON(_ value: JSONValue) -> String {
        switch value {
        case .array(let items): return "[" + items.map(pythonJSON).joined(separator: ", ") + "]"
        case .object(let members): return "{" + members.map { JSONWriter.string(.string($0.0)) + ": " + pythonJSON($0.1) }.joined(separator: ", ") + "}"
        default: return JSONWriter.string(value)
        }
    }
}
