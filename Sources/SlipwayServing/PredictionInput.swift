public import SlipwayCore
public import SlipwayModels

/// Rows of a prediction request, checked against the model's features. Accepted shapes:
/// - one row: `{"a": 1.0, "b": 2}`;
/// - `{"instances": [...]}` or `{"inputs": [...]}` of row objects or arrays, or a top-level array of rows;
/// - MLflow's `/invocations` formats: `{"dataframe_split": {"columns": [...], "data": [[...]]}}`,
///   `{"dataframe_records": [{...}]}`, `{"inputs": {"a": [...], "b": [...]}}` (columns).
/// Row objects must name every feature (`null` is a missing value); arrays give the features in order.
public enum PredictionInput {
    /// - Throws: `BAD_REQUEST` naming the row and feature that is missing or not a number, or a
    ///   batch larger than `maxRows`.
    public static func features(_ body: JSONValue, model: any Predictor, maxRows: Int) throws(SlipwayError) -> FeatureMatrix {
        let rows = try Self.rows(body, model: model)
        guard rows.count <= maxRows else {
            throw SlipwayError(.badRequest, "The request has \(rows.count) rows; the limit is \(maxRows) per request")
        }
        guard !rows.isEmpty else { throw SlipwayError(.badRequest, "The request has no rows") }
        var values: [Double] = []
        values.reserveCapacity(rows.count * model.featureCount)
        for (r, row) in rows.enumerated() { try append(row, index: r, model: model, to: &values) }
        return try FeatureMatrix(rows: rows.count, columns: model.featureCount, values: values)
    }

    /// Whether the body held one row object rather than a batch (the response mirrors it).
    public static func isSingleRow(_ body: JSONValue) -> Bool {
        guard case .object(let members) = body else { return false }
        return !members.contains { batchKeys.contains($0.0) }
    }

    static let batchKeys: Set<String> = ["instances", "inputs", "dataframe_split", "dataframe_records"]

    static func rows(_ body: JSONValue, model: any Predictor) throws(SlipwayError) -> [JSONValue] {
        switch body {
        case .array(let rows): return rows
        case .object(let members):
            guard let (key, value) = members.first(where: { batchKeys.contains($0.0) }) else { return [body] }
            switch (key, value) {
            case ("instances", .array(let rows)), ("inputs", .array(let rows)), ("dataframe_records", .array(let rows)):
                return rows
            case ("inputs", .object(let columns)):
                return try columnsToRows(columns)
            case ("dataframe_split", .object):
                guard let data = value["data"]?.arrayValue else { throw SlipwayError(.badRequest, "dataframe_split needs a 'data' list of rows") }
                guard let columns = value["columns"]?.arrayValue else { return data }
                let names = columns.map { $0.stringValue ?? "\($0)" }
                var rows: [JSONValue] = []
                for (r, row) in data.enumerated() {
                    guard let cells = row.arrayValue, cells.count == names.count else {
                        throw SlipwayError(.badRequest, "dataframe_split row \(r) does not have \(names.count) values, one per column")
                    }
                    rows.append(.object(Array(zip(names, cells))))
                }
                return rows
            default:
                throw SlipwayError(.badRequest, "'\(key)' must be a list of rows\(key == "inputs" ? " or an object of columns" : key == "dataframe_split" ? " object with columns and data" : "")")
            }
        default:
            throw SlipwayError(.badRequest, "The request body must be a JSON object or array of rows, not a \(body.typeName)")
        }
    }

    static func columnsToRows(_ columns: [(String, JSONValue)]) throws(SlipwayError) -> [JSONValue] {
        var count: Int?
        for (name, value) in columns {
            guard let items = value.arrayValue else { throw SlipwayError(.badRequest, "Column '\(name)' of 'inputs' must be a list") }
            if let count, items.count != count { throw SlipwayError(.badRequest, "Columns of 'inputs' have different lengths") }
            count = items.count
        }
        return (0..<(count ?? 0)).map { r in .object(columns.map { ($0.0, $0.1.arrayValue![r]) }) }
    }

    static func append(_ row: JSONValue, index r: Int, model: any Predictor, to values: inout [Double]) throws(SlipwayError) {
        switch row {
        case .array(let cells):
            guard cells.count == model.featureCount else {
                throw SlipwayError(.badRequest, "Row \(r) has \(cells.count) values; the model takes \(model.featureCount) features")
            }
            for (c, cell) in cells.enumerated() {
                values.append(try number(cell, row: r, feature: model.featureNames.isEmpty ? "#\(c)" : model.featureNames[c]))
            }
        case .object(let members):
            guard !model.featureNames.isEmpty else {
                throw SlipwayError(.badRequest, "Row \(r) is an object, but the model has no feature names: send each row as an array of \(model.featureCount) values")
            }
            // Clients usually send the features in the model's order: take them by position then.
            if members.count == model.featureCount, zip(members, model.featureNames).allSatisfy({ $0.0 == $1 }) {
                for (name, cell) in members { values.append(try number(cell, row: r, feature: name)) }
                return
            }
            for name in model.featureNames {
                guard let cell = members.first(where: { $0.0 == name })?.1 else {
                    throw SlipwayError(.badRequest, "Row \(r) is missing feature '\(name)' (send null for a missing value)")
                }
                values.append(try number(cell, row: r, feature: name))
            }
        default:
            throw SlipwayError(.badRequest, "Row \(r) is a \(row.typeName); a row is an object of features or an array of values")
        }
    }

    static func number(_ cell: JSONValue, row: Int, feature: String) throws(SlipwayError) -> Double {
        switch cell {
        case .number(let value): return value
        case .null: return .nan
        case .bool(let flag): return flag ? 1 : 0
        default: throw SlipwayError(.badRequest, "Row \(row), feature '\(feature)': expected a number, got a \(cell.typeName)")
        }
    }
}
