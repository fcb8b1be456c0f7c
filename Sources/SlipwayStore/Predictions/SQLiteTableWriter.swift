import Foundation
import NIOPosix
import SlipwayCore
import SQLiteNIO
import VaporCSQLite

/// Writes prediction rows into a table of a SQLite file through SQLite's C interface: one
/// connection of its own, one `BEGIN IMMEDIATE … COMMIT`, and one prepared single-row INSERT stepped
/// once per row with only the id and the outputs rebound. A batch costs a thread-pool hop, not a
/// statement to parse: this is the path a million-row `slipway predict --output-table` takes.
///
/// A connection of its own also means the store's shared connection stays free for everyone else
/// while a long write runs (WAL readers go on; other writers wait up to the busy timeout).
final class SQLiteTableWriter: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let path: String
    /// Blocking SQLite calls run here, never on the cooperative pool.
    private let pool = NIOThreadPool.singleton

    init(path: String) {
        self.path = path
    }

    /// Writes `batches` into `table` (see `PredictionTableStore.write`); `catalogued` also lists the
    /// table in `prediction_tables` (Slipway's own database). Returns the rows added.
    func write(
        table: String, outputs: [String], provenance: PredictionProvenance, catalogued: Bool,
        batches: AsyncThrowingStream<PredictionRows, any Error>
    ) async throws -> Int {
        try await onPool { try self.open() }
        defer { sqlite_nio_sqlite3_close_v2(handle) }
        do {
            let insert = try await onPool { () throws -> Statement in
                try self.execute("BEGIN IMMEDIATE")
                try self.prepareTable(table, outputs: outputs)
                if catalogued {
                    let catalog = try self.statement(
                        "INSERT INTO prediction_tables (table_name, outputs, created_at) VALUES (?, ?, ?) ON CONFLICT (table_name) DO NOTHING")
                    defer { catalog.finalize() }
                    catalog.bind(1, text: table)
                    catalog.bind(2, text: outputs.joined(separator: ","))
                    catalog.bind(3, int: provenance.predictedAt)
                    try catalog.step(self)
                }
                let columns = ["id", "model", "version"] + outputs + ["predicted_at", "job_run"]
                let insert = try self.statement(
                    "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
                        + " ON CONFLICT (id, model, version) DO NOTHING")
                // Bound once: the same for every row (a reset keeps bindings).
                insert.bind(2, text: provenance.model)
                insert.bind(3, int: Int64(provenance.version))
                insert.bind(Int32(4 + outputs.count), int: provenance.predictedAt)
                if let run = provenance.jobRun { insert.bind(Int32(5 + outputs.count), text: run) } else { insert.bindNull(Int32(5 + outputs.count)) }
                return insert
            }
            defer { insert.finalize() }
            var added = 0
            for try await batch in batches {
                added += try await onPool { try self.insert(batch, with: insert, width: outputs.count) }
            }
            try await onPool { try self.execute("COMMIT") }
            return added
        } catch let failure as Failure {
            try? await onPool { try self.execute("ROLLBACK") }
            throw SlipwayError.invalidParameter("Cannot write predictions into table '\(table)': \(failure.message)")
        } catch {
            try? await onPool { try self.execute("ROLLBACK") }
            throw error
        }
    }

    private func insert(_ batch: PredictionRows, with insert: Statement, width: Int) throws -> Int {
        let rows = batch.ids.count
        guard rows > 0 else { return 0 }
        var added = 0
        for r in 0..<rows {
            for k in 0..<width {
                let value = batch.outputs[r * width + k]
                if value.isNaN { insert.bindNull(Int32(4 + k)) } else { insert.bind(Int32(4 + k), double: value) }
            }
            var id = batch.ids[r]
            try id.withUTF8 { bytes in
                insert.bindStatic(1, text: bytes)
                try insert.step(self)
            }
            added += Int(sqlite_nio_sqlite3_changes(handle))
        }
        return added
    }

    /// Creates the table, or checks the existing one has every column (as `SQLPredictionTableStore.prepare`).
    private func prepareTable(_ table: String, outputs: [String]) throws {
        let info = try statement("SELECT name FROM pragma_table_info(?)")
        defer { info.finalize() }
        info.bind(1, text: table)
        var existing: [String] = []
        while try info.step(self) { existing.append(info.text(0)) }
        let required = ["id", "model", "version"] + outputs + ["predicted_at", "job_run"]
        guard existing.isEmpty else {
            let missing = required.filter { !existing.contains($0) }
            guard missing.isEmpty else {
                throw SlipwayError.invalidParameter(
                    "Table '\(table)' exists but cannot hold these predictions: it lacks \(missing.joined(separator: ", ")) (its columns: \(existing.joined(separator: ", ")))")
            }
            return
        }
        let outputColumns = outputs.map { "\($0) DOUBLE PRECISION" }.joined(separator: ", ")
        try execute("""
            CREATE TABLE \(table) (
                id TEXT NOT NULL, model TEXT NOT NULL, version BIGINT NOT NULL, \(outputColumns),
                predicted_at BIGINT NOT NULL, job_run TEXT, PRIMARY KEY (id, model, version)) WITHOUT ROWID
            """)
    }

    // MARK: - The C interface

    struct Failure: Error {
        let message: String
    }

    private func open() throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK else { throw failure("cannot open \(path)") }
        // The journal mode is the database's own (WAL for Slipway's); patient with other writers.
        try execute("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536")
        if try journalMode() == "wal" { try execute("PRAGMA synchronous = NORMAL") }
    }

    private func journalMode() throws -> String {
        let mode = try statement("PRAGMA journal_mode")
        defer { mode.finalize() }
        return try mode.step(self) ? mode.text(0) : ""
    }

    private func execute(_ sql: String) throws {
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw failure() }
    }

    fileprivate func failure(_ context: String? = nil) -> Failure {
        let message = sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "unknown SQLite error"
        return Failure(message: context.map { "\($0): \(message)" } ?? message)
    }

    private func statement(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure() }
        return Statement(raw: statement)
    }

    private func onPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// A prepared statement (not thread-safe: used by one thread-pool job at a time).
    struct Statement: @unchecked Sendable {
        let raw: OpaquePointer
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        func bind(_ index: Int32, text: String) { sqlite_nio_sqlite3_bind_text(raw, index, text, -1, Self.transient) }
        /// Binds bytes that stay valid until the next step (no copy).
        func bindStatic(_ index: Int32, text: UnsafeBufferPointer<UInt8>) {
            _ = text.withMemoryRebound(to: CChar.self) { sqlite_nio_sqlite3_bind_text(raw, index, $0.baseAddress, Int32($0.count), nil) }
        }
        func bind(_ index: Int32, int: Int64) { sqlite_nio_sqlite3_bind_int64(raw, index, int) }
        func bind(_ index: Int32, double: Double) { sqlite_nio_sqlite3_bind_double(raw, index, double) }
        func bindNull(_ index: Int32) { sqlite_nio_sqlite3_bind_null(raw, index) }
        func text(_ column: Int32) -> String { sqlite_nio_sqlite3_column_text(raw, column).map { String(cString: $0) } ?? "" }

        /// Runs the statement one step: `true` when it produced a row. A statement that is done is reset for the next use.
        @discardableResult
        func step(_ writer: SQLiteTableWriter) throws -> Bool {
            switch sqlite_nio_sqlite3_step(raw) {
            case SQLITE_ROW: return true
            case SQLITE_DONE:
                sqlite_nio_sqlite3_reset(raw)
                return false
            default:
                let failure = writer.failure()
                sqlite_nio_sqlite3_reset(raw)
                throw failure
            }
        }

        func finalize() { sqlite_nio_sqlite3_finalize(raw) }
    }
}
