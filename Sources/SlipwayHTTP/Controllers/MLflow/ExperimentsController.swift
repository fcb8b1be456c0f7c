import Hummingbird
import SlipwayCore

/// `experiments/*`: create, get, get-by-name, search, update, delete, restore, tags.
struct ExperimentsController: Sendable {
    let store: any TrackingStore

    func addRoutes<Context>(to routes: MLflowRoutes<Context>) {
        routes.add(.post, "experiments/create") { r in
            let id = try await store.createExperiment(
                name: try r.requiredString("name"), artifactLocation: try r.string("artifact_location"), tags: try r.keyValues("tags"))
            return .object([("experiment_id", .string(id))])
        }
        routes.add(.get, "experiments/get") { r in
            .object([("experiment", Wire.experiment(try await store.getExperiment(id: try r.requiredString("experiment_id"))))])
        }
        routes.add(.get, "experiments/get-by-name") { r in
            let name = try r.requiredString("experiment_name")
            guard let experiment = try await store.getExperiment(name: name) else {
                throw SlipwayError.notFound("Could not find experiment with name '\(name)'")
            }
            return .object([("experiment", Wire.experiment(experiment))])
        }
        let search: MLflowHandler = { r in
            let query = try EntitySearch(
                .experiments, filter: try r.string("filter"), maxResults: Int(try r.int64("max_results") ?? 1000),
                orderBy: try r.strings("order_by"), pageToken: try r.string("page_token"))
            let page = try await store.searchExperiments(query, viewType: try viewType(r, "view_type"))
            return Wire.page("experiments", page.items.map(Wire.experiment), next: page.nextPageToken)
        }
        routes.add(.post, "experiments/search", search)
        routes.add(.get, "experiments/search", search)
        routes.add(.post, "experiments/update") { r in
            try await store.renameExperiment(id: try r.requiredString("experiment_id"), newName: try r.requiredString("new_name"))
            return .object([])
        }
        routes.add(.post, "experiments/delete") { r in
            try await store.setExperimentLifecycle(id: try r.requiredString("experiment_id"), .deleted)
            return .object([])
        }
        routes.add(.post, "experiments/restore") { r in
            try await store.setExperimentLifecycle(id: try r.requiredString("experiment_id"), .active)
            return .object([])
        }
        routes.add(.post, "experiments/set-experiment-tag") { r in
            try await store.setExperimentTag(
                id: try r.requiredString("experiment_id"), tag: KeyValue(key: try r.requiredString("key"), value: try r.string("value") ?? ""))
            return .object([])
        }
        routes.add(.post, "experiments/delete-experiment-tag") { r in
            try await store.deleteExperimentTag(id: try r.requiredString("experiment_id"), key: try r.requiredString("key"))
            return .object([])
        }
    }
}

/// Reads a `ViewType` field (`ACTIVE_ONLY` by default; proto enums may also come as numbers).
func viewType(_ r: MLflowRequest, _ key: String) throws(SlipwayError) -> ViewType {
    if case .number(let n)? = r.fields[key] {
        switch Int(exactly: n) {
        case 1?: return .activeOnly
        case 2?: return .deletedOnly
        case 3?: return .all
        default: throw .invalidParameter("Invalid value \(n) for parameter '\(key)'")
        }
    }
    guard let raw = try r.string(key), !raw.isEmpty else { return .activeOnly }
    guard let view = ViewType(rawValue: raw.uppercased()) else {
        throw .invalidParameter("Invalid value '\(raw)' for parameter '\(key)': expected ACTIVE_ONLY, DELETED_ONLY or ALL")
    }
    return view
}
