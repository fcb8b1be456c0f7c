import Foundation
public import SlipwayCore
import SQLKit

/// The event log over SQL.
public struct SQLEventStore: EventStore {
    let database: StoreDatabase

    public init(database: StoreDatabase) {
        self.database = database
    }

    public func record(_ event: Event) async throws {
        try event.validate()
        try await database.transaction { db in try await insert(db, event) }
    }

    /// Appends an event inside a transaction, with its deliveries (the outbox).
    func insert(_ db: any SQLDatabase, _ event: Event) async throws {
        try await Outbox.append(database, db, event)
    }

    public func listEvents(type: String?, subject: String?, maxResults: Int, pageToken: String?) async throws -> Page<Event> {
        let offset = try PageToken.decode(pageToken)
        let limit = min(max(maxResults, 1), 1000)
        var conditions: [SQLQueryString] = []
        if let type { conditions.append("type = \(bind: type)") }
        if let subject {
            conditions.append(subject.hasSuffix("/") ? "substr(subject, 1, CAST(\(bind: subject.unicodeScalars.count) AS INTEGER)) = \(bind: subject)" : "subject = \(bind: subject)")
        }
        let filter: SQLQueryString = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let query: SQLQueryString = "SELECT * FROM events" + filter
            + " ORDER BY time DESC, event_id DESC LIMIT \(bind: limit + 1) OFFSET \(bind: offset)"
        let rows = try await database.withConnection { db in try await database.rows(db, query) }
        let events = try rows.map { row in
            Event(
                id: try row.string("event_id"), type: try row.string("type"), source: try row.string("source"),
                subject: try row.string("subject"), time: try row.int64("time"), data: try row.string("data"))
        }
        return PageToken.page(events, offset: offset, limit: limit)
    }
}
