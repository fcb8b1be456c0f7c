import Hummingbird
import SlipwayCore

/// `logged-models/*` (MLflow 3): create, get, finalize, tags, search. Under per-experiment
/// permissions a logged model is its experiment's: reading it needs READ there, changing it EDIT.
struct LoggedModelsController: Sendable {
    let store: any TrackingStore

    func addRoutes<Context>(to routes: MLflowRoutes<Context>) {
        let (limit, gate) = (routes.limit, routes.gate)
        routes.add(.post, "logged-models") { r in
            let model = try await store.createLoggedModel(CreateLoggedModelRequest(
                experimentID: try r.requiredString("experiment_id"), name: try r.string("name"),
                modelType: try r.string("model_type"), sourceRunID: try r.string("source_run_id"),
                params: try r.keyValues("params"), tags: try r.keyValues("tags")))
            return .object([("model", Wire.loggedModel(model))])
        }
        routes.collection.on("logged-models/:model_id", method: .get) { request, context -> Response in
            let id = try context.parameters.decoded("model_id")
            try await MLflowRoutes<Context>.requireOnLoggedModel(gate, context.identity, .read, id: id, store: store)
            return .json(.object([("model", Wire.loggedModel(try await store.getLoggedModel(id: id)))]))
        }
        routes.collection.on("logged-models/:model_id", method: .patch) { request, context -> Response in
            let id = try context.parameters.decoded("model_id")
            try await MLflowRoutes<Context>.requireOnLoggedModel(gate, context.identity, .edit, id: id, store: store)
            let r = try await MLflowRequest.read(request, limit: limit)
            let raw = try r.string("status") ?? LoggedModelStatus.ready.rawValue
            guard let status = LoggedModelStatus(rawValue: raw) else {
                throw SlipwayError.invalidParameter("Invalid value '\(raw)' for parameter 'status'")
            }
            return .json(.object([("model", Wire.loggedModel(try await store.finalizeLoggedModel(id: id, status: status)))]))
        }
        routes.collection.on("logged-models/:model_id/tags", method: .patch) { request, context -> Response in
            let id = try context.parameters.decoded("model_id")
            try await MLflowRoutes<Context>.requireOnLoggedModel(gate, context.identity, .edit, id: id, store: store)
            let r = try await MLflowRequest.read(request, limit: limit)
            try await store.setLoggedModelTags(id: id, tags: try r.keyValues("tags"))
            return .json(.object([("model", Wire.loggedModel(try await store.getLoggedModel(id: id)))]))
        }
        routes.collection.on("logged-models/:model_id/tags/:key", method: .delete) { request, context -> Response in
            try await MLflowRoutes<Context>.requireOnLoggedModel(gate, context.identity, .edit, id: try context.parameters.decoded("model_id"), store: store)
            try await store.deleteLoggedModelTag(id: try context.parameters.decoded("model_id"), key: try context.parameters.decoded("key"))
            return .emptyJSON
        }
        routes.add(.post, "logged-models/search") { r in
            let search = try EntitySearch(
                .loggedModels, filter: try r.string("filter"), maxResults: Int(try r.int64("max_results") ?? 100),
                orderBy: try orderFields(r), pageToken: try r.string("page_token"))
            let page = try await store.searchLoggedModels(experimentIDs: try r.strings("experiment_ids"), search: search)
            return Wire.page("models", page.items.map(Wire.loggedModel), next: page.nextPageToken)
        }
    }

    /// logged-models/search sends `order_by` as objects (`{"field_name", "ascending"}`).
    func orderFields(_ r: MLflowRequest) throws(SlipwayError) -> [String] {
        try r.objects("order_by").map { item throws(SlipwayError) in
            let o = MLflowRequest(object: item)
            let field = try o.requiredString("field_name")
            return "\(field) \((try o.bool("ascending") ?? true) ? "ASC" : "DESC")"
        }
    }
}
