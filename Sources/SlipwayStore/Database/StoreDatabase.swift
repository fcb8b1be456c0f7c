@preconcurrency import AsyncKit
import Foundation
public import Logging
import NIOCore
import NIOPosix
import PostgresKit
public import SQLKit
import SQLiteKit
import SlipwayCore

/// The connection to the store's database, and the one way to run a unit of work on it.
///
/// SQLite: one connection in WAL mode, units of work serialized by an async lock (SQLite has one
/// writer anyway). PostgreSQL: a connection pool; each unit of work holds one connection.
/// `transaction` commits when the body returns and rolls back when it throws.
public final class StoreDatabase: Sendable {
    private enum Backend: Sendable {
        case sqlite(SQLiteConnection, AsyncMutex)
        case postgres(EventLoopGroupConnectionPool<PostgresConnectionSource>)
    }

    private let backend: Backend
    public let configuration: DatabaseConfiguration
    let logger: Logger

    private init(backend: Backend, configuration: DatabaseConfiguration, logger: Logger) {
        self.backend = backend
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens the database and runs any pending migrations.
    /// - Parameters:
    ///   - configuration: which database.
    ///   - logger: where the database's own messages go.
    ///   - migrate: bring the schema up to date (off only for administrative connections).
    ///   - owned: whether this is Slipway's database; a SQLite file that is not (a user's database a
    ///     prediction job writes into) keeps its own journal mode instead of being switched to WAL.
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger, migrate: Bool = true, owned: Bool = true) async throws -> StoreDatabase {
        let database: StoreDatabase
        switch configuration {
        case .sqliteFile(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            database = StoreDatabase(backend: .sqlite(connection, AsyncMutex()), configuration: configuration, logger: logger)
            try await database.configureSQLite(wal: owned)
        case .sqliteMemory:
            let connection = try await SQLiteConnection.open(storage: .memory, logger: logger)
            database = StoreDatabase(backend: .sqlite(connection, AsyncMutex()), configuration: configuration, logger: logger)
            try await database.configureSQLite(wal: false)
        case .postgres(let url):
            let config: SQLPostgresConfiguration
            do {
                config = try SQLPostgresConfiguration(url: url)
            } catch {
                // Not the parser's own error: it carries the whole URL, password included.
                throw SlipwayStoreError.invalidConfiguration(
                    "Invalid PostgreSQL URL '\(configuration.redacted)': write postgres://USER:PASSWORD@HOST:PORT/DATABASE, with special characters in the password percent-encoded")
            }
            let pool = EventLoopGroupConnectionPool(
                source: PostgresConnectionSource(sqlConfiguration: config),
                maxConnectionsPerEventLoop: 4,
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton
            )
            database = StoreDatabase(backend: .postgres(pool), configuration: configuration, logger: logger)
        }
        do {
            if migrate { try await Migrator(logger: logger).migrate(database) }
        } catch {
            try? await database.close()
            if case .postgres(let url) = configuration, let reason = ConnectionFailure.describe(error, url: url) {
                throw SlipwayStoreError.unavailable(reason)
            }
            throw error
        }
        return database
    }

    private func configureSQLite(wal: Bool) async throws {
        try await withConnection { db in
            if wal {
                try await db.raw("PRAGMA journal_mode = WAL").run()
                // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9).
                try await db.raw("PRAGMA synchronous = NORMAL").run()
                // The server checkpoints in the background (`runCheckpoints`); this is the safety net.
                try await db.raw("PRAGMA wal_autocheckpoint = 8192").run()
            }
            try await db.raw("PRAGMA foreign_keys = ON").run()
            // A 64 MiB page cache and memory-mapped reads keep hot pages out of read(2) calls.
            try await db.raw("PRAGMA cache_size = -65536").run()
            try await db.raw("PRAGMA mmap_size = 268435456").run()
            try await db.raw("PRAGMA temp_store = MEMORY").run()
            try await db.raw("PRAGMA busy_timeout = 5000").run()
            // MLflow's LIKE is case-sensitive; ILIKE is the case-insensitive one.
            try await db.raw("PRAGMA case_sensitive_like = ON").run()
        }
    }

    /// The SQLite connection, for reading rows without Codable (see `StoreRow`).
    var sqliteConnection: SQLiteConnection? {
        if case .sqlite(let connection, _) = backend { return connection }
        return nil
    }

    /// Whether this is PostgreSQL (for the few statements whose syntax differs).
    public var isPostgres: Bool {
        if case .postgres = backend { return true }
        return false
    }

    /// ` FOR UPDATE` on PostgreSQL, where concurrent writers need a row lock to serialize on;
    /// empty on SQLite, whose writers are already serialized.
    public var forUpdate: String { isPostgres ? " FOR UPDATE" : "" }

    /// Takes a table lock that lets readers in but serializes writers that allocate ids from it
    /// (PostgreSQL); a no-op on SQLite. Call it inside a transaction.
    public func lockForIDAllocation(_ db: any SQLDatabase, table: String) async throws {
        if isPostgres { try await db.raw("LOCK TABLE \(unsafeRaw: table) IN SHARE ROW EXCLUSIVE MODE").run() }
    }

    /// Runs `body` on one connection without a transaction (single reads).
    public func withConnection<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let connection, let mutex):
            return try await mutex.withLock { try await body(connection.sql()) }
        case .postgres(let pool):
            do {
                let connection = try await pool.requestConnection(logger: logger).get()
                defer { pool.releaseConnection(connection, logger: logger) }
                return try await body(connection.sql())
            } catch let error where Self.isOutage(error) {
                // The database restarting or out of reach: the client may try again (MLflow's client does).
                let reason = if case .postgres(let url) = configuration { ConnectionFailure.describe(error, url: url) } else { String?.none }
                throw SlipwayError(.temporarilyUnavailable, "The database is unavailable: \(reason ?? "\(error)"); try again")
            }
        }
    }

    /// Whether an error means PostgreSQL is restarting or cannot be reached (not a failed statement).
    static func isOutage(_ error: any Error) -> Bool {
        if error is ConnectionPoolTimeoutError { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown: return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down)
            let state = error.serverInfo?[.sqlState] ?? ""
            return ["57P01", "57P02", "57P03"].contains(state)
        default: return false
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws. On
    /// SQLite the transaction takes the write lock as it begins (`BEGIN IMMEDIATE`), waiting for it
    /// up to the busy timeout: a deferred one that reads and then writes fails at once with
    /// SQLITE_BUSY_SNAPSHOT when another process (the server, a CLI command) wrote in between.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let begin = isPostgres ? "BEGIN" : "BEGIN IMMEDIATE"
        return try await withConnection { db in
            try await db.raw(SQLQueryString(begin)).run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Closes the connection or pool.
    public func close() async throws {
        switch backend {
        case .sqlite(let connection, let mutex):
            // The future-based close runs even when the closing task is already cancelled.
            try await mutex.withLock { try await connection.close().get() }
        case .postgres(let pool):
            try await pool.shutdownAsync()
        }
    }
}

/// Errors of the store's own machinery (not a client's mistake).
public enum SlipwayStoreError: Error, CustomStringConvertible {
    case invalidConfiguration(String)
    case migrationFailed(String)
    /// The database cannot be reached or refuses us.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m), .migrationFailed(let m), .unavailable(let m): return m
        }
    }
}

/// Whether a database error is a unique-key violation, on either backend.
func isUniqueViolation(_ error: any Error) -> Bool {
    if let e = error as? SQLiteError { return e.reason == .constraint || e.reason == .constraintUniqueFailed || e.reason == .constraintPrimaryKeyFailed }
    if let e = error as? PSQLError { return e.serverInfo?[.sqlState] == "23505" }
    return false
}
