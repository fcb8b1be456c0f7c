import Hummingbird
import SlipwayCore
import SlipwayJobs

/// `webhooks` and `webhooks/{id}`: MLflow webhook registrations (create, get, list, update, delete),
/// and `webhooks/{id}/test`, which sends the event's example payload now. The secret is stored to
/// sign deliveries and never returned. Registry changes reach active webhooks through the outbox.
struct WebhooksController: Sendable {
    let store: any WebhookStore
    let tester: MLflowWebhookTester

    func addRoutes<Context>(to routes: MLflowRoutes<Context>) {
        let limit = routes.limit
        routes.add(.post, "webhooks") { r in
            let webhook = try await store.createWebhook(
                name: try r.requiredString("name"), description: try r.string("description") ?? "", url: try r.requiredString("url"),
                events: try events(r) ?? [], secret: try r.string("secret"), status: try status(r) ?? .active)
            return .object([("webhook", Self.json(webhook))])
        }
        routes.add(.get, "webhooks") { r in
            let page = try await store.listWebhooks(maxResults: Int(try r.int64("max_results") ?? 100), pageToken: try r.string("page_token"))
            return Wire.page("webhooks", page.items.map(Self.json), next: page.nextPageToken)
        }
        routes.collection.on("webhooks/:webhook_id", method: .get) { _, context -> Response in
            .json(.object([("webhook", Self.json(try await store.getWebhook(id: try context.parameters.decoded("webhook_id"))))]))
        }
        routes.collection.on("webhooks/:webhook_id", method: .patch) { request, context -> Response in
            let r = try await MLflowRequest.read(request, limit: limit)
            let change = WebhookChange(
                name: try r.string("name"), description: try r.string("description"), url: try r.string("url"),
                events: try events(r), secret: try r.string("secret"), status: try status(r))
            let webhook = try await store.updateWebhook(id: try context.parameters.decoded("webhook_id"), change: change)
            return .json(.object([("webhook", Self.json(webhook))]))
        }
        routes.collection.on("webhooks/:webhook_id", method: .delete) { _, context -> Response in
            try await store.deleteWebhook(id: try context.parameters.decoded("webhook_id"))
            return .emptyJSON
        }
        routes.collection.on("webhooks/:webhook_id/test", method: .post) { request, context -> Response in
            let webhook = try await store.getWebhook(id: try context.parameters.decoded("webhook_id"))
            let r = try await MLflowRequest.read(request, limit: limit)
            var event: WebhookEvent?
            if let item = r.fields["event"], item != .null {
                let e = MLflowRequest(object: item)
                event = try WebhookEvent(entity: try e.requiredString("entity"), action: try e.requiredString("action"))
            }
            let result = await tester.test(webhook, event: event)
            var o = JSONObjectBuilder()
            o.add("success", .bool(result.success))
            if let status = result.responseStatus { o.add("response_status", .int(status)) }
            if let body = result.responseBody { o.add("response_body", body) }
            if let message = result.errorMessage { o.add("error_message", message) }
            return .json(.object([("result", o.value)]))
        }
    }

    func events(_ r: MLflowRequest) throws(SlipwayError) -> [WebhookEvent]? {
        guard r.fields["events"] != nil else { return nil }
        return try r.objects("events").map { item throws(SlipwayError) in
            let e = MLflowRequest(object: item)
            return try WebhookEvent(entity: try e.requiredString("entity"), action: try e.requiredString("action"))
        }
    }

    func status(_ r: MLflowRequest) throws(SlipwayError) -> Webhook.Status? {
        guard let raw = try r.string("status"), !raw.isEmpty else { return nil }
        guard let status = Webhook.Status(rawValue: raw) else {
            throw .invalidParameter("Invalid webhook status '\(raw)'. Valid values are ACTIVE and DISABLED.")
        }
        return status
    }

    static func json(_ w: Webhook) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("webhook_id", w.id)
        o.add("name", w.name)
        o.add("description", w.description)
        o.add("url", w.url)
        o.add("events", .array(w.events.map { .object([("entity", .string($0.entity)), ("action", .string($0.action))]) }))
        o.add("status", w.status.rawValue)
        o.add("creation_timestamp", w.creationTimestamp)
        o.add("last_updated_timestamp", w.lastUpdatedTimestamp)
        return o.value
    }
}
