public import SlipwayCore
import SQLKit

/// Monitoring rules over SQL. A state change is a conditional update (`WHERE state = <from>`)
/// written with its events in one transaction: of two processes checking the same rule at once,
/// one reports the breach.
public struct SQLMonitorRuleStore: MonitorRuleStore {
    let database: StoreDatabase
    let registry: SQLRegistryStore
    let events: SQLEventStore

    public init(database: StoreDatabase, registry: SQLRegistryStore, events: SQLEventStore) {
        self.database = database
        self.registry = registry
        self.events = events
    }

    public func setRule(_ rule: MonitorRule) async throws {
        try rule.validate()
        let spec = JSONWriter.string(rule.json)
        try await database.transaction { db in
            try await registry.requireModel(db, rule.model)
            try await database.run(db, """
                INSERT INTO monitor_rules (name, model, spec, state, created_at, updated_at)
                VALUES (\(bind: rule.name), \(bind: rule.model), \(bind: spec), 'ok', \(bind: rule.createdAt), \(bind: rule.updatedAt))
                ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at,
                    state = CASE WHEN monitor_rules.model = excluded.model THEN monitor_rules.state ELSE 'ok' END,
                    state_since = CASE WHEN monitor_rules.model = excluded.model THEN monitor_rules.state_since ELSE NULL END,
                    model = excluded.model
                """)
        }
    }

    public func getRule(name: String) async throws -> MonitorRuleStatus {
        let row = try await database.withConnection { db in
            try await database.first(db, "SELECT * FROM monitor_rules WHERE name = \(bind: name)")
        }
        guard let row else { throw SlipwayError.notFound("No monitoring rule named '\(name)'") }
        return try Self.status(row)
    }

    public func listRules(model: String?) async throws -> [MonitorRuleStatus] {
        let rows = try await database.withConnection { db in
            if let model {
                return try await database.rows(db, "SELECT * FROM monitor_rules WHERE model = \(bind: model) ORDER BY name")
            }
            return try await database.rows(db, "SELECT * FROM monitor_rules ORDER BY name")
        }
        return try rows.map(Self.status)
    }

    public func deleteRule(name: String) async throws {
        try await database.transaction { db in
            guard try await database.first(db, "DELETE FROM monitor_rules WHERE name = \(bind: name) RETURNING name") != nil else {
                throw SlipwayError.notFound("No monitoring rule named '\(name)'")
            }
        }
    }

    /// A check is recorded only against the state it was judged from, and only if no later check was recorded meanwhile.
    public func recordCheck(
        name: String, at time: Int64, check: String, from: MonitorRule.State, to: MonitorRule.State, events: [Event]
    ) async throws -> Bool {
        try await database.transaction { db in
            let updated: StoreRow?
            if from == to {
                updated = try await database.first(db, """
                    UPDATE monitor_rules SET checked_at = \(bind: time), last_check = \(bind: check)
                    WHERE name = \(bind: name) AND state = \(bind: from.rawValue) AND (checked_at IS NULL OR checked_at <= \(bind: time)) RETURNING name
                    """)
            } else {
                updated = try await database.first(db, """
                    UPDATE monitor_rules SET state = \(bind: to.rawValue), state_since = \(bind: time), checked_at = \(bind: time), last_check = \(bind: check)
                    WHERE name = \(bind: name) AND state = \(bind: from.rawValue) AND (checked_at IS NULL OR checked_at <= \(bind: time)) RETURNING name
                    """)
            }
            guard updated != nil else { return false }
            for event in events {
                try event.validate()
                try await self.events.insert(db, event)
            }
            return true
        }
    }

    static func status(_ row: StoreRow) throws -> MonitorRuleStatus {
        var rule = try MonitorRule(json: try JSONParser.parse(try row.string("spec")), at: try row.int64("created_at"))
        rule.updatedAt = try row.int64("updated_at")
        let state = try row.string("state")
        guard let known = MonitorRule.State(rawValue: state) else {
            throw SlipwayError(.internalError, "Monitoring rule '\(rule.name)' has an unknown state '\(state)' in the store")
        }
        return MonitorRuleStatus(
            rule: rule, state: known, stateSince: try row.optionalInt64("state_since"),
            checkedAt: try row.optionalInt64("checked_at"), lastCheck: try row.optionalString("last_check"))
    }
}
