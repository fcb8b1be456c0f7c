import Hummingbird
import SlipwayCore
import SlipwayJobs

/// Slipway's promotion API:
/// - `GET|PUT|DELETE /api/v1/models/{name}/policy`, `GET /api/v1/policies`;
/// - `POST /api/v1/models/{name}/promote` (`{"dry_run": true}` decides without changing anything),
///   `POST .../approve` (`{"version": "3"}`), `POST .../rollback` (`{"version": "2"}` for a chosen one);
/// - `GET /api/v1/models/{name}/decisions`: the audit log, newest first.
/// Every write takes an optional `"actor"` naming who asked (default: the request context's actor).
/// With auth, the list of policies leaves out those of models the caller may not read.
struct PromotionController: Sendable {
    let promotions: any PromotionStore
    let promoter: Promoter
    let maxBodyBytes: Int
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/policies") { _, context -> Response in
            let policies = try await promotions.listPolicies()
            let shown = try await gate?.readableModels(policies, context.identity, model: \.modelName) ?? policies
            return .json(.object([("policies", .array(shown.map(\.json)))]))
        }
        router.get("api/v1/models/:name/policy") { _, context -> Response in
            let name = try context.parameters.decoded("name")
            guard let policy = try await promotions.getPolicy(name: name) else { throw SlipwayError.notFound("No promotion policy for model '\(name)'") }
            return .json(policy.json)
        }
        router.put("api/v1/models/:name/policy") { request, context -> Response in
            let policy = try PromotionPolicy(json: try await MLflowRequest.jsonBody(request, limit: maxBodyBytes), model: try context.parameters.decoded("name"))
            try await promotions.setPolicy(policy)
            return .json(policy.json)
        }
        router.delete("api/v1/models/:name/policy") { _, context -> Response in
            try await promotions.deletePolicy(name: try context.parameters.decoded("name"))
            return .emptyJSON
        }
        router.post("api/v1/models/:name/promote") { request, context -> Response in
            let name = try context.parameters.decoded("name")
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            let dryRun: Bool
            switch body["dry_run"] {
            case nil, .null?: dryRun = false
            case .bool(let flag)?: dryRun = flag
            case .string(let text)? where ["true", "false"].contains(text): dryRun = text == "true"
            default: throw SlipwayError.invalidParameter("'dry_run' must be true or false")
            }
            if dryRun {
                return .json(.object([("decision", try await promoter.decide(name).json), ("applied", .bool(false))]))
            }
            let (decision, record) = try await promoter.promote(name, actor: try Self.actor(body, context))
            return .json(.object([("decision", decision.json), ("applied", .bool(true)), ("record", Self.json(record))]))
        }
        router.post("api/v1/models/:name/approve") { request, context -> Response in
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            let version = try Self.version(body)
            let record = try await promoter.approve(try context.parameters.decoded("name"), version: version, actor: try Self.actor(body, context))
            return .json(.object([("record", Self.json(record))]))
        }
        router.post("api/v1/models/:name/rollback") { request, context -> Response in
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            let version = body["version"] == nil || body["version"] == .null ? nil : try Self.version(body)
            let record = try await promoter.rollback(try context.parameters.decoded("name"), to: version, actor: try Self.actor(body, context))
            return .json(.object([("record", Self.json(record))]))
        }
        router.get("api/v1/models/:name/decisions") { request, context -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            let page = try await promotions.listRecords(
                name: try context.parameters.decoded("name"),
                maxResults: try RegistryFeedController.integer(query, "max_results", default: 100, range: 1...1000),
                pageToken: query["page_token"]?.stringValue)
            var fields: [(String, JSONValue)] = [("decisions", .array(page.items.map(Self.json)))]
            if let token = page.nextPageToken { fields.append(("next_page_token", .string(token))) }
            return .json(.object(fields))
        }
    }

    /// `"version"` as MLflow writes it (`"3"`) or as a number.
    static func version(_ body: MLflowRequest.Fields) throws(SlipwayError) -> Int {
        let number = body["version"].flatMap { value -> Int? in
            if case .number(let x) = value { return Int(exactly: x) }
            return value.stringValue.flatMap { Int($0) }
        }
        guard let number, number > 0 else { throw .invalidParameter("'version' must be a version number, e.g. \"3\"") }
        return number
    }

    static func actor<Context: SlipwayRequestContext>(_ body: MLflowRequest.Fields, _ context: Context) throws(SlipwayError) -> String {
        // Authenticated, the actor is the user, whatever the body claims.
        guard context.identity == nil, let value = body["actor"], value != .null else { return context.actor }
        guard let text = value.stringValue, !text.isEmpty, text.utf8.count <= 200 else { throw .invalidParameter("'actor' must be a string of 1 to 200 bytes") }
        return text
    }

    static func json(_ record: PromotionRecord) -> JSONValue { record.json }
}
