import Foundation
public import Logging
public import SlipwayCore
public import SlipwayStore
import SQLKit
public import Testing

/// The backends every store test runs on: SQLite in memory always, PostgreSQL when
/// `SLIPWAY_TEST_POSTGRES_URL` names a server (scripts/test.sh starts one).
public enum TestBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    public static var available: [TestBackend] {
        ProcessInfo.processInfo.environment["SLIPWAY_TEST_POSTGRES_URL"].map { $0.isEmpty ? [.sqlite] : [.sqlite, .postgres] } ?? [.sqlite]
    }

    public var testDescription: String { rawValue }

    /// Runs `body` on a fresh, migrated database of this backend, dropped afterwards.
    public func withDatabase(_ body: (StoreDatabase) async throws -> Void) async throws {
        let logger = quietLogger()
        switch self {
        case .sqlite:
            let database = try await StoreDatabase.open(.sqliteMemory, logger: logger)
            do { try await body(database) } catch { try? await database.close(); throw error }
            try await database.close()
        case .postgres:
            let base = ProcessInfo.processInfo.environment["SLIPWAY_TEST_POSTGRES_URL"]!
            let name = "slipway_t_" + IDGenerator.hex32().prefix(12)
            let admin = try await StoreDatabase.open(.postgres(url: base), logger: logger, migrate: false)
            try await admin.withConnection { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            let url = base.replacingOccurrences(of: #"/[^/?]+(\?|$)"#, with: "/\(name)$1", options: .regularExpression)
            let database = try await StoreDatabase.open(.postgres(url: url), logger: logger)
            var failure: (any Error)?
            do { try await body(database) } catch {
                // PSQLError hides its details from `description`; tests want them.
                failure = error is SlipwayError ? error : PostgresFailure(details: String(reflecting: error))
            }
            try? await database.close()
            try? await admin.withConnection { db in try await db.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name)").run() }
            try? await admin.close()
            if let failure { throw failure }
        }
    }
}

/// A PostgreSQL failure with its details (PSQLError hides them from `description`).
public struct PostgresFailure: Error, CustomStringConvertible {
    let details: String
    public var description: String { details }
}
