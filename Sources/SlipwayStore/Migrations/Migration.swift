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
]

/// Applies the migrations a database has not seen yet, each in its own transaction.
struct Migrator {
    let logger: Logger

    func migrate(_ database: StoreDatabase) async throws {
        try await database.withConnection { db in
            try await db.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """).run()
        }
        let applied = try await database.withConnection { db in
            try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
        }
        let done = Set(applied)
        if let newest = applied.max(), newest > (allMigrations.last?.version ?? 0) {
            throw SlipwayStoreError.migrationFailed(
                "The database was migrated by a newer Slipway (schema version \(newest)); this one knows up to \(allMigrations.last?.version ?? 0).")
        }
        for migration in allMigrations where !done.contains(migration.version) {
            logger.info("store.migrate", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
            do {
                try await database.transaction { db in
                    for statement in migration.statements {
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                    let now = Int64(Date().timeIntervalSince1970 * 1000)
                    try await db.raw("""
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now))
                        """).run()
                }
            } catch {
                // Another process may have applied it at the same moment.
                let nowApplied = try await database.withConnection { db in
                    try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").first()
                }
                if nowApplied == nil {
                    throw SlipwayStoreError.migrationFailed("Migration \(migration.version)_\(migration.name) failed: \(String(reflecting: error))")
                }
            }
        }
    }
}
