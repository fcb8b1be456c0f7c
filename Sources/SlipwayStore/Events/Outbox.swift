import SlipwayCore
import SQLKit

/// The outbox: an event is written in the same transaction as the change it reports, with a
/// delivery row for every webhook that wants it (Slipway's, by type or prefix; MLflow's, by entity
/// and action, when active). The deliverer sends what is queued; nothing acknowledged is lost.
enum Outbox {
    static func append(_ database: StoreDatabase, _ db: any SQLDatabase, _ event: Event) async throws {
        // An event posted twice (a replica retrying) is kept, and delivered, once.
        guard try await database.first(db, "SELECT 1 AS one FROM events WHERE event_id = \(bind: event.id)") == nil else { return }
        try await database.run(db, """
            INSERT INTO events (event_id, type, source, subject, time, data)
            VALUES (\(bind: event.id), \(bind: event.type), \(bind: event.source), \(bind: event.subject), \(bind: event.time), \(bind: event.data))
            """)
        // Jobs started by this type count it as it is written: the scheduler claims what is new by
        // the count, whatever the events' times say.
        try await database.run(db, "UPDATE jobs SET event_count = event_count + 1 WHERE on_event = \(bind: event.type)")
        for subscription in try await SQLDeliveryStore.subscriptions(database, db) where subscription.matches(event.type) {
            try await queue(database, db, event, to: subscription.id, .slipway)
        }
        if let mlflowEvent = event.knownType?.mlflowEvent {
            for webhook in try await SQLWebhookStore.webhooks(database, db) where webhook.status == .active && webhook.events.contains(mlflowEvent) {
                try await queue(database, db, event, to: webhook.id, .mlflow)
            }
        }
    }

    static func queue(_ database: StoreDatabase, _ db: any SQLDatabase, _ event: Event, to webhook: String, _ receiver: Delivery.Receiver) async throws {
        try await database.run(db, """
            INSERT INTO deliveries (delivery_id, event_id, subscription_id, receiver, status, attempts, next_attempt_at, created_at)
            VALUES (\(bind: IDGenerator.timeOrdered(event.time)), \(bind: event.id), \(bind: webhook), \(bind: receiver.rawValue), 'pending', 0,
                    \(bind: event.time), \(bind: event.time))
            """)
    }
}
