public import SlipwayCore

/// Rows given as JSON, read into a model's feature order: an object names its features (`null` is
/// a missing value, other keys are ignored), an array gives them by position. Used by
/// `slipway predict` on JSON lines and by the serving API on request bodies.
public enum JSONRows {
    /// What a row object that leaves out one of the model's features means.
    public enum AbsentFeature: Sendable {
        /// A missing value, as `null` would be.
        case missing
        /// An error naming the feature.
        case refused
    }

    /// - Parameter label: names row `r` in errors ("Row 3", "Line 7").
    /// - Throws: `BAD_REQUEST` naming the row and feature that is absent, of the wrong type, or a row of the wrong width.
    public static func features(
        _ rows: [JSONValue], model: any Predictor, absent: AbsentFeature, label: (Int) -> String
    ) throws(SlipwayError) -> FeatureMatrix {
        var values: [Double] = []
        values.reserveCapacity(rows.count * model.featureCount)
        for (r, row) in rows.enumerated() {
            try append(row, model: model, absent: absent, label: label(r), to: &values)
        }
        return try FeatureMatrix(rows: rows.count, columns: model.featureCount, values: values)
    }

    static func append(
        _ row: JSONValue, model: any Predictor, absent: AbsentFeature, label: String, to values: inout [Double]
    ) throws(SlipwayError) {
        let names = model.featureNames
        let text = model.textCategories
        func number(_ cell: JSONValue, _ label: String, _ feature: String) throws(SlipwayError) -> Double {
            guard !text.isEmpty, let slot = names.isEmpty ? Int(feature.dropFirst()) : names.firstIndex(of: feature), let categories = text[slot] else {
                return try JSONRows.number(cell, label, feature)
            }
            switch cell {
            case .null: return .nan
            case .string(let value): return Double(categories.firstIndex(of: value) ?? -1)
            default: return Double(categories.firstIndex(of: cell.numberValue.map(SkopsFile.label) ?? "\(cell)") ?? -1)
            }
        }
        switch row {
        case .array(let cells):
            guard cells.count == model.featureCount else {
                throw SlipwayError(.badRequest, "\(label) has \(cells.count) values; the model expects \(model.featureCount) features")
            }
            for (c, cell) in cells.enumerated() { values.append(try number(cell, label, names.isEmpty ? "#\(c)" : names[c])) }
        case .object(let members):
            guard !names.isEmpty else {
                throw SlipwayError(.badRequest, "\(label) is an object, but the model has no feature names: give an array of \(model.featureCount) values")
            }
            // Clients usually send the features in the model's order: take them by position then.
            if members.count == names.count, zip(members, names).allSatisfy({ $0.0 == $1 }) {
                for (name, cell) in members { values.append(try number(cell, label, name)) }
                return
            }
            for name in names {
                if let cell = members.first(where: { $0.0 == name })?.1 {
                    values.append(try number(cell, label, name))
                } else if absent == .missing {
                    values.append(.nan)
                } else {
                    throw SlipwayError(.badRequest, "\(label) is missing feature '\(name)' (send null for a missing value)")
                }
            }
        default:
            throw SlipwayError(.badRequest, "\(label) is a \(row.typeName); a row is an object of features or an array of values")
        }
    }

    static func number(_ cell: JSONValue, _ label: String, _ feature: String) throws(SlipwayError) -> Double {
        switch cell {
        case .number(let value): return value
        case .null: return .nan
        case .bool(let flag): return flag ? 1 : 0
        default: throw SlipwayError(.badRequest, "\(label), feature '\(feature)': expected a number, got a \(cell.typeName)")
        }
    }
}
