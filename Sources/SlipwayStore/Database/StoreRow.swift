import Foundation
import SlipwayCore
import SQLiteKit
import SQLiteNIO
public import SQLKit

/// A result row read without Codable: SQLite's values are taken as they come (the hot paths read
/// thousands of values per request); other backends go through SQLKit's decoding.
public struct StoreRow: Sendable {
    enum Storage: Sendable {
        case sqlite(SQLiteRow)
        case sql(any SQLRow)
    }

    let storage: Storage

    func value(_ column: String) throws -> SQLiteData? {
        guard case .sqlite(let row) = storage else { return nil }
        guard let data = row.column(column) else {
            throw SlipwayError(.internalError, "Missing column '\(column)' in a result row")
        }
        return data
    }

    public func string(_ column: String) throws -> String {
        guard let s = try optionalString(column) else { throw SlipwayError(.internalError, "NULL in column '\(column)'") }
        return s
    }

    public func optionalString(_ column: String) throws -> String? {
        switch storage {
        case .sqlite:
            switch try value(column) {
            case .text(let s)?: return s
            case .null?, nil: return nil
            case .integer(let i)?: return String(i)
            case .float(let d)?: return String(d)
            case .blob(let b)?: return b.getString(at: b.readerIndex, length: b.readableBytes)
            }
        case .sql(let row): return try row.decode(column: column, as: String?.self)
        }
    }

    public func int64(_ column: String) throws -> Int64 {
        guard let v = try optionalInt64(column) else { throw SlipwayError(.internalError, "NULL in column '\(column)'") }
        return v
    }

    public func optionalInt64(_ column: String) throws -> Int64? {
        switch storage {
        case .sqlite:
            switch try value(column) {
            case .integer(let i)?: return Int64(i)
            case .float(let d)?: return Int64(d)
            case .text(let s)?: return Int64(s)
            default: return nil
            }
        case .sql(let row): return try row.decode(column: column, as: Int64?.self)
        }
    }

    public func int(_ column: String) throws -> Int { Int(try int64(column)) }

    /// A binary column's bytes (none for NULL).
    public func bytes(_ column: String) throws -> [UInt8] {
        switch storage {
        case .sqlite:
            switch try value(column) {
            case .blob(let buffer)?: return Array(buffer.readableBytesView)
            case .text(let s)?: return Array(s.utf8)
            default: return []
            }
        case .sql(let row): return [UInt8](try row.decode(column: column, as: Data?.self) ?? Data())
        }
    }

    /// The row's column names, in order.
    public var columnNames: [String] {
        switch storage {
        case .sqlite(let row): return row.columns.map(\.name)
        case .sql(let row): return row.allColumns
        }
    }

    /// Any numeric or numeric-text column as a Double: NaN for NULL, `nil` for text that is not a number.
    public func number(_ column: String) throws -> Double? {
        switch storage {
        case .sqlite:
            switch try value(column) {
            case .float(let d)?: return d
            case .integer(let i)?: return Double(i)
            case .null?, nil: return .nan
            case .text(let s)?: return Double(s)
            case .blob?: return nil
            }
        case .sql(let row):
            // The first type the column decodes as; NULL decodes as nil whatever the type.
            if let d = Self.decoded(row, column, as: Double.self) { return d ?? .nan }
            if let i = Self.decoded(row, column, as: Int64.self) { return i.map(Double.init) ?? .nan }
            if let i = Self.decoded(row, column, as: Int32.self) { return i.map(Double.init) ?? .nan }
            if let b = Self.decoded(row, column, as: Bool.self) { return b.map { $0 ? 1 : 0 } ?? .nan }
            return try row.decode(column: column, as: String?.self).map { Double($0) } ?? .nan
        }
    }

    /// Any text or integer column as text; `nil` for NULL.
    public func text(_ column: String) throws -> String? {
        // PostgreSQL: integers first (a String decode takes an integer's binary form as text).
        if case .sql(let row) = storage, let i = Self.decoded(row, column, as: Int64.self) ?? Self.decoded(row, column, as: Int32.self).map({ $0.map(Int64.init) }) {
            return i.map(String.init)
        }
        return try optionalString(column)
    }

    /// `.some(value or nil for NULL)` when the column decodes as `T`, `nil` when it does not.
    static func decoded<T: Decodable>(_ row: any SQLRow, _ column: String, as type: T.Type) -> T?? {
        do {
            return .some(try row.decode(column: column, as: T?.self))
        } catch {
            return nil
        }
    }

    /// A numeric column, `nil` for NULL.
    public func optionalDouble(_ column: String) throws -> Double? {
        if case .sql(let row) = storage { return try row.decode(column: column, as: Double?.self) }
        if case .null? = try value(column) { return nil }
        return try double(column)
    }

    public func double(_ column: String) throws -> Double {
        switch storage {
        case .sqlite:
            switch try value(column) {
            case .float(let d)?: return d
            case .integer(let i)?: return Double(i)
            case .null?, nil: return .nan
            case .text(let s)?: return Double(s) ?? .nan
            case .blob?: throw SlipwayError(.internalError, "Blob in numeric column '\(column)'")
            }
        case .sql(let row): return try row.decode(column: column, as: Double.self)
        }
    }
}

extension StoreDatabase {
    /// Runs a query inside a unit of work (`db` comes from `withConnection` or `transaction`) and
    /// returns its rows.
    public func rows(_ db: any SQLDatabase, _ query: SQLQueryString) async throws -> [StoreRow] {
        if let connection = sqliteConnection {
            let (sql, binds) = Self.serialize(query, on: db)
            return try await connection.query(sql, binds).map { StoreRow(storage: .sqlite($0)) }
        }
        return try await db.raw(query).all().map { StoreRow(storage: .sql($0)) }
    }

    /// The first row of a query, or `nil`.
    public func first(_ db: any SQLDatabase, _ query: SQLQueryString) async throws -> StoreRow? {
        try await rows(db, query).first
    }

    /// Runs a statement inside a unit of work.
    public func run(_ db: any SQLDatabase, _ query: SQLQueryString) async throws {
        if let connection = sqliteConnection {
            let (sql, binds) = Self.serialize(query, on: db)
            _ = try await connection.query(sql, binds)
            return
        }
        try await db.raw(query).run()
    }

    static func serialize(_ query: SQLQueryString, on db: any SQLDatabase) -> (String, [SQLiteData]) {
        var serializer = SQLSerializer(database: db)
        query.serialize(to: &serializer)
        return (serializer.sql, serializer.binds.map(sqliteData))
    }

    /// SQLite's value for a bind, without going through an Encoder for the common types.
    static func sqliteData(_ bind: any Encodable & Sendable) -> SQLiteData {
        switch bind {
        case let s as String: return .text(s)
        case let i as Int64: return .integer(Int(i))
        case let i as Int: return .integer(i)
        case let d as Double: return .float(d)
        case let b as Bool: return .integer(b ? 1 : 0)
        default:
            if let optional = bind as? any OptionalProtocol, optional.isNone { return .null }
            return (try? SQLiteDataEncoder().encode(bind)) ?? .null
        }
    }
}

protocol OptionalProtocol { var isNone: Bool { get } }
extension Optional: OptionalProtocol {
    var isNone: Bool { self == nil }
}

extension StoreDatabase {
    /// The key/value rows (tags, params) of many owners at once, grouped by owner and sorted by key.
    /// - Parameters:
    ///   - table: a table with `key` and `value` columns and an owner column.
    ///   - owner: the owner column (read back as text, whatever its type).
    ///   - owners: the owners to load.
    func keyValues(_ db: any SQLDatabase, table: String, owner: String, in owners: [any Encodable & Sendable]) async throws -> [String: [KeyValue]] {
        guard !owners.isEmpty else { return [:] }
        var grouped: [String: [KeyValue]] = [:]
        let rows = try await rows(db, """
            SELECT CAST(\(unsafeRaw: owner) AS TEXT) AS owner, key, value FROM \(unsafeRaw: table)
            WHERE \(unsafeRaw: owner) IN (\(binds: owners)) ORDER BY key
            """)
        for row in rows {
            grouped[try row.string("owner"), default: []].append(KeyValue(key: try row.string("key"), value: try row.string("value")))
        }
        return grouped
    }
}
