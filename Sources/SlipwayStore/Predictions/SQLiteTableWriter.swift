import Foundation
import SlipwayCore

/// Writes prediction rows into a table of a SQLite file through a `SQLiteDirect` connection of its
/// own: one `BEGIN IMMEDIATE … COMMIT`, and one prepared single-row INSERT stepped once per row with
/// only the id and the outputs rebound. A batch costs a thread-pool hop, not a statement to parse:
/// this is the path a million-row `slipway predict --output-table` takes.
enum SQLiteTableWriter {
    /// Writes `batches` into `table` of the file at `path` (see `PredictionTableStore.write`);
    /// `catalogued` also lists the table in `prediction_tables` (Slipway's own database). Returns the rows added.
    static func write(
        path: String, table: String, outputs: [String], provenance: PredictionProvenance, catalogued: Bool,
        batches: AsyncThrowingStream<PredictionRows, any Error>
    ) async throws -> Int {
        do {
            let connection = try await SQLiteDirect.run { try SQLiteDirect(path: path) }
            let insert = try await SQLiteDirect.run { () throws -> SQLiteDirect.Statement in
                try connection.execute("BEGIN IMMEDIATE")
                do {
                    return try begin(connection, table: table, outputs: outputs, provenance: provenance, catalogued: catalogued)
                } catch {
                    try? connection.execute("ROLLBACK")
                    throw error
                }
            }
            do {
                defer { insert.finalize() }
                var added = 0
                for try await batch in batches {
                    added += try await SQLiteDirect.run { try Self.insert(batch, with: insert, width: outputs.count) }
                }
                try await SQLiteDirect.run { try connection.execute("COMMIT") }
                return added
            } catch {
                try? await SQLiteDirect.run { try connection.execute("ROLLBACK") }
                throw error
            }
        } catch let failure as SQLiteDirect.Failure {
            throw SlipwayError.invalidParameter("Cannot write predictions into table '\(table)': \(failure.message)")
        }
    }

    /// Prepares the table (and its catalog entry) and returns the INSERT with the values every row shares bound.
    private static func begin(
        _ connection: SQLiteDirect, table: String, outputs: [String], provenance: PredictionProvenance, catalogued: Bool
    ) throws -> SQLiteDirect.Statement {
        try prepareTable(connection, table: table, outputs: outputs)
        if catalogued {
            let catalog = try connection.statement(
                "INSERT INTO prediction_tables (table_name, outputs, created_at) VALUES (?, ?, ?) ON CONFLICT (table_name) DO NOTHING")
            defer { catalog.finalize() }
            catalog.bind(1, text: table)
            catalog.bind(2, text: outputs.joined(separator: ","))
            catalog.bind(3, int: provenance.predictedAt)
            try catalog.step()
        }
        let columns = ["id", "model", "version"] + outputs + ["predicted_at", "job_run"]
        let insert = try connection.statement(
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
                + " ON CONFLICT (id, model, version) DO NOTHING")
        insert.bind(2, text: provenance.model)
        insert.bind(3, int: Int64(provenance.version))
        insert.bind(Int32(4 + outputs.count), int: provenance.predictedAt)
        insert.bind(Int32(5 + outputs.count), text: provenance.jobRun)
        return insert
    }

    private static func insert(_ batch: PredictionRows, with insert: SQLiteDirect.Statement, width: Int) throws -> Int {
        var added = 0
        for r in 0..<batch.ids.count {
            for k in 0..<width { insert.bind(Int32(4 + k), double: batch.outputs[r * width + k]) }
            var id = batch.ids[r]
            try id.withUTF8 { bytes in
                insert.bind(1, borrowedText: bytes)
                try insert.step()
            }
            added += insert.connection.changes
        }
        return added
    }

    /// Creates the table, or checks the existing one has every column (`SQLPredictionTableStore.fits`).
    private static func prepareTable(_ connection: SQLiteDirect, table: String, outputs: [String]) throws {
        let info = try connection.statement("SELECT name FROM pragma_table_info(?)")
        defer { info.finalize() }
        info.bind(1, text: table)
        var existing: [String] = []
        while try info.step() { existing.append(info.text(0)) }
        guard try SQLPredictionTableStore.fits(table: table, existing: existing, outputs: outputs) else { return }
        try connection.execute(SQLPredictionTableStore.createStatement(table: table, outputs: outputs, withoutRowID: true))
    }
}
