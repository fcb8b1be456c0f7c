import Foundation
import Logging
import SQLKit

/// A numbered schema change. Once landed, a migration is never edited: a change is a new migration.
/// Migrations name tables and columns as strings and never depend on entity types.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: [String]
}

/// Every migration, in order. Add new ones at the end with the next number.
let allMigrations: [Migration] = [
    migration0001Initial,
    migration0002Webhooks,
    migration0003Events,
    migration0004Promotion,
    migration0005Deliveries,
    migration0006Evaluation,
    migration0007Jobs,
]

/// Applies the migrations a database has not seen yet, all in one transaction. On PostgreSQL the
/// transaction holds an advisory lock, so several Slipway processes starting at once against the
/// same database migrate it once.
struct Migrator {
    let logger: Logger
    /// An arbitrary constant naming Slipway's migration lock.
    static let advisoryLockKey: Int64 = 0x5_11B_3A7

    func migrate(_ database: StoreDatabase) async throws {
        let isPostgres = database.isPostgres
        let logger = self.logger
        try await database.transaction { db in
            if isPostgres {
                try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
            }
            try await db.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """).run()
            let applied = Set(try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) })
            let known = allMigrations.last?.version ?? 0
            if let newest = applied.max(), newest > known {
                throw SlipwayStoreError.migrationFailed(
                    "The database was migrated by a newer Slipway (schema version \(newest)); this one knows up to \(known).")
            }
            for migration in allMigrations where !applied.contains(migration.version) {
                logger.info("store.migrate", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
                do {
                    for statement in migration.statements {
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                } catch {
                    throw SlipwayStoreError.migrationFailed("Migration \(migration.version)_\(migration.name) failed: \(String(reflecting: error))")
                }
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                try await db.raw("""
                    INSERT INTO schema_migrations (version, name, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now))
                    """).run()
            }
        }
    }
}
