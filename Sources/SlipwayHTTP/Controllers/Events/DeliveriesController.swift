import Hummingbird
import SlipwayCore

/// Webhooks for Slipway's events and their deliveries:
/// - `POST /api/v1/webhooks` `{"url": ..., "events": ["ml.model.promoted.v1", "ml.model.*"], "secret": ..., "format": "cloudevents"|"slack"}`,
///   `GET /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}`;
/// - `GET /api/v1/deliveries?status=&event_id=&webhook_id=`, `POST /api/v1/deliveries/{id}/replay`: the
///   deliveries to these webhooks and to those registered through MLflow's API (`webhook_kind`).
struct DeliveriesController: Sendable {
    let deliveries: any DeliveryStore
    let maxBodyBytes: Int

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.post("api/v1/webhooks") { request, _ -> Response in
            let body = try await MLflowRequest.read(request, limit: maxBodyBytes).fields
            guard let url = body["url"]?.stringValue else { throw SlipwayError.invalidParameter("'url' is required") }
            guard let list = body["events"]?.arrayValue else { throw SlipwayError.invalidParameter("'events' must be a list of event types, e.g. [\"ml.model.promoted.v1\"]") }
            let types = try list.map { value throws(SlipwayError) in
                guard let text = value.stringValue else { throw .invalidParameter("'events' must hold strings") }
                return text
            }
            var format = Subscription.Format.cloudEvents
            if let text = body["format"]?.stringValue {
                guard let parsed = Subscription.Format(rawValue: text) else { throw SlipwayError.invalidParameter("'format' must be 'cloudevents' or 'slack'") }
                format = parsed
            }
            let secret = body["secret"]?.stringValue
            let created = try await deliveries.createSubscription(url: url, eventTypes: types, secret: secret, format: format)
            return .json(Self.json(created), status: .created)
        }
        router.get("api/v1/webhooks") { _, _ -> Response in
            .json(.object([("webhooks", .array(try await deliveries.listSubscriptions().map(Self.json)))]))
        }
        router.delete("api/v1/webhooks/:id") { _, context -> Response in
            try await deliveries.deleteSubscription(id: try context.parameters.decoded("id"))
            return .emptyJSON
        }
        router.get("api/v1/deliveries") { request, _ -> Response in
            let query = MLflowRequest.queryFields(request.uri.query ?? "")
            var status: Delivery.Status?
            if let text = query["status"]?.stringValue {
                guard let parsed = Delivery.Status(rawValue: text) else { throw SlipwayError.invalidParameter("'status' must be pending, delivered or failed") }
                status = parsed
            }
            let page = try await deliveries.listDeliveries(
                status: status, eventID: query["event_id"]?.stringValue, webhookID: query["webhook_id"]?.stringValue,
                maxResults: try RegistryFeedController.integer(query, "max_results", default: 100, range: 1...1000), pageToken: query["page_token"]?.stringValue)
            var fields: [(String, JSONValue)] = [("deliveries", .array(page.items.map(Self.json)))]
            if let token = page.nextPageToken { fields.append(("next_page_token", .string(token))) }
            return .json(.object(fields))
        }
        router.post("api/v1/deliveries/:id/replay") { _, context -> Response in
            .json(Self.json(try await deliveries.replay(id: try context.parameters.decoded("id"), now: WallClock.milliseconds())))
        }
    }

    static func json(_ s: Subscription) -> JSONValue {
        .object([
            ("id", .string(s.id)), ("url", .string(s.url)), ("events", .array(s.eventTypes.map { .string($0) })), ("format", .string(s.format.rawValue)),
            ("signed", .bool(s.secret != nil)), ("created_at", .int(s.createdAt)),
        ])
    }

    static func json(_ d: Delivery) -> JSONValue {
        func optional(_ x: Int64?) -> JSONValue { x.map { .int($0) } ?? .null }
        return .object([
            ("id", .string(d.id)), ("event_id", .string(d.eventID)), ("webhook_id", .string(d.webhookID)), ("webhook_kind", .string(d.receiver.rawValue)), ("status", .string(d.status.rawValue)),
            ("attempts", .int(d.attempts)), ("next_attempt_at", .int(d.nextAttemptAt)), ("last_attempt_at", optional(d.lastAttemptAt)),
            ("last_status_code", optional(d.lastStatusCode.map(Int64.init))), ("last_error", d.lastError.map { .string($0) } ?? .null),
            ("delivered_at", optional(d.deliveredAt)), ("created_at", .int(d.createdAt)),
        ])
    }
}
