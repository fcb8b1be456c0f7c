import Foundation
public import SlipwayCore
import SQLKit

/// Webhooks for Slipway's events and the deliveries to them and to MLflow's webhooks, over SQL.
public struct SQLDeliveryStore: DeliveryStore {
    let database: StoreDatabase
    let now: @Sendable () -> Int64

    public init(database: StoreDatabase, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.database = database
        self.now = now
    }

    public func createSubscription(url: String, eventTypes: [String], secret: String?, format: Subscription.Format) async throws -> Subscription {
        let subscription = Subscription(id: IDGenerator.hex32(), url: url, eventTypes: eventTypes, secret: secret, format: format, createdAt: now())
        try subscription.validate()
        let types = JSONWriter.string(.array(eventTypes.map { .string($0) }))
        try await database.transaction { db in
            try await database.run(db, """
                INSERT INTO subscriptions (subscription_id, url, event_types, secret, format, created_at)
                VALUES (\(bind: subscription.id), \(bind: url), \(bind: types), \(bind: secret), \(bind: format.rawValue), \(bind: subscription.createdAt))
                """)
        }
        return subscription
    }

    public func listSubscriptions() async throws -> [Subscription] {
        try await database.withConnection { db in try await Self.subscriptions(database, db) }
    }

    public func deleteSubscription(id: String) async throws {
        try await database.transaction { db in
            guard try await database.first(db, "SELECT 1 AS one FROM subscriptions WHERE subscription_id = \(bind: id)") != nil else {
                throw SlipwayError.notFound("No webhook with id '\(id)'")
            }
            // Its history stays; what was still waiting to be sent is dropped with it.
            try await database.run(db, "DELETE FROM deliveries WHERE subscription_id = \(bind: id) AND status = 'pending'")
            try await database.run(db, "DELETE FROM subscriptions WHERE subscription_id = \(bind: id)")
        }
    }

    public func claimDue(now: Int64, lease: Int64, limit: Int) async throws -> [DueDelivery] {
        try await database.transaction { db in
            let rows = try await database.rows(db, """
                SELECT d.*, e.type AS e_type, e.source AS e_source, e.subject AS e_subject, e.time AS e_time, e.data AS e_data
                FROM deliveries d JOIN events e ON e.event_id = d.event_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= \(bind: now)
                ORDER BY d.next_attempt_at, d.created_at LIMIT \(bind: limit)
                """)
            guard !rows.isEmpty else { return [] }
            let subscriptions = Dictionary(try await Self.subscriptions(database, db).map { ($0.id, $0) }) { first, _ in first }
            let webhooks = Dictionary(try await SQLWebhookStore.webhooks(database, db).map { ($0.id, $0) }) { first, _ in first }
            var claimed: [DueDelivery] = []
            for row in rows {
                var delivery = try Self.delivery(row)
                let receiver: WebhookReceiver
                switch delivery.receiver {
                case .slipway:
                    guard let subscription = subscriptions[delivery.webhookID] else {
                        try await Self.give(up: delivery, "the webhook was deleted", at: now, database, db)
                        continue
                    }
                    receiver = .slipway(subscription)
                case .mlflow:
                    guard let webhook = webhooks[delivery.webhookID], webhook.status == .active else {
                        let why = webhooks[delivery.webhookID] == nil ? "the webhook was deleted" : "the webhook is disabled"
                        try await Self.give(up: delivery, why, at: now, database, db)
                        continue
                    }
                    receiver = .mlflow(webhook)
                }
                // Claimed only if nobody moved it since the read: another process may be claiming too.
                let won = try await database.first(db, """
                    UPDATE deliveries SET next_attempt_at = \(bind: now + lease)
                    WHERE delivery_id = \(bind: delivery.id) AND status = 'pending' AND next_attempt_at = \(bind: delivery.nextAttemptAt)
                    RETURNING delivery_id
                    """)
                guard won != nil else { continue }
                delivery.nextAttemptAt = now + lease
                let event = Event(
                    id: delivery.eventID, type: try row.string("e_type"), source: try row.string("e_source"), subject: try row.string("e_subject"),
                    time: try row.int64("e_time"), data: try row.string("e_data"))
                claimed.append(DueDelivery(delivery: delivery, event: event, webhook: receiver))
            }
            return claimed
        }
    }

    /// A delivery whose webhook is gone (or, for MLflow's, disabled) fails at once instead of
    /// being claimed again at every pass.
    static func give(up delivery: Delivery, _ reason: String, at time: Int64, _ database: StoreDatabase, _ db: any SQLDatabase) async throws {
        try await database.run(db, """
            UPDATE deliveries SET status = 'failed', last_error = \(bind: reason), next_attempt_at = \(bind: time)
            WHERE delivery_id = \(bind: delivery.id) AND status = 'pending'
            """)
    }

    public func recordAttempt(id: String, at time: Int64, statusCode: Int?, error: String?, delivered: Bool, retryAt: Int64?) async throws {
        let status: Delivery.Status = delivered ? .delivered : retryAt == nil ? .failed : .pending
        try await database.transaction { db in
            try await database.run(db, """
                UPDATE deliveries SET status = \(bind: status.rawValue), attempts = attempts + 1, last_attempt_at = \(bind: time),
                    last_status_code = \(bind: statusCode.map(Int64.init)), last_error = \(bind: error.map { String($0.prefix(1000)) }),
                    next_attempt_at = \(bind: retryAt ?? time), delivered_at = \(bind: delivered ? time : nil)
                WHERE delivery_id = \(bind: id)
                """)
        }
    }

    public func listDeliveries(status: Delivery.Status?, eventID: String?, webhookID: String?, maxResults: Int, pageToken: String?) async throws -> Page<Delivery> {
        let offset = try PageToken.decode(pageToken)
        let limit = min(max(maxResults, 1), 1000)
        var conditions: [SQLQueryString] = []
        if let status { conditions.append("status = \(bind: status.rawValue)") }
        if let eventID { conditions.append("event_id = \(bind: eventID)") }
        if let webhookID { conditions.append("subscription_id = \(bind: webhookID)") }
        let filter: SQLQueryString = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let query: SQLQueryString = "SELECT * FROM deliveries" + filter
            + " ORDER BY created_at DESC, delivery_id DESC LIMIT \(bind: limit + 1) OFFSET \(bind: offset)"
        let rows = try await database.withConnection { db in try await database.rows(db, query) }
        return PageToken.page(try rows.map(Self.delivery), offset: offset, limit: limit)
    }

    public func replay(id: String, now time: Int64) async throws -> Delivery {
        try await database.transaction { db in
            guard let row = try await database.first(db, "SELECT * FROM deliveries WHERE delivery_id = \(bind: id)") else {
                throw SlipwayError.notFound("No delivery with id '\(id)'")
            }
            let delivery = try Self.delivery(row)
            let (table, key) = delivery.receiver == .slipway ? ("subscriptions", "subscription_id") : ("webhooks", "webhook_id")
            guard try await database.first(db, "SELECT 1 AS one FROM \(unsafeRaw: table) WHERE \(unsafeRaw: key) = \(bind: delivery.webhookID)") != nil else {
                throw SlipwayError(.resourceConflict, "Delivery '\(id)' cannot be replayed: its webhook was deleted")
            }
            try await database.run(db, "UPDATE deliveries SET status = 'pending', next_attempt_at = \(bind: time) WHERE delivery_id = \(bind: id)")
            return try Self.delivery(try await database.first(db, "SELECT * FROM deliveries WHERE delivery_id = \(bind: id)")!)
        }
    }

    static func subscriptions(_ database: StoreDatabase, _ db: any SQLDatabase) async throws -> [Subscription] {
        try await database.rows(db, "SELECT * FROM subscriptions ORDER BY created_at, subscription_id").map { row in
            Subscription(
                id: try row.string("subscription_id"), url: try row.string("url"), eventTypes: try types(try row.string("event_types")),
                secret: try row.optionalString("secret"), format: Subscription.Format(rawValue: try row.string("format")) ?? .cloudEvents,
                createdAt: try row.int64("created_at"))
        }
    }

    static func types(_ text: String) throws -> [String] {
        (try JSONParser.parse(text).arrayValue ?? []).compactMap(\.stringValue)
    }

    static func delivery(_ row: StoreRow) throws -> Delivery {
        Delivery(
            id: try row.string("delivery_id"), eventID: try row.string("event_id"), webhookID: try row.string("subscription_id"),
            receiver: Delivery.Receiver(rawValue: try row.string("receiver")) ?? .slipway,
            status: Delivery.Status(rawValue: try row.string("status")) ?? .pending, attempts: try row.int("attempts"),
            nextAttemptAt: try row.int64("next_attempt_at"), lastAttemptAt: try row.optionalInt64("last_attempt_at"),
            lastStatusCode: try row.optionalInt64("last_status_code").map { Int($0) }, lastError: try row.optionalString("last_error"),
            deliveredAt: try row.optionalInt64("delivered_at"), createdAt: try row.int64("created_at"))
    }
}
