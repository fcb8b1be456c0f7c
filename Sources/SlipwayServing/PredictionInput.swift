public import SlipwayCore
public import SlipwayModels

/// Rows of a prediction request, checked against the model's features. Accepted shapes:
/// - one row: `{"a": 1.0, "b": 2}`;
/// - `{"instances": [...]}` or `{"inputs": [...]}` of row objects or arrays, or a top-level array of rows;
/// - MLflow's `/invocations` formats: `{"dataframe_split": {"columns": [...], "data": [[...]]}}`,
///   `{"dataframe_records": [{...}]}`, `{"inputs": {"a": [...], "b": [...]}}` (columns).
/// Rows are read by ``JSONRows``; here a row object must name every feature (`null` is a missing value).
public enum PredictionInput {
    /// - Throws: `BAD_REQUEST` naming the row and feature that is missing or not a number, or a
    ///   batch larger than `maxRows`.
    public static func features(_ body: JSONValue, model: any Predictor, maxRows: Int) throws(SlipwayError) -> FeatureMatrix {
        let rows = try Self.rows(body)
        guard rows.count <= maxRows else {
            throw SlipwayError(.badRequest, "The request has \(rows.count) rows; the limit is \(maxRows) per request")
        }
        guard !rows.isEmpty else { throw SlipwayError(.badRequest, "The request has no rows") }
        return try JSONRows.features(rows, model: model, absent: .refused) { "Row \($0)" }
    }

    /// The features of a request body: the common batch shapes straight from the bytes
    /// (``RequestRows``), anything else (and every error) through the JSON value reader.
    public static func features(body: UnsafeRawBufferPointer, model: any Predictor, maxRows: Int) throws(SlipwayError) -> FeatureMatrix {
        if let features = RequestRows.features(body, model: model, maxRows: maxRows) { return features }
        return try features(try JSONParser.parse(body), model: model, maxRows: maxRows)
    }

    static let batchKeys: Set<String> = ["instances", "inputs", "dataframe_split", "dataframe_records"]

    static func rows(_ body: JSONValue) throws(SlipwayError) -> [JSONValue] {
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
            case ("dataframe_split", _):
                throw SlipwayError(.badRequest, "'dataframe_split' must be an object with 'columns' and 'data'")
            default:
                throw SlipwayError(.badRequest, "'\(key)' must be a list of rows\(key == "inputs" ? " or an object of columns" : "")")
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
}
