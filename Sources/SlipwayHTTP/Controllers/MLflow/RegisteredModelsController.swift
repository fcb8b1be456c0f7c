import Hummingbird
import SlipwayCore
import SlipwayJobs

/// `registered-models/*`: create, get, update, rename, delete, search, latest versions, tags, aliases.
struct RegisteredModelsController: Sendable {
    let registry: any RegistryStore
    /// Alias changes go through it: on a model with a promotion policy, moving `production` is recorded.
    let promoter: Promoter

    func addRoutes<Context>(to routes: MLflowRoutes<Context>) {
        routes.add(.post, "registered-models/create") { r in
            let model = try await registry.createRegisteredModel(
                name: try r.requiredString("name"), tags: try r.keyValues("tags"), description: try r.string("description"))
            return .object([("registered_model", Wire.registeredModel(model))])
        }
        routes.add(.get, "registered-models/get") { r in
            .object([("registered_model", Wire.registeredModel(try await registry.getRegisteredModel(name: try r.requiredString("name"))))])
        }
        routes.add(.patch, "registered-models/update") { r in
            let model = try await registry.updateRegisteredModel(name: try r.requiredString("name"), description: try r.string("description") ?? "")
            return .object([("registered_model", Wire.registeredModel(model))])
        }
        routes.add(.post, "registered-models/rename") { r in
            let model = try await registry.renameRegisteredModel(name: try r.requiredString("name"), newName: try r.requiredString("new_name"))
            return .object([("registered_model", Wire.registeredModel(model))])
        }
        routes.add(.delete, "registered-models/delete") { r in
            try await registry.deleteRegisteredModel(name: try r.requiredString("name"))
            return .object([])
        }
        routes.add(.get, "registered-models/search") { r in
            let search = try EntitySearch(
                .registeredModels, filter: try r.string("filter"), maxResults: Int(try r.int64("max_results") ?? 100),
                orderBy: try r.strings("order_by"), pageToken: try r.string("page_token"))
            let page = try await registry.searchRegisteredModels(search)
            return Wire.page("registered_models", page.items.map(Wire.registeredModel), next: page.nextPageToken)
        }
        let latest: MLflowHandler = { r in
            let stages = try r.strings("stages").map { raw throws(SlipwayError) -> ModelStage in
                guard let stage = ModelStage(caseInsensitive: raw) else {
                    throw .invalidParameter("Invalid Model Version stage: \(raw). Value must be one of None, Staging, Production, Archived.")
                }
                return stage
            }
            let versions = try await registry.latestVersions(name: try r.requiredString("name"), stages: stages)
            return Wire.page("model_versions", versions.map { Wire.modelVersion($0) }, next: nil)
        }
        routes.add(.post, "registered-models/get-latest-versions", latest)
        routes.add(.get, "registered-models/get-latest-versions", latest)
        routes.add(.post, "registered-models/set-tag") { r in
            try await registry.setRegisteredModelTag(
                name: try r.requiredString("name"), tag: KeyValue(key: try r.requiredString("key"), value: try r.string("value") ?? ""))
            return .object([])
        }
        routes.add(.delete, "registered-models/delete-tag") { r in
            try await registry.deleteRegisteredModelTag(name: try r.requiredString("name"), key: try r.requiredString("key"))
            return .object([])
        }
        routes.add(.post, "registered-models/alias") { r in
            let (name, alias) = (try r.requiredString("name"), try r.requiredString("alias"))
            try await r.authorizeMove(name) { try await promoter.governs(name, alias: alias) }
            try await promoter.setAlias(name: name, alias: alias, version: try r.version(), actor: r.actor)
            return .object([])
        }
        routes.add(.delete, "registered-models/alias") { r in
            let (name, alias) = (try r.requiredString("name"), try r.requiredString("alias"))
            try await r.authorizeMove(name) { try await promoter.governs(name, alias: alias) }
            try await promoter.deleteAlias(name: name, alias: alias, actor: r.actor)
            return .object([])
        }
        routes.add(.get, "registered-models/alias") { r in
            let version = try await registry.getModelVersion(name: try r.requiredString("name"), alias: try r.requiredString("alias"))
            return .object([("model_version", Wire.modelVersion(version))])
        }
    }
}
