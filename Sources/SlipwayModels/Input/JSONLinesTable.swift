public import SlipwayCore

/// Rows of features as JSON lines: one object or array per line, read by ``JSONRows`` (a key left
/// out of an object is a missing value). Blank lines are skipped.
public struct JSONLinesTable: Sendable {
    public let rows: [JSONValue]
    let lineNumbers: [Int]

    /// - Throws: `INVALID_PARAMETER_VALUE` naming the line that is not a JSON object or array.
    public init(text: String, source: String) throws(SlipwayError) {
        var rows: [JSONValue] = [], lineNumbers: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let value: JSONValue
            do {
                value = try JSONParser.parse(Array(line.utf8))
            } catch {
                throw .invalidParameter("JSON lines file '\(source)' line \(index + 1) is not valid JSON (\(error.message))")
            }
            switch value {
            case .object, .array: break
            default: throw .invalidParameter("JSON lines file '\(source)' line \(index + 1) is a \(value.typeName), not an object or array")
            }
            rows.append(value)
            lineNumbers.append(index + 1)
        }
        self.rows = rows
        self.lineNumbers = lineNumbers
    }

    /// The features for a model: objects by feature name (an absent key is a missing value), arrays by position.
    public func features(for model: any Predictor) throws(SlipwayError) -> FeatureMatrix {
        try JSONRows.features(rows, model: model, absent: .missing) { "Line \(lineNumbers[$0])" }
    }
}
