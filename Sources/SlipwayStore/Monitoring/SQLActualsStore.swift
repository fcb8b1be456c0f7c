import Foundation
public import SlipwayCore
import SQLKit

/// Actuals over SQL, and predictions joined to them: served rows from the prediction log, batch
/// rows from the prediction tables this database's catalog lists.
public struct SQLActualsStore: ActualsStore {
    let database: StoreDatabase

    public init(database: StoreDatabase) {
        self.database = database
    }

    public func add(model: String, actuals: [Actual], receivedAt: Int64) async throws -> ActualsReceipt {
        // One value per id, the last given (PostgreSQL refuses to update a row twice in one statement).
        var latest: [String: Double] = [:]
        var order: [String] = []
        for actual in actuals {
            if latest.updateValue(actual.value, forKey: actual.id) == nil { order.append(actual.id) }
        }
        let database = self.database, ids = order, values = latest
        return try await database.transaction { db in
            let rows = ids.map { [SQLValue.text(model), .text($0), .double(values[$0]!), .int(receivedAt)] }
            try await database.insert(
                db, into: "actuals", columns: ["model", "id", "value", "received_at"], rows: rows,
                suffix: " ON CONFLICT (model, id) DO UPDATE SET value = excluded.value, received_at = excluded.received_at")
            let known = try await Self.known(db, database: database, model: model, ids: ids)
            let unknown = ids.filter { !known.contains($0) }
            return ActualsReceipt(received: actuals.count, matched: ids.count - unknown.count, unknown: unknown.count, unknownExamples: Array(unknown.prefix(5)))
        }
    }

    /// Which of `ids` name a prediction of `model`: a served request (or one of its rows) or a batch row.
    static func known(_ db: any SQLDatabase, database: StoreDatabase, model: String, ids: [String]) async throws -> Set<String> {
        var known: Set<String> = []
        let tables = try await SQLPredictionLogStore.catalog(db, database: database).map(\.0)
        for chunk in ids.chunked(by: 500) {
            // A row of a request with several rows is `<request id>:<row>`.
            var requests: [String: [String]] = [:]
            for id in chunk {
                requests[id, default: []].append(id)
                if let colon = id.lastIndex(of: ":"), Int(id[id.index(after: colon)...]) != nil {
                    requests[String(id[..<colon]), default: []].append(id)
                }
            }
            let served = try await database.rows(db, """
                SELECT DISTINCT request_id FROM prediction_log WHERE model = \(bind: model) AND request_id IN (\(binds: Array(requests.keys)))
                """)
            for row in served { for id in requests[try row.string("request_id")] ?? [] { known.insert(id) } }
            for table in tables {
                let rows = try await database.rows(db, """
                    SELECT DISTINCT id FROM \(unsafeRaw: table) WHERE model = \(bind: model) AND id IN (\(binds: Array(chunk)))
                    """)
                for row in rows { known.insert(try row.string("id")) }
            }
        }
        return known
    }

    public func labeled(model: String, since: Int64, until: Int64, version: Int?) async throws -> [LabeledPrediction] {
        let database = self.database
        return try await database.withConnection { db in
            var found = try await Self.served(db, database: database, model: model, since: since, until: until, version: version)
            for (table, outputs) in try await SQLPredictionLogStore.catalog(db, database: database) {
                var sql: SQLQueryString = "SELECT t.version, t.predicted_at"
                for output in outputs { sql = sql + ", t.\(unsafeRaw: output)" }
                sql = sql + " , a.value FROM \(unsafeRaw: table) t LEFT JOIN actuals a ON a.model = t.model AND a.id = t.id"
                sql = sql + " WHERE t.model = \(bind: model) AND t.predicted_at >= \(bind: since) AND t.predicted_at < \(bind: until)"
                if let version { sql = sql + " AND t.version = \(bind: version)" }
                for row in try await database.rows(db, sql) {
                    found.append(LabeledPrediction(
                        version: try row.int("version"), at: try row.int64("predicted_at"),
                        outputs: try outputs.map { try row.optionalDouble($0) ?? .nan }, actual: try row.optionalDouble("value")))
                }
            }
            return found
        }
    }

    /// Successful served requests in the window, a row each, with actuals: a one-row request's by
    /// its request id (joined in SQL), a longer request's rows by `<request id>:<row>`.
    static func served(
        _ db: any SQLDatabase, database: StoreDatabase, model: String, since: Int64, until: Int64, version: Int?
    ) async throws -> [LabeledPrediction] {
        var sql: SQLQueryString = """
            SELECT l.request_id, l.version, l.served_at, l.rows_count, l.outputs_per_row, l.outputs, a.value
            FROM prediction_log l LEFT JOIN actuals a ON a.model = l.model AND a.id = l.request_id
            WHERE l.model = \(bind: model) AND l.served_at >= \(bind: since) AND l.served_at < \(bind: until)
            AND l.status = 200 AND l.version IS NOT NULL
            """
        if let version { sql = sql + " AND l.version = \(bind: version)" }
        var found: [LabeledPrediction] = []
        var pending: [(index: Int, key: String)] = []  // rows of longer requests, whose actuals are looked up after
        for row in try await database.rows(db, sql) {
            let outputs = SQLPredictionLogStore.values(try row.bytes("outputs"))
            let width = max(1, try row.int("outputs_per_row")), count = try row.int("rows_count")
            let version = Int(try row.int64("version")), at = try row.int64("served_at")
            if count == 1 {
                found.append(LabeledPrediction(version: version, at: at, outputs: Array(outputs.prefix(width)), actual: try row.optionalDouble("value")))
                continue
            }
            let request = try row.string("request_id")
            for r in 0..<count where (r + 1) * width <= outputs.count {
                pending.append((found.count, "\(request):\(r + 1)"))
                found.append(LabeledPrediction(version: version, at: at, outputs: Array(outputs[(r * width)..<((r + 1) * width)]), actual: nil))
            }
        }
        for chunk in pending.chunked(by: 500) {
            let rows = try await database.rows(db, """
                SELECT id, value FROM actuals WHERE model = \(bind: model) AND id IN (\(binds: chunk.map(\.key)))
                """)
            var values: [String: Double] = [:]
            for row in rows { values[try row.string("id")] = try row.double("value") }
            for (index, key) in chunk { found[index].actual = values[key] }
        }
        return found
    }
}
