import Foundation
import NIOCore
import SQLiteNIO
import SQLKit

/// A value for a bulk insert.
enum SQLValue: Sendable {
    case text(String)
    case int(Int64)
    case double(Double)
    case blob([UInt8])
    /// NULL in a text column (PostgreSQL types a bound NULL: this one is text).
    case null
    /// NULL in an integer column.
    case nullInteger
    /// NULL in a binary column.
    case nullBlob

    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }

    var sqlite: SQLiteData {
        switch self {
        case .text(let s): return .text(s)
        case .int(let i): return .integer(Int(i))
        case .double(let d): return .float(d)
        case .blob(let b): return .blob(ByteBuffer(bytes: b))
        case .null, .nullInteger, .nullBlob: return .null
        }
    }

    var bind: any Encodable & Sendable {
        switch self {
        case .text(let s): return s
        case .int(let i): return i
        case .double(let d): return d
        case .blob(let b): return Data(b)
        case .null: return String?.none
        case .nullInteger: return Int64?.none
        case .nullBlob: return Data?.none
        }
    }
}

extension StoreDatabase {
    /// Inserts many rows with multi-row INSERT statements, binding values directly on SQLite.
    /// - Parameters:
    ///   - suffix: appended to each statement (an `ON CONFLICT` clause, say).
    func insert(_ db: any SQLDatabase, into table: String, columns: [String], rows: [[SQLValue]], suffix: String = "") async throws {
        guard !rows.isEmpty else { return }
        // SQLite allows 32766 binds per statement, PostgreSQL 65535.
        let perStatement = max(1, 30_000 / columns.count)
        let head = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        for chunk in rows.chunked(by: perStatement) {
            if let connection = sqliteConnection {
                let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
                let sql = head + Array(repeating: tuple, count: chunk.count).joined(separator: ",") + suffix
                var binds: [SQLiteData] = []
                binds.reserveCapacity(chunk.count * columns.count)
                for row in chunk { for value in row { binds.append(value.sqlite) } }
                _ = try await connection.query(sql, binds)
            } else {
                let tuples = chunk.map { row -> SQLQueryString in "(\(binds: row.map(\.bind)))" }
                try await db.raw(SQLQueryString(head) + tuples.joined(separator: ", ") + SQLQueryString(suffix)).run()
            }
        }
    }

    /// Copies committed WAL frames into the database file without blocking readers or writers
    /// (SQLite only), from a connection of its own. The server runs it in the background so
    /// that requests rarely pay for a checkpoint.
    public func runCheckpoints(every interval: Duration = .milliseconds(250)) async throws {
        guard case .sqliteFile(let path) = configuration else { return }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        _ = try? await connection.query("PRAGMA busy_timeout = 1000", [])
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            _ = try? await connection.query("PRAGMA wal_checkpoint(PASSIVE)", [])
        }
        // The future-based close runs even though this task is cancelled by now.
        try? await connection.close().get()
    }
}

extension Array {
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
