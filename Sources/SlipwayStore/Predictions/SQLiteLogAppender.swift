import Foundation
import SlipwayCore

/// Appends served predictions to `prediction_log` in a SQLite file through a `SQLiteDirect`
/// connection kept for the server's life, with its INSERT prepared once: the log writer takes
/// tens of thousands of rows a second from the same two cores that serve them.
///
/// The caller serializes calls (the store holds its connection's lock meanwhile) and makes them on
/// the thread pool.
final class SQLiteLogAppender: @unchecked Sendable {
    private let path: String
    private var insert: SQLiteDirect.Statement?

    init(path: String) {
        self.path = path
    }

    deinit {
        insert?.finalize()
    }

    /// Appends `entries` in one transaction: all of them or none.
    func append(_ entries: [ServedPrediction]) throws {
        let insert = try prepared()
        let connection = insert.connection
        try connection.execute("BEGIN IMMEDIATE")
        do {
            for entry in entries {
                insert.bind(1, text: entry.requestID)
                insert.bind(2, text: entry.model)
                insert.bind(3, int: entry.version.map(Int64.init))
                insert.bind(4, int: entry.servedAt)
                insert.bind(5, int: Int64(entry.rows))
                insert.bind(6, int: Int64(entry.featureCount))
                insert.bind(8, int: Int64(entry.outputsPerRow))
                insert.bind(10, int: entry.latencyMicroseconds)
                insert.bind(11, int: Int64(entry.status))
                insert.bind(12, text: entry.error)
                insert.bind(13, text: entry.source)
                try Self.littleEndian(entry.features) { features in
                    insert.bind(7, borrowedBlob: features)
                    try Self.littleEndian(entry.outputs) { outputs in
                        insert.bind(9, borrowedBlob: outputs)
                        try insert.step()
                    }
                }
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func prepared() throws -> SQLiteDirect.Statement {
        if let insert { return insert }
        let connection = try SQLiteDirect(path: path)
        let columns = SQLPredictionLogStore.columns
        let statement = try connection.statement(
            "INSERT INTO prediction_log (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
        insert = statement
        return statement
    }

    /// The values as little-endian float64 bytes, as the log stores them.
    private static func littleEndian(_ values: [Double], _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        #if _endian(big)
        try SQLPredictionLogStore.bytes(values).withUnsafeBytes(body)
        #else
        try values.withUnsafeBytes(body)
        #endif
    }
}
