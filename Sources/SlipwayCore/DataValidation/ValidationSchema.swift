/// The rules a table must keep, as a schema file declares them (`slipway validate FILE --schema
/// schema.yaml`, a `validate` job):
///
/// ```yaml
/// columns:
///   station_id:  {type: string, nulls: false}
///   observed_at: {type: timestamp, nulls: false, fresh_within: 2h}
///   temperature: {type: number, min: -40, max: 50, max_null_share: 0.01}
///   weather:     {type: string, allowed: [clear, rain, snow, cloudy]}
///   trips:       {type: integer, min: 0}
///   comment:     {required: false}
/// unique: [station_id, observed_at]
/// rows: {min: 100, max: 1000000}
/// ```
///
/// Every column named is required unless `required: false`; an empty cell is a null. Types are
/// `string`, `number`, `integer`, `boolean` and `timestamp` (RFC 3339, `YYYY-MM-DD HH:MM:SS` read as
/// UTC, or seconds or milliseconds since the epoch).
public struct ValidationSchema: Sendable, Equatable {
    public enum ValueType: String, Sendable, CaseIterable {
        case string, number, integer, boolean, timestamp
    }

    public struct Column: Sendable, Equatable {
        public var name: String
        public var required = true
        public var type: ValueType?
        /// Whether any null is allowed; `maxNullShare` allows a share of them.
        public var nulls = true
        public var maxNullShare: Double?
        public var minimum: Double?
        public var maximum: Double?
        public var allowed: [String]?
        public var unique = false
        /// The newest value must be at most this old (milliseconds), for a timestamp column.
        public var freshWithin: Int64?

        public init(name: String) {
            self.name = name
        }
    }

    public var columns: [Column]
    /// Columns whose values together are unique in every row.
    public var unique: [String]
    public var minimumRows: Int?
    public var maximumRows: Int?

    public init(columns: [Column], unique: [String] = [], minimumRows: Int? = nil, maximumRows: Int? = nil) {
        self.columns = columns
        self.unique = unique
        self.minimumRows = minimumRows
        self.maximumRows = maximumRows
    }

    /// - Throws: INVALID_PARAMETER_VALUE naming the field that is wrong.
    public init(json: JSONValue) throws(SlipwayError) {
        guard case .object(let members) = json else { throw .invalidParameter("A schema is a mapping with 'columns', and optionally 'unique' and 'rows'") }
        let known: Set<String> = ["columns", "unique", "rows", "description"]
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            throw .invalidParameter("Unknown schema field '\(unknown.0)'; a schema has \(known.sorted().joined(separator: ", "))")
        }
        guard case .object(let entries)? = json["columns"], !entries.isEmpty else {
            throw .invalidParameter("A schema needs 'columns': a mapping of column names to their rules")
        }
        var columns: [Column] = []
        for (name, rules) in entries {
            columns.append(try Self.column(name, rules))
        }
        var unique: [String] = []
        switch json["unique"] {
        case nil, .null?: break
        case .string(let one)?: unique = [one]
        case .array(let items)?: unique = items.compactMap(\.stringValue)
        default: throw .invalidParameter("Schema 'unique' is a column or a list of columns")
        }
        var minimumRows: Int?, maximumRows: Int?
        if let rows = json["rows"], rows != .null {
            guard case .object(let bounds) = rows else { throw .invalidParameter("Schema 'rows' is a mapping: {min: N, max: M}") }
            for (key, value) in bounds {
                guard case .number(let n) = value, n >= 0, n == n.rounded() else { throw .invalidParameter("Schema 'rows.\(key)' must be a whole number") }
                switch key {
                case "min": minimumRows = Int(n)
                case "max": maximumRows = Int(n)
                default: throw .invalidParameter("Schema 'rows' has 'min' and 'max', not '\(key)'")
                }
            }
        }
        self.init(columns: columns, unique: unique, minimumRows: minimumRows, maximumRows: maximumRows)
        for name in unique where !columns.contains(where: { $0.name == name }) {
            throw .invalidParameter("Schema 'unique' names '\(name)', which is not among its columns")
        }
    }

    static func column(_ name: String, _ rules: JSONValue) throws(SlipwayError) -> Column {
        var column = Column(name: name)
        if rules == .null { return column }
        guard case .object(let fields) = rules else { throw .invalidParameter("Column '\(name)': its rules are a mapping, e.g. {type: number, min: 0}") }
        func number(_ key: String, _ value: JSONValue) throws(SlipwayError) -> Double {
            guard case .number(let n) = value, n.isFinite else { throw .invalidParameter("Column '\(name)': '\(key)' must be a number") }
            return n
        }
        func flag(_ key: String, _ value: JSONValue) throws(SlipwayError) -> Bool {
            guard case .bool(let b) = value else { throw .invalidParameter("Column '\(name)': '\(key)' must be true or false") }
            return b
        }
        for (key, value) in fields {
            switch key {
            case "type":
                guard let text = value.stringValue, let type = ValueType(rawValue: text) else {
                    throw .invalidParameter("Column '\(name)': 'type' must be one of \(ValueType.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                column.type = type
            case "required": column.required = try flag(key, value)
            case "nulls": column.nulls = try flag(key, value)
            case "max_null_share":
                let share = try number(key, value)
                guard (0...1).contains(share) else { throw .invalidParameter("Column '\(name)': 'max_null_share' is from 0 to 1") }
                column.maxNullShare = share
            case "min": column.minimum = try number(key, value)
            case "max": column.maximum = try number(key, value)
            case "unique": column.unique = try flag(key, value)
            case "allowed":
                guard let items = value.arrayValue, !items.isEmpty else { throw .invalidParameter("Column '\(name)': 'allowed' is a list of values") }
                column.allowed = items.map { item in item.stringValue ?? JSONWriter.string(item) }
            case "fresh_within":
                guard let text = value.stringValue, let length = TimeBound.length(text) else {
                    throw .invalidParameter("Column '\(name)': 'fresh_within' is a length such as 2h, 30m or 1d")
                }
                column.freshWithin = length
            default:
                throw .invalidParameter(
                    "Column '\(name)': unknown rule '\(key)'; rules are type, required, nulls, max_null_share, min, max, allowed, unique, fresh_within")
            }
        }
        if let minimum = column.minimum, let maximum = column.maximum, minimum > maximum {
            throw .invalidParameter("Column '\(name)': 'min' is above 'max'")
        }
        if column.freshWithin != nil, column.type != .timestamp {
            throw .invalidParameter("Column '\(name)': 'fresh_within' is for a column of type timestamp")
        }
        return column
    }

    /// The schema as a job's spec keeps it (the same shape as the file).
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("columns", .object(columns.map { column in
            var rules: [(String, JSONValue)] = []
            if let type = column.type { rules.append(("type", .string(type.rawValue))) }
            if !column.required { rules.append(("required", .bool(false))) }
            if !column.nulls { rules.append(("nulls", .bool(false))) }
            if let share = column.maxNullShare { rules.append(("max_null_share", .number(share))) }
            if let minimum = column.minimum { rules.append(("min", .number(minimum))) }
            if let maximum = column.maximum { rules.append(("max", .number(maximum))) }
            if let allowed = column.allowed { rules.append(("allowed", .array(allowed.map { .string($0) }))) }
            if column.unique { rules.append(("unique", .bool(true))) }
            if let fresh = column.freshWithin { rules.append(("fresh_within", .string("\(fresh / 60_000)m"))) }
            return (column.name, .object(rules))
        }))]
        if !unique.isEmpty { fields.append(("unique", .array(unique.map { .string($0) }))) }
        if minimumRows != nil || maximumRows != nil {
            var rows: [(String, JSONValue)] = []
            if let minimumRows { rows.append(("min", .int(Int64(minimumRows)))) }
            if let maximumRows { rows.append(("max", .int(Int64(maximumRows)))) }
            fields.append(("rows", .object(rows)))
        }
        return .object(fields)
    }
}
