import Logging
import SlipwayCore
@testable import SlipwayStore
import SlipwayTestSupport
import SQLKit
import Testing

@Suite("Migrations (SQLite and PostgreSQL)")
struct MigrationTests {
    @Test("Each applied migration's checksum is recorded; an edited landed migration stops the start; an old database gets its checksums", arguments: TestBackend.available)
    func checksums(_ backend: TestBackend) async throws {
        try await backend.withDatabase { database in
            let recorded = try await database.withConnection { db in
                try await db.raw("SELECT version, checksum FROM schema_migrations ORDER BY version").all().map {
                    (try $0.decode(column: "version", as: Int.self), try $0.decode(column: "checksum", as: String.self))
                }
            }
            #expect(recorded.map(\.0) == allMigrations.map(\.version))
            #expect(recorded.map(\.1) == allMigrations.map(\.checksum))
            #expect(Set(allMigrations.map(\.checksum)).count == allMigrations.count)

            // Migrating again is a no-op.
            try await Migrator(logger: quietLogger()).migrate(database)

            // The database saw a different 0001 than this code has: refused, with a message that says so.
            try await database.withConnection { db in try await db.raw("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1").run() }
            do {
                try await Migrator(logger: quietLogger()).migrate(database)
                Issue.record("an edited migration was accepted")
            } catch let error as SlipwayStoreError {
                #expect(error.description.contains("0001_initial") && error.description.contains("frozen"), "\(error)")
            }

            // A database migrated before checksums were kept: they are recorded, not refused.
            try await database.withConnection { db in try await db.raw("UPDATE schema_migrations SET checksum = NULL").run() }
            try await Migrator(logger: quietLogger()).migrate(database)
            let filled = try await database.withConnection { db in
                try await db.raw("SELECT checksum FROM schema_migrations ORDER BY version").all().map { try $0.decode(column: "checksum", as: String.self) }
            }
            #expect(filled == allMigrations.map(\.checksum))
        }
    }
}
