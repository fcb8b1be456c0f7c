import Foundation
public import SlipwayCore
import SQLKit

/// Promotion policies and the audit log over SQL, and `apply`: aliases, stages, the audit record
/// and its events in one transaction, so a promotion is all there or not at all.
public struct SQLPromotionStore: PromotionStore {
    let database: StoreDatabase
    let registry: SQLRegistryStore
    let events: SQLEventStore
    let now: @Sendable () -> Int64

    public init(database: StoreDatabase, registry: SQLRegistryStore, events: SQLEventStore, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.database = database
        self.registry = registry
        self.events = events
        self.now = now
    }

    public func getPolicy(name: String) async throws -> PromotionPolicy? {
        let row = try await database.withConnection { db in
            try await database.first(db, "SELECT policy FROM promotion_policies WHERE name = \(bind: name)")
        }
        guard let row else { return nil }
        return try PromotionPolicy(json: try JSONParser.parse(try row.string("policy")))
    }

    public func setPolicy(_ policy: PromotionPolicy) async throws {
        try policy.validate()
        let text = JSONWriter.string(policy.json)
        let time = now()
        try await database.transaction { db in
            try await database.announce(db, .policy, policy.modelName)
            try await registry.requireModel(db, policy.modelName)
            try await database.run(db, """
                INSERT INTO promotion_policies (name, policy, updated_at) VALUES (\(bind: policy.modelName), \(bind: text), \(bind: time))
                ON CONFLICT (name) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at
                """)
        }
    }

    public func deletePolicy(name: String) async throws {
        try await database.transaction { db in
            try await database.announce(db, .policy, name)
            guard try await database.first(db, "SELECT 1 AS one FROM promotion_policies WHERE name = \(bind: name)") != nil else {
                throw SlipwayError.notFound("No promotion policy for model '\(name)'")
            }
            try await database.run(db, "DELETE FROM promotion_policies WHERE name = \(bind: name)")
        }
    }

    public func listPolicies() async throws -> [PromotionPolicy] {
        let rows = try await database.withConnection { db in try await database.rows(db, "SELECT policy FROM promotion_policies ORDER BY name") }
        return try rows.map { try PromotionPolicy(json: try JSONParser.parse(try $0.string("policy"))) }
    }

    public func apply(_ change: PromotionChange) async throws {
        let name = change.model
        let time = change.record.time
        try await database.transaction { db in
            if !change.aliases.isEmpty || !change.stages.isEmpty { try await database.announce(db, .model, name) }
            // FOR UPDATE on PostgreSQL serializes promotions of one model across processes; SQLite's single writer does already.
            guard try await database.first(db, "SELECT name FROM registered_models WHERE name = \(bind: name)\(unsafeRaw: database.forUpdate)") != nil else {
                throw SlipwayError.notFound("Registered Model with name=\(name) not found")
            }
            let production = try await registry.aliasedVersion(db, name: name, alias: "production")
            guard production == change.expectedProduction else {
                throw SlipwayError(
                    .resourceConflict,
                    "The production alias of '\(name)' moved to \(production.map { "v\($0)" } ?? "nothing") while this was decided "
                        + "(expected \(change.expectedProduction.map { "v\($0)" } ?? "nothing")); nothing was changed. Run it again.")
            }
            for (alias, version) in change.aliases {
                if let version { try await registry.requireVersion(db, name, version) }
                try await registry.writeAlias(db, name: name, alias: alias, version: version)
            }
            if let stage = change.archivingOthersIn {
                let named = change.stages.map { Int64($0.version) }
                try await database.run(db, """
                    UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = \(bind: time)
                    WHERE name = \(bind: name) AND current_stage = \(bind: stage.rawValue)
                    """ + (named.isEmpty ? "" : " AND version NOT IN (\(binds: named))"))
            }
            for (version, stage) in change.stages {
                try await registry.writeStage(db, name: name, version: version, stage: stage, time: time)
            }
            if !change.aliases.isEmpty || !change.stages.isEmpty {
                try await database.run(db, "UPDATE registered_models SET last_updated_timestamp = \(bind: time) WHERE name = \(bind: name)")
            }
            let r = change.record
            try await database.run(db, """
                INSERT INTO promotion_records (record_id, name, kind, actor, time, action, from_version, to_version, summary, details)
                VALUES (\(bind: r.id), \(bind: name), \(bind: r.kind.rawValue), \(bind: r.actor), \(bind: r.time), \(bind: r.action),
                        \(bind: r.fromVersion.map(Int64.init)), \(bind: r.toVersion.map(Int64.init)), \(bind: r.summary), \(bind: r.details))
                """)
            for event in change.events {
                try event.validate()
                try await events.insert(db, event)
            }
        }
        if !change.aliases.isEmpty || !change.stages.isEmpty { registry.changes.notify(name) }
    }

    public func listRecords(name: String, maxResults: Int, pageToken: String?) async throws -> Page<PromotionRecord> {
        let offset = try PageToken.decode(pageToken)
        let limit = min(max(maxResults, 1), 1000)
        let rows = try await database.withConnection { db in
            try await database.rows(db, """
                SELECT * FROM promotion_records WHERE name = \(bind: name) ORDER BY time DESC, record_id DESC
                LIMIT \(bind: limit + 1) OFFSET \(bind: offset)
                """)
        }
        let records = try rows.map { row in
            PromotionRecord(
                id: try row.string("record_id"), model: try row.string("name"),
                kind: PromotionRecord.Kind(rawValue: try row.string("kind")) ?? .decision, actor: try row.string("actor"),
                time: try row.int64("time"), action: try row.string("action"), fromVersion: try row.optionalInt64("from_version").map { Int($0) },
                toVersion: try row.optionalInt64("to_version").map { Int($0) }, summary: try row.string("summary"), details: try row.string("details"))
        }
        return PageToken.page(records, offset: offset, limit: limit)
    }
}
