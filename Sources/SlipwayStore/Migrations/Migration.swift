import Crypto
import Foundation
import Logging
import SlipwayCore
import SQLKit

/// A numbered schema change. Once landed, a migration is never edited: a change is a new migration.
/// Migrations name tables and columns as strings and never depend on entity types.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: [String]

    /// SHA-256 of the statements: recorded when the migration is applied, compared at every start.
    var checksum: String {
        ArtifactManifest.hex(SHA256.hash(data: Array(statements.joined(separator: "\n;\n").utf8)))
    }

    /// `0001_initial`.
    var label: String { String(format: "%04d_%@", version, name) }
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
    migration0008EventTypes,
    migration0009PredictionFiles,
    migration0010PredictionLog,
    migration0011Actuals,
    migration0012DriftReports,
    migration0013PredictionJobWatermarks,
    migration0014MonitorRules,
    migration0015Auth,
    migration0016ResourcePermissions,
    migration0017Pipelines,
    migration0018Changes,
]

/// Applies the migrations a database has not seen yet, all in one transaction. On PostgreSQL the
/// transaction holds an advisory lock, so several Slipway processes starting at once against the
/// same database migrate it once. Each applied migration's checksum is recorded; a migration whose
/// statements differ from what was applied (a landed migration edited) stops the start with a
/// message, since the database's schema is no longer what the code describes.
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
            try await Self.addChecksumColumn(db, isPostgres: isPostgres)
            var applied: Set<Int> = []
            for row in try await db.raw("SELECT version, checksum FROM schema_migrations").all() {
                let version = try row.decode(column: "version", as: Int.self)
                applied.insert(version)
                guard let migration = allMigrations.first(where: { $0.version == version }) else { continue }
                guard let recorded = try row.decode(column: "checksum", as: String?.self) else {
                    // Applied before checksums were kept: trusted as it is, and recorded from now on.
                    try await db.raw("UPDATE schema_migrations SET checksum = \(bind: migration.checksum) WHERE version = \(bind: version)").run()
                    continue
                }
                guard recorded == migration.checksum else {
                    throw SlipwayStoreError.migrationFailed(
                        "Migration \(migration.label) differs from the one applied to this database (checksum \(recorded.prefix(12))... when applied, "
                            + "\(migration.checksum.prefix(12))... in this Slipway): landed migrations are frozen, a schema change is a new numbered "
                            + "migration. Run the Slipway version that migrated this database.")
                }
            }
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
                    INSERT INTO schema_migrations (version, name, applied_at, checksum)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now), \(bind: migration.checksum))
                    """).run()
            }
        }
    }

    /// `schema_migrations.checksum`, added to databases made before checksums were recorded.
    static func addChecksumColumn(_ db: any SQLDatabase, isPostgres: Bool) async throws {
        let present: SQLQueryString = isPostgres
            ? "SELECT 1 AS one FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'"
            : "SELECT 1 AS one FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
        if try await db.raw(present).first() == nil {
            try await db.raw("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT").run()
        }
    }
}
