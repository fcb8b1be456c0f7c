import Foundation
public import SlipwayCore
import SQLiteNIO
import SQLKit

/// The prediction log over SQL, and reading back a model's predictions: served requests from the
/// log and batch rows from the prediction tables this database's catalog lists, merged newest first.
public struct SQLPredictionLogStore: PredictionLogStore {
    let database: StoreDatabase
    /// Appends through a prepared statement when the database is a SQLite file.
    let appender: SQLiteLogAppender?

    public init(database: StoreDatabase) {
        self.database = database
        if case .sqliteFile(let path) = database.configuration { appender = SQLiteLogAppender(path: path) } else { appender = nil }
    }

    static let columns = [
        "request_id", "model", "version", "served_at", "rows_count", "feature_count", "inputs", "outputs_per_row", "outputs", "latency_us", "status",
        "error", "source",
    ]

    public func append(_ entries: [ServedPrediction]) async throws {
        guard !entries.isEmpty else { return }
        if let appender {
            // The store's connection is held meanwhile: this process's writers take turns instead of
            // meeting on SQLite's lock.
            do {
                return try await database.withConnection { _ in try await SQLiteDirect.run { try appender.append(entries) } }
            } catch let failure as SQLiteDirect.Failure {
                throw SlipwayStoreError.unavailable("Cannot append to the prediction log: \(failure.message)")
            }
        }
        let rows: [[SQLValue]] = entries.map { entry in
            [
                .text(entry.requestID), .text(entry.model), entry.version.map { .int(Int64($0)) } ?? .nullInteger, .int(entry.servedAt), .int(Int64(entry.rows)),
                .int(Int64(entry.featureCount)), entry.features.isEmpty ? .nullBlob : .blob(Self.bytes(entry.features)),
                .int(Int64(entry.outputsPerRow)), entry.outputs.isEmpty ? .nullBlob : .blob(Self.bytes(entry.outputs)),
                .int(entry.latencyMicroseconds), .int(Int64(entry.status)), .text(entry.error), .text(entry.source),
            ]
        }
        let database = self.database
        try await database.transaction { db in
            try await database.insert(db, into: "prediction_log", columns: Self.columns, rows: rows)
        }
    }

    public func prune(before time: Int64) async throws -> Int {
        let database = self.database
        return try await database.transaction { db in
            let count = try await database.first(db, "SELECT count(*) AS n FROM prediction_log WHERE served_at < \(bind: time)")?.int("n") ?? 0
            if count > 0 { try await database.run(db, "DELETE FROM prediction_log WHERE served_at < \(bind: time)") }
            return count
        }
    }

    public func list(_ query: PredictionQuery) async throws -> (records: [PredictionRecord], nextPageToken: String?) {
        let cursor = try query.pageToken.map(Cursor.init(token:))
        let limit = min(max(query.limit, 1), 10_000)
        let database = self.database
        var records = try await database.withConnection { db -> [PredictionRecord] in
            var found: [PredictionRecord] = []
            if query.kind != .batch { found += try await Self.served(db, database: database, query, cursor: cursor, limit: limit + 1) }
            if query.kind != .served {
                for (table, outputs) in try await Self.catalog(db, database: database) {
                    found += try await Self.batch(db, database: database, table: table, outputs: outputs, query, cursor: cursor, limit: limit + 1)
                }
            }
            return found
        }
        records.sort { Cursor(record: $0) > Cursor(record: $1) }
        guard records.count > limit else { return (records, nil) }
        records.removeLast(records.count - limit)
        return (records, Cursor(record: records[limit - 1]).token)
    }

    public func hourly(model: String, since: Int64, until: Int64) async throws -> [HourlyServing] {
        let database = self.database
        return try await database.withConnection { db in
            try await database.rows(db, """
                SELECT served_at / 3600000 AS hour, version, COUNT(*) AS requests, CAST(SUM(rows_count) AS BIGINT) AS rows_total,
                       CAST(SUM(CASE WHEN status = 200 THEN 0 ELSE 1 END) AS BIGINT) AS errors, CAST(AVG(latency_us) AS DOUBLE PRECISION) AS latency
                FROM prediction_log WHERE model = \(bind: model) AND served_at >= \(bind: since) AND served_at < \(bind: until)
                GROUP BY served_at / 3600000, version ORDER BY hour, version
                """).map { row in
                HourlyServing(
                    hour: try row.int64("hour") * 3_600_000, version: try row.optionalInt64("version").map { Int($0) }, requests: try row.int("requests"),
                    rows: try row.int("rows_total"), errors: try row.int("errors"), meanLatencyMicroseconds: try row.double("latency"))
            }
        }
    }

    public func servedRows(model: String, since: Int64, until: Int64, version: Int?, featureCount: Int) async throws -> ServedRows {
        var sql: SQLQueryString = """
            SELECT outputs_per_row, inputs, outputs FROM prediction_log
            WHERE model = \(bind: model) AND served_at >= \(bind: since) AND served_at < \(bind: until) AND status = 200
            AND feature_count = \(bind: featureCount) AND inputs IS NOT NULL
            """
        if let version { sql = sql + " AND version = \(bind: version)" }
        let database = self.database, query = sql
        return try await database.withConnection { db in
            var rows = ServedRows(featureCount: featureCount, outputsPerRow: 0)
            for row in try await database.rows(db, query) {
                let width = try row.int("outputs_per_row")
                let inputs = Self.values(try row.bytes("inputs")), outputs = Self.values(try row.bytes("outputs"))
                guard width > 0, inputs.count / featureCount == outputs.count / width else { continue }
                if rows.outputsPerRow == 0 { rows.outputsPerRow = width }
                guard width == rows.outputsPerRow else { continue }
                rows.features += inputs
                rows.outputs += outputs
            }
            return rows
        }
    }

    /// Where a page ended: records are ordered by time, then id, then kind, all descending.
    struct Cursor: Comparable {
        var at: Int64
        var id: String
        var kind: String

        init(record: PredictionRecord) {
            at = record.at
            id = record.id
            kind = record.kind.rawValue
        }

        init(token: String) throws(SlipwayError) {
            let parts = token.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let at = Int64(parts[0]), parts[1] == "served" || parts[1] == "batch",
                  let id = String(parts[2]).removingPercentEncoding else {
                throw .invalidParameter("Invalid page_token '\(token)'")
            }
            self.at = at
            self.kind = String(parts[1])
            self.id = id
        }

        var token: String {
            "\(at):\(kind):\(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id)"
        }

        static func < (a: Cursor, b: Cursor) -> Bool {
            (a.at, a.id, a.kind) < (b.at, b.id, b.kind)
        }
    }

    static func served(
        _ db: any SQLDatabase, database: StoreDatabase, _ query: PredictionQuery, cursor: Cursor?, limit: Int
    ) async throws -> [PredictionRecord] {
        var sql: SQLQueryString = "SELECT * FROM prediction_log WHERE model = \(bind: query.model)"
        sql = filtered(sql, query, time: "served_at", id: "request_id", cursor: cursor, kind: "served")
        sql = sql + " ORDER BY served_at DESC, request_id DESC LIMIT \(bind: limit)"
        return try await database.rows(db, sql).map { row in
            let inputs = try row.bytes("inputs"), outputs = try row.bytes("outputs")
            let width = try row.int("outputs_per_row")
            return PredictionRecord(
                kind: .served, id: try row.string("request_id"), model: try row.string("model"), version: try row.optionalInt64("version").map { Int($0) },
                at: try row.int64("served_at"),
                inputs: inputs.isEmpty ? nil : json(values(inputs), width: try row.int("feature_count"), nested: true),
                outputs: outputs.isEmpty ? nil : json(values(outputs), width: width, nested: width > 1),
                status: try row.int("status"), latencyMicroseconds: try row.int64("latency_us"), error: try row.optionalString("error"))
        }
    }

    static func batch(
        _ db: any SQLDatabase, database: StoreDatabase, table: String, outputs: [String], _ query: PredictionQuery, cursor: Cursor?, limit: Int
    ) async throws -> [PredictionRecord] {
        var sql: SQLQueryString = "SELECT * FROM \(unsafeRaw: table) WHERE model = \(bind: query.model)"
        sql = filtered(sql, query, time: "predicted_at", id: "id", cursor: cursor, kind: "batch")
        sql = sql + " ORDER BY predicted_at DESC, id DESC LIMIT \(bind: limit)"
        return try await database.rows(db, sql).map { row in
            let values = try outputs.map { try row.optionalDouble($0) ?? .nan }
            var text: [UInt8] = []
            if values.count == 1 {
                JSONWriter.writeNumber(values[0], into: &text)
            } else {
                text = Array(json(values, width: values.count, nested: false).utf8)
            }
            return PredictionRecord(
                kind: .batch, id: try row.string("id"), model: try row.string("model"), version: try row.int("version"), at: try row.int64("predicted_at"),
                outputs: String(decoding: text, as: UTF8.self), table: table)
        }
    }

    /// The query's filters and the page's cursor as SQL conditions on `time` and `id`.
    static func filtered(_ sql: SQLQueryString, _ query: PredictionQuery, time: String, id: String, cursor: Cursor?, kind: String) -> SQLQueryString {
        var sql = sql
        if let since = query.since { sql = sql + " AND \(unsafeRaw: time) >= \(bind: since)" }
        if let until = query.until { sql = sql + " AND \(unsafeRaw: time) < \(bind: until)" }
        if let version = query.version { sql = sql + " AND version = \(bind: version)" }
        if let cursor {
            // Rows after the cursor in (time, id, kind) descending order.
            let sameIDBefore = kind < cursor.kind
            sql = sql + " AND (\(unsafeRaw: time) < \(bind: cursor.at) OR (\(unsafeRaw: time) = \(bind: cursor.at) AND (\(unsafeRaw: id) < \(bind: cursor.id)"
            sql = sql + (sameIDBefore ? " OR \(unsafeRaw: id) = \(bind: cursor.id)))" : "))") + ")"
        }
        return sql
    }

    /// The prediction tables of this database and their output columns.
    static func catalog(_ db: any SQLDatabase, database: StoreDatabase) async throws -> [(String, [String])] {
        try await database.rows(db, "SELECT table_name, outputs FROM prediction_tables ORDER BY table_name").map { row in
            (try row.string("table_name"), try row.string("outputs").split(separator: ",").map(String.init))
        }
    }

    /// Doubles as little-endian bytes.
    static func bytes(_ values: [Double]) -> [UInt8] {
        #if _endian(big)
        return values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        #else
        return values.withUnsafeBytes { Array($0) }
        #endif
    }

    /// Little-endian bytes as doubles (a trailing partial value is ignored).
    static func values(_ bytes: [UInt8]) -> [Double] {
        (0..<(bytes.count / 8)).map { i in
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[i * 8 + k]) << (8 * k) }
            return Double(bitPattern: bits)
        }
    }

    /// Values as JSON: `[[a, b], [c, d]]` rows of `width` when nested, else a flat array; NaN as null.
    static func json(_ values: [Double], width: Int, nested: Bool) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(values.count * 20 + 8)
        let width = max(width, 1)
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if nested, i % width == 0 { out.append(UInt8(ascii: "[")) }
            if value.isNaN { out.append(contentsOf: "null".utf8) } else { JSONWriter.writeNumber(value, into: &out) }
            if nested, i % width == width - 1 { out.append(UInt8(ascii: "]")) }
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}
