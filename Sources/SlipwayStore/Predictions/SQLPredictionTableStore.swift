import Foundation
public import SlipwayCore
import PostgresKit
import SQLiteNIO
import SQLKit

/// Prediction tables in a SQL database: Slipway's own, or another one the user names. Rows go in
/// inside one transaction, `ON CONFLICT (id, model, version) DO NOTHING`: into a SQLite file through
/// `SQLiteTableWriter`'s prepared statement, elsewhere (PostgreSQL, an in-memory SQLite) with
/// multi-row INSERTs.
public struct SQLPredictionTableStore: PredictionTableStore {
    let database: StoreDatabase
    /// Whether this is Slipway's own database, whose catalog lists the prediction tables (so that
    /// a model's batch predictions can be read back with its served ones).
    let catalogued: Bool

    public init(database: StoreDatabase, catalogued: Bool) {
        self.database = database
        self.catalogued = catalogued
    }

    public func write(
        table: String, outputs: [String], provenance: PredictionProvenance, batches: AsyncThrowingStream<PredictionRows, any Error>
    ) async throws -> Int {
        try Self.checkIdentifier(table, what: "an output table name")
        for output in outputs { try Self.checkIdentifier(output, what: "an output column name") }
        if case .sqliteFile(let path) = database.configuration {
            // The writer has a connection of its own; holding the store's meanwhile keeps this
            // process's other units of work waiting their turn instead of timing out on SQLite's write lock.
            let catalogued = self.catalogued
            return try await database.withConnection { _ in
                try await SQLiteTableWriter.write(
                    path: path, table: table, outputs: outputs, provenance: provenance, catalogued: catalogued, batches: batches)
            }
        }
        let columns = ["id", "model", "version"] + outputs + ["predicted_at", "job_run"]
        let database = self.database, catalogued = self.catalogued
        return try await database.transaction { db in
            try await Self.prepare(db, database: database, table: table, outputs: outputs)
            if catalogued {
                try await database.run(db, """
                    INSERT INTO prediction_tables (table_name, outputs, created_at) VALUES (\(bind: table), \(bind: outputs.joined(separator: ",")), \(bind: provenance.predictedAt))
                    ON CONFLICT (table_name) DO NOTHING
                    """)
            }
            let before = try await Self.changeCount(db, database: database)
            var added = 0
            for try await batch in batches {
                do {
                    added += try await Self.insert(db, database: database, table: table, columns: columns, batch: batch, provenance: provenance)
                } catch let error as SlipwayError {
                    throw error
                } catch {
                    throw SlipwayError.invalidParameter("Cannot write predictions into table '\(table)': \(Self.describe(error))")
                }
            }
            if let before { added = try await Self.changeCount(db, database: database)! - before }
            return added
        }
    }

    /// Creates the table, or checks that the one there has every column a prediction needs. On
    /// SQLite the table is stored in its key's order (`WITHOUT ROWID`): one B-tree to insert into, not two.
    static func prepare(_ db: any SQLDatabase, database: StoreDatabase, table: String, outputs: [String]) async throws {
        let existing: [String]
        if database.isPostgres {
            existing = try await database.rows(db, """
                SELECT column_name AS name FROM information_schema.columns WHERE table_name = \(bind: table.lowercased()) AND table_schema = current_schema()
                """).map { try $0.string("name") }
        } else {
            existing = try await database.rows(db, "SELECT name FROM pragma_table_info(\(bind: table))").map { try $0.string("name") }
        }
        guard try fits(table: table, existing: existing, outputs: outputs) else { return }
        try await database.run(db, SQLQueryString(createStatement(table: table, outputs: outputs, withoutRowID: !database.isPostgres)))
    }

    /// Whether `table` must be created (`true`), or already has every column (`false`).
    /// - Throws: INVALID_PARAMETER_VALUE naming what an existing table lacks.
    static func fits(table: String, existing: [String], outputs: [String]) throws(SlipwayError) -> Bool {
        guard !existing.isEmpty else { return true }
        let missing = (["id", "model", "version"] + outputs + ["predicted_at", "job_run"]).filter { !existing.contains($0) }
        guard missing.isEmpty else {
            throw .invalidParameter(
                "Table '\(table)' exists but cannot hold these predictions: it lacks \(missing.joined(separator: ", ")) (its columns: \(existing.joined(separator: ", ")))")
        }
        return false
    }

    /// The table's definition: key (id, model, version), one DOUBLE PRECISION column per output.
    static func createStatement(table: String, outputs: [String], withoutRowID: Bool) -> String {
        let outputColumns = outputs.map { "\($0) DOUBLE PRECISION" }.joined(separator: ", ")
        return """
            CREATE TABLE \(table) (
                id TEXT NOT NULL, model TEXT NOT NULL, version BIGINT NOT NULL, \(outputColumns),
                predicted_at BIGINT NOT NULL, job_run TEXT, PRIMARY KEY (id, model, version))\(withoutRowID ? " WITHOUT ROWID" : "")
            """
    }

    /// One batch in statements of up to 30,000 values; returns the rows added where the database
    /// says so per statement (PostgreSQL), else 0 (SQLite counts the whole write at the end).
    static func insert(
        _ db: any SQLDatabase, database: StoreDatabase, table: String, columns: [String], batch: PredictionRows, provenance: PredictionProvenance
    ) async throws -> Int {
        let rows = batch.ids.count
        guard rows > 0 else { return 0 }
        let width = batch.outputs.count / rows
        let perStatement = max(1, 30_000 / columns.count)
        let head = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        let tail = " ON CONFLICT (id, model, version) DO NOTHING"
        var added = 0
        for start in stride(from: 0, to: rows, by: perStatement) {
            let end = min(rows, start + perStatement)
            if let connection = database.sqliteConnection {
                let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
                let sql = head + Array(repeating: tuple, count: end - start).joined(separator: ",") + tail
                var binds: [SQLiteData] = []
                binds.reserveCapacity((end - start) * columns.count)
                let model = SQLiteData.text(provenance.model), version = SQLiteData.integer(provenance.version)
                let predictedAt = SQLiteData.integer(Int(provenance.predictedAt)), jobRun = provenance.jobRun.map(SQLiteData.text) ?? .null
                for r in start..<end {
                    binds.append(.text(batch.ids[r]))
                    binds.append(model)
                    binds.append(version)
                    for k in 0..<width {
                        let value = batch.outputs[r * width + k]
                        binds.append(value.isNaN ? .null : .float(value))
                    }
                    binds.append(predictedAt)
                    binds.append(jobRun)
                }
                _ = try await connection.query(sql, binds)
            } else {
                var tuples: [SQLQueryString] = []
                tuples.reserveCapacity(end - start)
                for r in start..<end {
                    var values: [any Encodable & Sendable] = [batch.ids[r], provenance.model, Int64(provenance.version)]
                    for k in 0..<width {
                        let value = batch.outputs[r * width + k]
                        values.append(value.isNaN ? Double?.none : Double?.some(value))
                    }
                    values.append(provenance.predictedAt)
                    values.append(provenance.jobRun)
                    tuples.append("(\(binds: values))")
                }
                let query = "WITH added AS (" + SQLQueryString(head) + tuples.joined(separator: ", ") + SQLQueryString(tail)
                    + " RETURNING 1) SELECT count(*) AS added FROM added"
                added += try await database.first(db, query)?.int("added") ?? 0
            }
        }
        return added
    }

    /// SQLite's count of rows changed on this connection so far; `nil` on PostgreSQL.
    static func changeCount(_ db: any SQLDatabase, database: StoreDatabase) async throws -> Int? {
        guard !database.isPostgres else { return nil }
        return try await database.first(db, "SELECT total_changes() AS changes")?.int("changes")
    }

    /// A plain SQL identifier: letters, digits and underscores, not starting with a digit, at most 63 bytes.
    static func checkIdentifier(_ name: String, what: String) throws(SlipwayError) {
        let bytes = Array(name.utf8)
        let plain = !bytes.isEmpty && bytes.count <= 63 && !(bytes[0] >= 48 && bytes[0] <= 57)
            && bytes.allSatisfy { ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        guard plain else {
            throw .invalidParameter("'\(name)' is not \(what): use letters, digits and underscores, not starting with a digit")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? SQLiteError { return error.message }
        if let error = error as? PSQLError, let message = error.serverInfo?[.message] { return message }
        return String(reflecting: error)
    }
}
