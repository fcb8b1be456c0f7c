public import SlipwayCore
import SQLKit

/// Feature rows read from a SQL query (a prediction's source that is a table, not a file):
/// columns by the model's feature names (or, for a model without names, every column but the id,
/// in order), NULL as missing, and each row's id as text.
public enum SQLFeatureSource {
    /// The column holding each row's watermark as text, added by a watermarked read.
    static let watermarkColumn = "slipway_watermark"

    /// The query's rows: `values` row-major, `featureCount` per row, and the id column's values.
    /// With a watermark, only rows whose watermark column is above `after`, in its order, and the
    /// last one's value.
    /// - Throws: `INVALID_PARAMETER_VALUE` for a query the database refuses, a feature or id
    ///   column it does not return, a cell that is not a number, or an empty id.
    public static func read(
        _ database: StoreDatabase, query: String, featureNames: [String], featureCount: Int, idColumn: String?, watermark: SourceWatermark? = nil
    ) async throws -> SourceRows {
        var sql = query
        if let watermark {
            // A number compares as a number; anything else (a time) as a quoted literal, which
            // PostgreSQL reads as the column's own type.
            func literal(_ value: String) -> String { Double(value) != nil ? value : "'" + value.replacingOccurrences(of: "'", with: "''") + "'" }
            var conditions: [String] = []
            if let after = watermark.after { conditions.append("\(watermark.column) > \(literal(after))") }
            if let from = watermark.from { conditions.append("\(watermark.column) >= \(literal(from))") }
            if let until = watermark.until { conditions.append("\(watermark.column) < \(literal(until))") }
            sql = "SELECT *, CAST(\(watermark.column) AS TEXT) AS \(watermarkColumn) FROM (\(query)) AS slipway_source"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY \(watermark.column)"
        }
        let rows: [StoreRow]
        do {
            let text = sql
            rows = try await database.withConnection { db in try await database.rows(db, SQLQueryString(text)) }
        } catch {
            throw SlipwayError.invalidParameter("The source query failed: \(SQLPredictionTableStore.describe(error))")
        }
        guard let first = rows.first else { return SourceRows(values: [], rows: 0, ids: []) }
        let names = first.columnNames.filter { $0 != watermarkColumn }
        if let idColumn, !names.contains(idColumn) {
            throw SlipwayError.invalidParameter("The source query returns no id column '\(idColumn)'; its columns are \(names.joined(separator: ", "))")
        }
        let columns: [String]
        if featureNames.isEmpty {
            columns = names.filter { $0 != idColumn }
            guard columns.count == featureCount else {
                throw SlipwayError.invalidParameter("The model expects \(featureCount) features; the source query returns \(columns.count) columns")
            }
        } else {
            if let missing = featureNames.first(where: { !names.contains($0) }) {
                throw SlipwayError.invalidParameter("The source query returns no column '\(missing)', which the model needs")
            }
            columns = featureNames
        }
        var values: [Double] = []
        values.reserveCapacity(rows.count * featureCount)
        var ids: [String] = []
        for (r, row) in rows.enumerated() {
            for column in columns {
                guard let value = try row.number(column) else {
                    throw SlipwayError.invalidParameter("Source row \(r + 1), column '\(column)' is not a number")
                }
                values.append(value)
            }
            if let idColumn {
                guard let id = try row.text(idColumn), !id.isEmpty else {
                    throw SlipwayError.invalidParameter("Source row \(r + 1) has an empty id in column '\(idColumn)'")
                }
                ids.append(id)
            }
        }
        let last = watermark == nil ? nil : try rows.last?.optionalString(watermarkColumn)
        return SourceRows(values: values, rows: rows.count, ids: ids, lastWatermark: last)
    }
}
