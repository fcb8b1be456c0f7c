import NIOPosix
import SQLiteNIO
import VaporCSQLite

/// A SQLite connection through SQLite's C interface, for the two bulk writers (prediction tables and
/// the prediction log): a statement prepared once and stepped per row, with values bound in place,
/// costs a fraction of a statement built, parsed and bound through SQLiteNIO per batch.
///
/// Not thread-safe: its owner runs one call at a time, on the thread pool (`run`), never on the
/// cooperative pool. Closed when released.
final class SQLiteDirect: @unchecked Sendable {
    struct Failure: Error {
        let message: String
    }

    private var handle: OpaquePointer?

    /// Opens (creating it when missing) the database file at `path`, waiting up to 5 s for other
    /// writers. Its journal mode is the file's own; in WAL mode commits are durable against a
    /// process crash without an fsync each (`synchronous = NORMAL`, as the store's connection).
    init(path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK else {
            let failure = self.failure("cannot open \(path)")
            sqlite_nio_sqlite3_close_v2(handle)
            handle = nil
            throw failure
        }
        try execute("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536")
        let mode = try statement("PRAGMA journal_mode")
        defer { mode.finalize() }
        if try mode.step(), mode.text(0) == "wal" { try execute("PRAGMA synchronous = NORMAL") }
    }

    deinit {
        sqlite_nio_sqlite3_close_v2(handle)
    }

    /// Runs `body` on the thread pool that blocking SQLite calls belong on.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws {
        guard sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw failure() }
    }

    func statement(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure() }
        return Statement(raw: statement, connection: self)
    }

    /// Rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite_nio_sqlite3_changes(handle)) }

    func failure(_ context: String? = nil) -> Failure {
        let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "unknown SQLite error"
        return Failure(message: context.map { "\($0): \(message)" } ?? message)
    }

    /// A prepared statement. Bindings survive the reset after each step, so values that are the
    /// same for every row are bound once.
    struct Statement: @unchecked Sendable {
        let raw: OpaquePointer
        let connection: SQLiteDirect
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        func bind(_ index: Int32, text: String?) {
            guard let text else { return bindNull(index) }
            sqlite_nio_sqlite3_bind_text(raw, index, text, -1, Self.transient)
        }

        /// Binds bytes that must stay valid until the next step (not copied).
        func bind(_ index: Int32, borrowedText bytes: UnsafeBufferPointer<UInt8>) {
            _ = bytes.withMemoryRebound(to: CChar.self) { sqlite_nio_sqlite3_bind_text(raw, index, $0.baseAddress, Int32($0.count), nil) }
        }

        /// Binds bytes that must stay valid until the next step (not copied); empty binds NULL.
        func bind(_ index: Int32, borrowedBlob bytes: UnsafeRawBufferPointer) {
            guard !bytes.isEmpty else { return bindNull(index) }
            sqlite_nio_sqlite3_bind_blob(raw, index, bytes.baseAddress, Int32(bytes.count), nil)
        }

        func bind(_ index: Int32, int: Int64?) {
            guard let int else { return bindNull(index) }
            sqlite_nio_sqlite3_bind_int64(raw, index, int)
        }

        /// NaN binds NULL.
        func bind(_ index: Int32, double: Double) {
            if double.isNaN { bindNull(index) } else { sqlite_nio_sqlite3_bind_double(raw, index, double) }
        }

        func bindNull(_ index: Int32) { sqlite_nio_sqlite3_bind_null(raw, index) }

        func text(_ column: Int32) -> String { sqlite_nio_sqlite3_column_text(raw, column).map { String(cString: $0) } ?? "" }

        /// Runs the statement one step: `true` when it produced a row. A statement that is done, or
        /// failed, is reset for its next use.
        @discardableResult
        func step() throws -> Bool {
            switch sqlite_nio_sqlite3_step(raw) {
            case SQLITE_ROW: return true
            case SQLITE_DONE:
                sqlite_nio_sqlite3_reset(raw)
                return false
            default:
                let failure = connection.failure()
                sqlite_nio_sqlite3_reset(raw)
                throw failure
            }
        }

        func finalize() { sqlite_nio_sqlite3_finalize(raw) }
    }
}
