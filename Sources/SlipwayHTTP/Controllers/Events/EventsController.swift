import Hummingbird
import SlipwayCore

/// The event log as CloudEvents 1.0 JSON:
/// - `GET /api/v1/events?type=&subject=&max_results=&page_token=`, newest first;
/// - `POST /api/v1/events`: how `slipway serve` replicas report what they saw (`ml.serving.*` types only).
///
/// With auth, an event about a model (subject `models/NAME...`) is the model's: the list leaves it
/// out for callers who may not read the model, and posting one needs EDIT on it.
struct EventsController: Sendable {
    let events: any EventStore
    let maxBodyBytes: Int
    var gate: PermissionGate? = nil

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("api/v1/events") { request, context -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            let maxResults = try RegistryFeedController.integer(query, "max_results", default: 100, range: 1...1000)
            let page = try await events.listEvents(
                type: query["type"]?.stringValue, subject: query["subject"]?.stringValue, maxResults: maxResults,
                pageToken: query["page_token"]?.stringValue)
            let shown = try await gate?.readableModels(page.items, context.identity, model: \.modelName) ?? page.items
            var fields: [(String, JSONValue)] = [("events", .array(shown.map(\.cloudEvent)))]
            if let token = page.nextPageToken { fields.append(("next_page_token", .string(token))) }
            return .json(.object(fields))
        }
        router.post("api/v1/events") { request, context -> Response in
            var event = try Self.parse(try await MLflowRequest.jsonBody(request, limit: maxBodyBytes))
            if let type = EventType(named: event.type) { event.type = type.rawValue }  // an older replica's `serving.swapped`
            guard event.knownType?.isServing == true else {
                let serving = EventType.allCases.filter(\.isServing).map(\.rawValue).joined(separator: ", ")
                throw SlipwayError.invalidParameter("Only serving events (\(serving)) may be posted; '\(event.type)' is the server's own to write")
            }
            if let model = event.modelName { try await gate?.require(context.identity, .edit, .registeredModel, model) }
            try await events.record(event)
            return .json(event.cloudEvent, status: .created)
        }
    }

    /// A posted CloudEvents 1.0 JSON event.
    static func parse(_ json: JSONValue) throws(SlipwayError) -> Event {
        guard json["specversion"]?.stringValue == "1.0" else { throw .invalidParameter("Events must be CloudEvents with specversion \"1.0\"") }
        func field(_ key: String) throws(SlipwayError) -> String {
            guard let value = json[key]?.stringValue, !value.isEmpty else { throw .invalidParameter("Event field '\(key)' is required") }
            return value
        }
        guard case .object? = json["data"] else { throw .invalidParameter("Event field 'data' must be a JSON object") }
        let time = try json["time"]?.stringValue.map { text throws(SlipwayError) in
            guard let ms = WallClock.milliseconds(rfc3339: text) else { throw .invalidParameter("Event 'time' is not an RFC 3339 time: '\(text)'") }
            return ms
        } ?? WallClock.milliseconds()
        let event = Event(
            id: try field("id"), type: try field("type"), source: try field("source"), subject: json["subject"]?.stringValue ?? "",
            time: time, data: JSONWriter.string(json["data"]!))
        try event.validate()
        return event
    }
}
