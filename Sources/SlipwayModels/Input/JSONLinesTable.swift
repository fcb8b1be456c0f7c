public import SlipwayCore

/// Rows of features as JSON lines: one object per line (`{"a": 1.5, "b": null}`, keys are feature
/// names, a missing key or `null` is a missing value), or one array per line in the model's feature
/// order. Blank lines are skipped.
public struct JSONLinesTable: Sendable {
    public let rows: [JSONValue]
    let lineNumbers: [Int]
    let source: String

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
        self.source = source
    }

    /// The features for a model: objects by feature name, arrays by position.
    public func features(for model: any Predictor) throws(SlipwayError) -> FeatureMatrix {
        let width = model.featureCount
        var values: [Double] = []
        values.reserveCapacity(rows.count * width)
        for (r, row) in rows.enumerated() {
            let line = lineNumbers[r]
            switch row {
            case .array(let items):
                guard items.count == width else {
                    throw .invalidParameter("Line \(line) has \(items.count) values; the model expects \(width)")
                }
                for (c, item) in items.enumerated() { values.append(try Self.number(item, line: line, column: "\(c)")) }
            case .object(let members):
                guard !model.featureNames.isEmpty else {
                    throw .invalidParameter("Line \(line) is an object, but the model has no feature names; give an array of \(width) values")
                }
                var byName: [String: JSONValue] = [:]
                for (key, value) in members { byName[key] = value }
                for name in model.featureNames {
                    values.append(try byName[name].map { v throws(SlipwayError) in try Self.number(v, line: line, column: name) } ?? .nan)
                }
            default:
                break
            }
        }
        return try FeatureMatrix(rows: rows.count, columns: width, values: values)
    }

    static func number(_ value: JSONValue, line: Int, column: String) throws(SlipwayError) -> Double {
        switch value {
        case .number(let number): return number
        case .null: return .nan
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text):
            if let number = Double(text) { return number }
            throw .invalidParameter("Line \(line), feature '\(column)': \"\(text.prefix(40))\" is not a number")
        default:
            throw .invalidParameter("Line \(line), feature '\(column)': a \(value.typeName) is not a number")
        }
    }
}
