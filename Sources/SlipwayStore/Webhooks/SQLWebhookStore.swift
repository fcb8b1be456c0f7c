import Foundation
public import SlipwayCore
import SQLKit

/// MLflow webhook registrations over SQL.
public struct SQLWebhookStore: WebhookStore {
    let database: StoreDatabase
    let now: @Sendable () -> Int64

    public init(database: StoreDatabase, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.database = database
        self.now = now
    }

    public func createWebhook(name: String, description: String, url: String, events: [WebhookEvent], secret: String?, status: Webhook.Status) async throws -> Webhook {
        try Webhook.validate(name: name, url: url, events: events)
        let time = now()
        let webhook = Webhook(id: UUID().uuidString.lowercased(), name: name, description: description, url: url, events: events,
                              status: status, secret: secret, creationTimestamp: time, lastUpdatedTimestamp: time)
        try await database.transaction { db in
            try await database.run(db, """
                INSERT INTO webhooks (webhook_id, name, description, url, events_json, status, secret, creation_timestamp, last_updated_timestamp)
                VALUES (\(bind: webhook.id), \(bind: name), \(bind: description), \(bind: url), \(bind: Self.encode(events)),
                        \(bind: status.rawValue), \(bind: secret), \(bind: time), \(bind: time))
                """)
        }
        return webhook
    }

    public func getWebhook(id: String) async throws -> Webhook {
        try await database.withConnection { db in
            guard let row = try await database.first(db, "SELECT * FROM webhooks WHERE webhook_id = \(bind: id)") else {
                throw SlipwayError.notFound("Webhook with ID \(id) not found.")
            }
            return try Self.decode(row)
        }
    }

    public func listWebhooks(maxResults: Int, pageToken: String?) async throws -> Page<Webhook> {
        let offset = try PageToken.decode(pageToken)
        let limit = min(max(maxResults, 1), 1000)
        let rows = try await database.withConnection { db in
            try await database.rows(db, "SELECT * FROM webhooks ORDER BY creation_timestamp DESC, webhook_id LIMIT \(bind: limit + 1) OFFSET \(bind: offset)")
        }
        return PageToken.page(try rows.map(Self.decode), offset: offset, limit: limit)
    }

    public func updateWebhook(id: String, change: WebhookChange) async throws -> Webhook {
        var webhook = try await getWebhook(id: id)
        if let name = change.name { webhook.name = name }
        if let description = change.description { webhook.description = description }
        if let url = change.url { webhook.url = url }
        if let events = change.events { webhook.events = events }
        if let secret = change.secret { webhook.secret = secret }
        if let status = change.status { webhook.status = status }
        try Webhook.validate(name: webhook.name, url: webhook.url, events: webhook.events)
        webhook.lastUpdatedTimestamp = now()
        let updated = webhook
        try await database.transaction { db in
            try await database.run(db, """
                UPDATE webhooks SET name = \(bind: updated.name), description = \(bind: updated.description), url = \(bind: updated.url),
                    events_json = \(bind: Self.encode(updated.events)), status = \(bind: updated.status.rawValue), secret = \(bind: updated.secret),
                    last_updated_timestamp = \(bind: updated.lastUpdatedTimestamp)
                WHERE webhook_id = \(bind: id)
                """)
        }
        return updated
    }

    public func deleteWebhook(id: String) async throws {
        _ = try await getWebhook(id: id)
        try await database.transaction { db in
            // Its history stays; what was still waiting to be sent is dropped with it.
            try await database.run(db, "DELETE FROM deliveries WHERE subscription_id = \(bind: id) AND receiver = 'mlflow' AND status = 'pending'")
            try await database.run(db, "DELETE FROM webhooks WHERE webhook_id = \(bind: id)")
        }
    }

    /// Every registration, inside a transaction (the outbox matches events against them).
    static func webhooks(_ database: StoreDatabase, _ db: any SQLDatabase) async throws -> [Webhook] {
        try await database.rows(db, "SELECT * FROM webhooks ORDER BY creation_timestamp, webhook_id").map(decode)
    }

    static func encode(_ events: [WebhookEvent]) -> String {
        JSONWriter.string(.array(events.map { .object([("entity", .string($0.entity)), ("action", .string($0.action))]) }))
    }

    static func decode(_ row: StoreRow) throws -> Webhook {
        let events = try ((try? JSONParser.parse(try row.string("events_json")))?.arrayValue ?? []).map { item in
            try WebhookEvent(entity: item["entity"]?.stringValue ?? "", action: item["action"]?.stringValue ?? "")
        }
        return Webhook(
            id: try row.string("webhook_id"), name: try row.string("name"), description: try row.string("description"),
            url: try row.string("url"), events: events, status: Webhook.Status(rawValue: try row.string("status")) ?? .active,
            secret: try row.optionalString("secret"), creationTimestamp: try row.int64("creation_timestamp"),
            lastUpdatedTimestamp: try row.int64("last_updated_timestamp"))
    }
}
