import Hummingbird
import SlipwayCore
import SlipwayServing

/// The prediction record read back: `GET /api/v1/models/{name}/predictions?since=&until=&version=&kind=&limit=&page_token=`,
/// newest first: served requests from the prediction log and rows of the batch prediction tables
/// in Slipway's database, each saying which it is. Replicas ship their served predictions with
/// `POST /api/v1/prediction-log` `{"entries": [...]}` (with auth: EDIT on every entry's model).
struct PredictionsController: Sendable {
    let log: any PredictionLogStore
    let maxBodyBytes: Int
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/models/:name/predictions") { request, context -> Response in
            let fields = MLflowRequest.queryFields(request.uri.query ?? "")
            let query = try Self.query(fields, model: try context.parameters.decoded("name"), now: WallClock.milliseconds())
            let (records, next) = try await log.list(query)
            var answer: [(String, JSONValue)] = [("predictions", .array(records.map(Self.json)))]
            if let next { answer.append(("next_page_token", .string(next))) }
            return .json(.object(answer))
        }
        router.post("api/v1/prediction-log") { request, context -> Response in
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            guard case .array(let items)? = body["entries"] else { throw SlipwayError.invalidParameter("'entries' (an array) is required") }
            var entries: [ServedPrediction] = []
            for item in items { entries.append(try ServedPrediction(wire: item)) }
            if let gate, try await gate.constrains(context.identity, .registeredModel) {
                for entry in entries { try await gate.require(context.identity, .edit, .registeredModel, entry.model) }
            }
            try await log.append(entries)
            return .json(.object([("written", .int(entries.count))]))
        }
    }

    static func query(_ fields: [String: JSONValue], model: String, now: Int64) throws(SlipwayError) -> PredictionQuery {
        var query = PredictionQuery(model: model)
        if let since = fields["since"]?.stringValue { query.since = try TimeBound.parse(since, now: now, what: "since") }
        if let until = fields["until"]?.stringValue { query.until = try TimeBound.parse(until, now: now, what: "until") }
        if let version = fields["version"]?.stringValue {
            guard let number = Int(version) else { throw .invalidParameter("'version' must be an integer, got '\(version)'") }
            query.version = number
        }
        if let kind = fields["kind"]?.stringValue {
            guard let parsed = PredictionRecord.Kind(rawValue: kind) else { throw .invalidParameter("'kind' must be served or batch, got '\(kind)'") }
            query.kind = parsed
        }
        query.limit = try RegistryFeedController.integer(fields, "limit", default: 100, range: 1...10_000)
        query.pageToken = fields["page_token"]?.stringValue
        return query
    }

    static func json(_ record: PredictionRecord) -> JSONValue {
        func parsed(_ text: String?) -> JSONValue { text.flatMap { try? JSONParser.parse($0) } ?? .null }
        var fields: [(String, JSONValue)] = [
            ("kind", .string(record.kind.rawValue)), ("id", .string(record.id)), ("model", .string(record.model)),
            ("version", record.version.map { .string(String($0)) } ?? .null), ("at", .int(record.at)),
        ]
        switch record.kind {
        case .served:
            fields += [
                ("inputs", parsed(record.inputs)), ("outputs", parsed(record.outputs)), ("status", record.status.map { .int(Int64($0)) } ?? .null),
                ("latency_ms", record.latencyMicroseconds.map { .number(Double($0) / 1000) } ?? .null),
                ("error", record.error.map { .string($0) } ?? .null),
            ]
        case .batch:
            fields += [("outputs", parsed(record.outputs)), ("table", record.table.map { .string($0) } ?? .null)]
        }
        return .object(fields)
    }
}
