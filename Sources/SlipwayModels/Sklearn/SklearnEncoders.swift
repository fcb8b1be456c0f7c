import SlipwayCore

/// The text values the model's categorical input columns take, met while loading: per model input
/// column, the values in the order first met. Input readers read a text cell of such a column as
/// its index here (-1 for text the model never saw), so the encoders compare numbers.
final class TextVocabulary {
    private(set) var columns: [Int: [String]] = [:]
    private var indices: [Int: [String: Int]] = [:]

    /// The code of `text` in model input column `column`, added when new.
    func code(column: Int, _ text: String) -> Double {
        if let index = indices[column]?[text] { return Double(index) }
        let index = columns[column, default: []].count
        columns[column, default: []].append(text)
        indices[column, default: [:]][text] = index
        return Double(index)
    }
}

/// Where a transform's input columns come from, for text categories: the model input column of
/// each while the transform still sees the raw input, nil after a step that makes numbers.
struct InputColumns {
    let modelColumn: ((Int) -> Int?)?
    let vocabulary: TextVocabulary

    /// The model's own input columns.
    static func raw(_ vocabulary: TextVocabulary) -> InputColumns { InputColumns(modelColumn: { $0 }, vocabulary: vocabulary) }

    /// After a step that computes: text categories can no longer appear.
    var numeric: InputColumns { InputColumns(modelColumn: nil, vocabulary: vocabulary) }

    /// The columns a ColumnTransformer branch selects.
    func selecting(_ columns: [Int]) -> InputColumns {
        guard let modelColumn else { return self }
        return InputColumns(modelColumn: { j in j < columns.count ? modelColumn(columns[j]) : nil }, vocabulary: vocabulary)
    }

    /// A category or fill value as the number a row holds: text becomes its code in the column.
    func value(_ category: SkopsFile.Category, column: Int, _ file: SkopsFile, _ node: SkopsFile.Node) throws(SlipwayError) -> Double {
        switch category {
        case .number(let v): return v
        case .text(let text):
            guard let model = modelColumn?(column) else {
                throw file.fail(node, "holds the text category '\(text)' after a step that makes numbers")
            }
            return vocabulary.code(column: model, text)
        }
    }
}

extension SkopsFile {
    /// One category or fill value: a number (NaN for a missing value) or text.
    enum Category: Equatable {
        case number(Double)
        case text(String)
    }

    /// The items of a stored array of categories: numbers, or an object array of text (and NaN).
    func categories(_ node: Node) throws(SlipwayError) -> [Category] {
        if node.json["type"]?.stringValue == "numpy", node.json["file"] != nil {
            let (text, numbers) = try labels(node)
            return numbers.map { $0.map(Category.number) } ?? text.map(Category.text)
        }
        var out: [Category] = []
        for (i, item) in (node.json["content"]?.arrayValue ?? []).enumerated() {
            switch Node(json: item, path: "\(node.path)[\(i)]").value {
            case .string(let text)?: out.append(.text(text))
            case .number(let v)?: out.append(.number(v))
            case .null?: out.append(.number(.nan))
            default: throw fail(node, "holds a category that is neither text nor a number")
            }
        }
        return out
    }
}

/// The index of a value among categories, NaN matching a NaN category (scikit-learn keeps it last).
struct CategoryIndex {
    private let index: [Double: Int]
    private let nanIndex: Int?
    let count: Int

    init(_ values: [Double]) {
        var index: [Double: Int] = [:]
        for (i, v) in values.enumerated() where !v.isNaN && index[v] == nil { index[v] = i }
        self.index = index
        nanIndex = values.firstIndex { $0.isNaN }
        count = values.count
    }

    func position(of value: Double) -> Int? {
        value.isNaN ? nanIndex : index[value]
    }

    /// An encoder's `categories_`, one index per input column.
    static func fitted(_ file: SkopsFile, _ step: SkopsFile.Node, inputs: InputColumns) throws(SlipwayError) -> [CategoryIndex] {
        if step.attribute("_infrequent_enabled")?.value == .bool(true) {
            throw file.fail(step, "groups infrequent categories (min_frequency/max_categories), which Slipway does not serve yet")
        }
        guard let lists = try file.attribute(step, "categories_").items, !lists.isEmpty else { throw file.fail(step, "has no categories_") }
        var columns: [CategoryIndex] = []
        for (j, list) in lists.enumerated() {
            columns.append(CategoryIndex(try file.categories(list).map { c throws(SlipwayError) in try inputs.value(c, column: j, file, step) }))
        }
        return columns
    }
}

/// SimpleImputer: a missing value (NaN, or the `missing_values` number) becomes the column's
/// fitted statistic (mean, median, most frequent or the constant; text for a text column).
struct SimpleImputerTransform: SklearnTransform {
    static let className = "sklearn.impute._base.SimpleImputer"
    let fill: [Double]
    let missing: Double
    var inputWidth: Int { fill.count }
    var outputWidth: Int { fill.count }

    init(_ file: SkopsFile, _ step: SkopsFile.Node, inputs: InputColumns) throws(SlipwayError) {
        if step.attribute("add_indicator")?.value == .bool(true) { throw file.fail(step, "adds missing-indicator columns, which Slipway does not serve yet") }
        var missing = Double.nan
        if let node = step.attribute("missing_values") {
            switch node.value {
            case .number(let v)?: missing = v
            case .null?: missing = .nan
            default: throw file.fail(node, "is a missing-value marker Slipway does not read (NaN, None or a number)")
            }
        }
        self.missing = missing
        let statistics = try file.categories(try file.attribute(step, "statistics_"))
        var fill: [Double] = []
        for (i, statistic) in statistics.enumerated() {
            let value = try inputs.value(statistic, column: i, file, step)
            if value.isNaN, step.attribute("keep_empty_features")?.value != .bool(true) {
                throw file.fail(step, "drops column \(i), which had no values when fitted; Slipway does not serve that yet")
            }
            fill.append(value.isNaN ? 0 : value)
        }
        guard !fill.isEmpty, fill.count == (try? file.count(step, "n_features_in_")) ?? fill.count else { throw file.fail(step, "has inconsistent statistics_") }
        self.fill = fill
    }

    func apply(_ row: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) throws(SlipwayError) {
        for i in 0..<fill.count {
            let v = row[i]
            out[i] = v.isNaN || v == missing ? fill[i] : v
        }
    }
}

/// OneHotEncoder: one output column per category of each input column (less the dropped one),
/// 1 where the row's value is that category. An unknown category gives zeros (`ignore`) or an
/// error (`error`), as scikit-learn does.
struct OneHotTransform: SklearnTransform {
    static let className = "sklearn.preprocessing._encoders.OneHotEncoder"
    let columns: [CategoryIndex]
    /// Per input column, the category whose column is dropped (`drop`), if any.
    let dropped: [Int?]
    let ignoreUnknown: Bool
    let outputWidth: Int
    var inputWidth: Int { columns.count }

    init(_ file: SkopsFile, _ step: SkopsFile.Node, inputs: InputColumns) throws(SlipwayError) {
        let columns = try CategoryIndex.fitted(file, step, inputs: inputs)
        let drop = try file.attribute(step, "drop_idx_")
        var dropped: [Int?] = Array(repeating: nil, count: columns.count)
        if drop.value != .null {
            let values = try file.categories(drop)
            guard values.count == columns.count else { throw file.fail(step, "has \(values.count) dropped categories for \(columns.count) columns") }
            for (j, v) in values.enumerated() {
                guard case .number(let d) = v else { throw file.fail(step, "has a dropped category that is not an index") }
                if d.isNaN { continue }
                guard d >= 0, d < Double(columns[j].count), d == d.rounded() else { throw file.fail(step, "drops category \(d) of \(columns[j].count)") }
                dropped[j] = Int(d)
            }
        }
        let handling = step.attribute("handle_unknown")?.value?.stringValue ?? "error"
        self.columns = columns
        self.dropped = dropped
        ignoreUnknown = handling != "error"
        outputWidth = zip(columns, dropped).reduce(0) { $0 + $1.0.count - ($1.1 == nil ? 0 : 1) }
    }

    func apply(_ row: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) throws(SlipwayError) {
        var offset = 0
        for (j, column) in columns.enumerated() {
            let width = column.count - (dropped[j] == nil ? 0 : 1)
            for k in 0..<width { out[offset + k] = 0 }
            if var p = column.position(of: row[j]) {
                if let d = dropped[j] {
                    if p == d { p = -1 } else if p > d { p -= 1 }
                }
                if p >= 0 { out[offset + p] = 1 }
            } else if !ignoreUnknown {
                throw .invalidParameter("input column \(j) of a OneHotEncoder holds a category it was not fitted on (handle_unknown='error')")
            }
            offset += width
        }
    }
}

/// OrdinalEncoder: each value becomes its category's index; a missing value becomes
/// `encoded_missing_value`, an unknown one `unknown_value` (`use_encoded_value`) or an error.
struct OrdinalTransform: SklearnTransform {
    static let className = "sklearn.preprocessing._encoders.OrdinalEncoder"
    let columns: [CategoryIndex]
    let unknownValue: Double?
    let missingValue: Double
    var inputWidth: Int { columns.count }
    var outputWidth: Int { columns.count }

    init(_ file: SkopsFile, _ step: SkopsFile.Node, inputs: InputColumns) throws(SlipwayError) {
        let columns = try CategoryIndex.fitted(file, step, inputs: inputs)
        self.columns = columns
        let handling = step.attribute("handle_unknown")?.value?.stringValue ?? "error"
        unknownValue = handling == "use_encoded_value" ? (step.attribute("unknown_value")?.value?.numberValue ?? .nan) : nil
        missingValue = step.attribute("encoded_missing_value")?.value?.numberValue ?? .nan
    }

    func apply(_ row: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>) throws(SlipwayError) {
        for (j, column) in columns.enumerated() {
            let v = row[j]
            if let p = column.position(of: v) {
                out[j] = v.isNaN ? missingValue : Double(p)
            } else if let unknownValue {
                out[j] = unknownValue
            } else {
                throw .invalidParameter("input column \(j) of an OrdinalEncoder holds a category it was not fitted on (handle_unknown='error')")
            }
        }
    }
}
