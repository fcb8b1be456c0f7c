import Foundation
import Logging
import SlipwayCore
import SlipwayStore
import SQLKit
import Testing

/// The backends every store test runs on: SQLite in memory always, PostgreSQL when
/// `SLIPWAY_TEST_POSTGRES_URL` names a server (scripts/test.sh starts one).
enum TestBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [TestBackend] {
        ProcessInfo.processInfo.environment["SLIPWAY_TEST_POSTGRES_URL"].map { $0.isEmpty ? [.sqlite] : [.sqlite, .postgres] } ?? [.sqlite]
    }

    var testDescription: String { rawValue }

    /// Runs `body` on a fresh, migrated database of this backend, dropped afterwards.
    func withDatabase(_ body: (StoreDatabase) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
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

struct PostgresFailure: Error, CustomStringConvertible {
    let details: String
    var description: String { details }
}

/// A clock that advances one millisecond per reading, so ordering by time is deterministic.
final class SteppingClock: Sendable {
    private let value = Mutex(Int64(1_700_000_000_000))
    func now() -> Int64 { value.withLock { $0 += 1; return $0 } }
}

import Synchronization

/// Expects `body` to throw a SlipwayError with `code`.
func expectError(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code.rawValue), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SlipwayError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}
