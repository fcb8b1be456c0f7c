public import SlipwayCore

/// A CSV file of features with a header row, read into a ``FeatureMatrix`` in a model's
/// feature order. Empty cells and `nan` are missing values.
public struct CSVTable: Sendable {
    public let header: [String]
    public let rows: [[String]]

    /// - Throws: `INVALID_PARAMETER_VALUE` for an empty file or a row of the wrong width.
    public init(text: String, source: String) throws(SlipwayError) {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw .invalidParameter("CSV file '\(source)' is empty") }
        header = first.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [[String]] = []
        for (i, line) in lines.dropFirst().enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else {
                throw .invalidParameter("CSV file '\(source)' row \(i + 2) has \(cells.count) cells; the header has \(header.count)")
            }
            rows.append(cells)
        }
        self.rows = rows
    }

    /// The table without `column`, and that column's values as numbers (an evaluation's target).
    /// - Throws: INVALID_PARAMETER_VALUE for a missing column or a cell that is not a number.
    public func splitting(target column: String) throws(SlipwayError) -> (features: CSVTable, target: [Double]) {
        guard let index = header.firstIndex(of: column) else {
            throw .invalidParameter("The CSV has no target column '\(column)'; its columns are \(header.joined(separator: ", "))")
        }
        var target: [Double] = []
        target.reserveCapacity(rows.count)
        for (r, row) in rows.enumerated() {
            guard let value = Double(row[index]), value.isFinite else {
                throw .invalidParameter("Row \(r + 2): the target '\(column)' is '\(row[index])', not a number")
            }
            target.append(value)
        }
        var rest = header
        rest.remove(at: index)
        return (CSVTable(header: rest, rows: rows.map { var row = $0; row.remove(at: index); return row }), target)
    }

    init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// The features for a model: by name when the model names its features, else by position.
    public func features(for model: any Predictor) throws(SlipwayError) -> FeatureMatrix {
        let columns: [Int]
        if !model.featureNames.isEmpty {
            columns = try model.featureNames.map { name throws(SlipwayError) in
                guard let index = header.firstIndex(of: name) else {
                    throw .invalidParameter("The input has no column '\(name)', which the model needs")
                }
                return index
            }
        } else {
            guard header.count == model.featureCount else {
                throw .invalidParameter("The model expects \(model.featureCount) features; the input has \(header.count) columns")
            }
            columns = Array(header.indices)
        }
        var values: [Double] = []
        values.reserveCapacity(rows.count * columns.count)
        for (r, row) in rows.enumerated() {
            for c in columns {
                let cell = row[c]
                if cell.isEmpty || cell.lowercased() == "nan" || cell.lowercased() == "na" {
                    values.append(.nan)
                } else if let v = Double(cell) {
                    values.append(v)
                } else {
                    throw .invalidParameter("Row \(r + 2), column '\(header[c])': '\(cell)' is not a number")
                }
            }
        }
        return try FeatureMatrix(rows: rows.count, columns: columns.count, values: values)
    }
}
