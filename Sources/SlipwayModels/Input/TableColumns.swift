public import SlipwayCore

/// Where each column of an input table goes: one of the model's feature slots, the target (an
/// evaluation's labels), or nowhere. Built once from the header, then used by every chunk.
public struct TableColumns: Sendable {
    /// A column that is read into no slot.
    static let skipped: Int32 = -1
    /// The column read as the target.
    static let target: Int32 = -2
    /// The column read as each row's key, as text.
    static let id: Int32 = -3

    /// The table's column names, as written in its header.
    public let header: [String]
    /// The model's feature count: the width of the feature rows.
    public let featureCount: Int
    /// Per input column: a feature slot (>= 0), ``target``, ``id`` or ``skipped``.
    let destinations: [Int32]
    /// Per input column: the codes of a text feature's categories, nil for every other column.
    let text: [TextCodes?]

    /// Columns for a model's features: by name when the model names its features, else by
    /// position (every column but the target and the id, in order). A model of no features keeps
    /// only the target and the id.
    /// - Throws: `INVALID_PARAMETER_VALUE` naming a feature, target or id column the header lacks,
    ///   or a positional table of the wrong width.
    public init(
        header: [String], featureNames: [String], featureCount: Int, target: String? = nil, id: String? = nil, textCategories: [Int: [String]] = [:]
    ) throws(SlipwayError) {
        guard featureNames.isEmpty || featureNames.count == featureCount else {
            throw .invalidParameter("The model names \(featureNames.count) features but has \(featureCount)")
        }
        var destinations = [Int32](repeating: Self.skipped, count: header.count)
        var targetIndex: Int?
        if let target {
            guard let index = header.firstIndex(of: target) else {
                throw .invalidParameter("The CSV has no target column '\(target)'; its columns are \(header.joined(separator: ", "))")
            }
            destinations[index] = Self.target
            targetIndex = index
        }
        var idIndex: Int?
        if let id {
            guard let index = header.firstIndex(of: id), index != targetIndex else {
                throw .invalidParameter("The input has no id column '\(id)'; its columns are \(header.joined(separator: ", "))")
            }
            destinations[index] = Self.id
            idIndex = index
        }
        if !featureNames.isEmpty {
            var firstIndex: [String: Int] = [:]
            for (i, name) in header.enumerated() where i != targetIndex && i != idIndex && firstIndex[name] == nil { firstIndex[name] = i }
            for (slot, name) in featureNames.enumerated() {
                guard let index = firstIndex[name] else {
                    throw .invalidParameter("The input has no column '\(name)', which the model needs")
                }
                destinations[index] = Int32(slot)
            }
        } else if featureCount > 0 {
            let width = header.count - (targetIndex == nil ? 0 : 1) - (idIndex == nil ? 0 : 1)
            guard width == featureCount else {
                throw .invalidParameter("The model expects \(featureCount) features; the input has \(width) columns")
            }
            var slot: Int32 = 0
            for i in header.indices where i != targetIndex && i != idIndex {
                destinations[i] = slot
                slot += 1
            }
        }
        self.header = header
        self.featureCount = featureCount
        self.destinations = destinations
        let slots = TextCodes.slots(textCategories, featureCount: featureCount)
        text = destinations.map { $0 >= 0 ? slots[Int($0)] : nil }
    }

    /// Columns for `model`'s features, and optionally a target.
    public init(header: [String], model: any Predictor, target: String? = nil) throws(SlipwayError) {
        try self.init(header: header, featureNames: model.featureNames, featureCount: model.featureCount, target: target, textCategories: model.textCategories)
    }
}

/// The cells a table may use for a missing value: pandas' default `na_values`, so a file pandas
/// reads with NaNs reads here with the same NaNs. `nan`, `NaN`, `inf` in any case are numbers.
enum MissingCell {
    static let tokens: Set<[UInt8]> = Set([
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ].map { Array($0.utf8) })

    static func contains(_ cell: UnsafeRawBufferPointer) -> Bool {
        cell.count <= 8 && tokens.contains(Array(cell))
    }
}

/// A cell read as a number: the value, or nil when it is neither a number nor a missing token.
/// Spaces around the number are allowed, as Python's `float` allows them.
@inline(__always)
func numericCell(_ cell: UnsafeRawBufferPointer) -> Double? {
    if let value = DecimalNumber.parse(cell) { return value }
    var start = 0, end = cell.count
    while start < end, cell[start] == 0x20 || cell[start] == 0x09 { start += 1 }
    while end > start, cell[end - 1] == 0x20 || cell[end - 1] == 0x09 { end -= 1 }
    let trimmed = UnsafeRawBufferPointer(rebasing: cell[start..<end])
    if start > 0 || end < cell.count, let value = DecimalNumber.parse(trimmed) { return value }
    return MissingCell.contains(trimmed) ? .nan : nil
}
