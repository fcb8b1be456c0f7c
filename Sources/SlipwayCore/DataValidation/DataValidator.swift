import Foundation

/// Checks a table against a `ValidationSchema` row by row (nothing but the unique keys is kept),
/// and reports every rule broken: how many rows broke it and a few of them.
public struct DataValidator: Sendable {
    /// Rows shown per broken rule.
    public static let samplesPerRule = 5

    struct ColumnState: Sendable {
        let rule: ValidationSchema.Column
        let index: Int?
        var nulls = 0
        var seen = Set<String>()
        var newest: Int64?
    }

    let schema: ValidationSchema
    let now: Int64
    var columns: [ColumnState]
    var uniqueIndexes: [Int]?
    var uniqueKeys = Set<[String]>()
    var rows = 0
    var violations: [String: ValidationReport.Violation] = [:]
    var order: [String] = []

    /// - Parameter header: the table's column names.
    public init(schema: ValidationSchema, header: [String], now: Int64) {
        self.schema = schema
        self.now = now
        columns = schema.columns.map { ColumnState(rule: $0, index: header.firstIndex(of: $0.name)) }
        let indexes = schema.unique.compactMap { header.firstIndex(of: $0) }
        uniqueIndexes = indexes.count == schema.unique.count && !indexes.isEmpty ? indexes : nil
        for column in columns where column.index == nil && column.rule.required {
            record("\(column.rule.name).required", column: column.rule.name, "Column '\(column.rule.name)' is missing (the table has: \(header.joined(separator: ", ")))", row: nil, value: nil)
        }
    }

    /// Checks one row, its cells in the header's order (missing trailing cells are nulls).
    public mutating func add(_ cells: [String]) {
        rows += 1
        for i in columns.indices {
            guard let index = columns[i].index else { continue }
            let rule = columns[i].rule
            let cell = index < cells.count ? cells[index] : ""
            if cell.isEmpty {
                columns[i].nulls += 1
                if !rule.nulls && rule.maxNullShare == nil { record("\(rule.name).nulls", column: rule.name, "Null in '\(rule.name)', which allows none", row: rows, value: "") }
                continue
            }
            if let type = rule.type {
                switch type {
                case .string: break
                case .number, .integer:
                    guard let number = Double(cell), number.isFinite, type == .number || number == number.rounded() else {
                        record("\(rule.name).type", column: rule.name, "Not \(type == .number ? "a number" : "an integer") in '\(rule.name)'", row: rows, value: cell)
                        continue
                    }
                    if let minimum = rule.minimum, number < minimum {
                        record("\(rule.name).min", column: rule.name, "Below the minimum \(Self.text(minimum)) in '\(rule.name)'", row: rows, value: cell)
                    }
                    if let maximum = rule.maximum, number > maximum {
                        record("\(rule.name).max", column: rule.name, "Above the maximum \(Self.text(maximum)) in '\(rule.name)'", row: rows, value: cell)
                    }
                case .boolean:
                    if !["true", "false", "1", "0", "yes", "no"].contains(cell.lowercased()) {
                        record("\(rule.name).type", column: rule.name, "Not a boolean in '\(rule.name)'", row: rows, value: cell)
                    }
                case .timestamp:
                    guard let time = Self.timestamp(cell) else {
                        record("\(rule.name).type", column: rule.name, "Not a timestamp in '\(rule.name)'", row: rows, value: cell)
                        continue
                    }
                    columns[i].newest = max(columns[i].newest ?? time, time)
                }
            }
            if let allowed = rule.allowed, !allowed.contains(cell) {
                record("\(rule.name).allowed", column: rule.name, "A value '\(rule.name)' does not allow (allowed: \(allowed.joined(separator: ", ")))", row: rows, value: cell)
            }
            if rule.unique, !columns[i].seen.insert(cell).inserted {
                record("\(rule.name).unique", column: rule.name, "A repeated value in '\(rule.name)', which is unique", row: rows, value: cell)
            }
        }
        if let uniqueIndexes {
            let key = uniqueIndexes.map { $0 < cells.count ? cells[$0] : "" }
            if !uniqueKeys.insert(key).inserted {
                let name = schema.unique.joined(separator: "+")
                record("unique(\(schema.unique.joined(separator: ",")))", column: nil, "A repeated \(name)", row: rows, value: key.joined(separator: ", "))
            }
        }
    }

    /// The report, once every row is in.
    public mutating func finish(source: String) -> ValidationReport {
        for column in columns where column.index != nil {
            let rule = column.rule
            if let share = rule.maxNullShare, rows > 0, Double(column.nulls) / Double(rows) > share {
                record("\(rule.name).max_null_share", column: rule.name,
                       "\(column.nulls) of \(rows) values of '\(rule.name)' are null, more than the share \(Self.text(share)) allows", row: nil, value: nil, count: column.nulls)
            }
            if let within = rule.freshWithin {
                if let newest = column.newest {
                    if now - newest > within {
                        record("\(rule.name).fresh_within", column: rule.name,
                               "The newest '\(rule.name)' is \(Self.age(now - newest)) old, more than \(Self.age(within))", row: nil,
                               value: WallClock.rfc3339(milliseconds: newest))
                    }
                } else {
                    record("\(rule.name).fresh_within", column: rule.name, "'\(rule.name)' has no timestamp to tell how fresh the data is", row: nil, value: nil)
                }
            }
        }
        if let minimum = schema.minimumRows, rows < minimum {
            record("rows.min", column: nil, "\(rows) rows, fewer than the minimum \(minimum)", row: nil, value: nil, count: rows)
        }
        if let maximum = schema.maximumRows, rows > maximum {
            record("rows.max", column: nil, "\(rows) rows, more than the maximum \(maximum)", row: nil, value: nil, count: rows)
        }
        return ValidationReport(source: source, rows: rows, violations: order.map { violations[$0]! })
    }

    mutating func record(_ rule: String, column: String?, _ message: String, row: Int?, value: String?, count: Int? = nil) {
        if violations[rule] == nil {
            violations[rule] = ValidationReport.Violation(rule: rule, column: column, message: message, count: 0, samples: [])
            order.append(rule)
        }
        violations[rule]!.count += count ?? 1
        if let row, violations[rule]!.samples.count < Self.samplesPerRule {
            violations[rule]!.samples.append(.init(row: row, value: value ?? ""))
        }
    }

    /// A timestamp cell: RFC 3339, `YYYY-MM-DD[ HH:MM[:SS]]` as UTC, or seconds (or milliseconds, past 10^11) since the epoch.
    public static func timestamp(_ text: String) -> Int64? {
        if let number = Double(text) {
            let milliseconds = abs(number) >= 1e11 ? number : number * 1000
            // Beyond ±285,000 years is not a time (and would not fit).
            guard milliseconds.isFinite, abs(milliseconds) < 9e15 else { return nil }
            return Int64(milliseconds)
        }
        if let time = WallClock.milliseconds(rfc3339: text) { return time }
        var iso = text.replacingOccurrences(of: " ", with: "T")
        if iso.count == 10 { iso += "T00:00:00" }
        if iso.count == 16 { iso += ":00" }
        return WallClock.milliseconds(rfc3339: iso + "Z")
    }

    static func text(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    static func age(_ milliseconds: Int64) -> String {
        let minutes = milliseconds / 60_000
        if minutes < 120 { return "\(minutes) min" }
        if minutes < 48 * 60 { return "\(minutes / 60) h" }
        return "\(minutes / 1440) d"
    }
}

/// What checking a table found: every rule broken, with counts and sample rows.
public struct ValidationReport: Sendable, Equatable {
    public struct Sample: Sendable, Equatable {
        /// The data row's number, from 1 (the header is not counted).
        public var row: Int
        public var value: String
    }

    public struct Violation: Sendable, Equatable {
        /// `COLUMN.RULE` (`temperature.max`), `unique(a,b)` or `rows.min`.
        public var rule: String
        public var column: String?
        public var message: String
        /// Rows that broke it (for a table-wide rule, what it counted).
        public var count: Int
        public var samples: [Sample]
    }

    public var source: String
    public var rows: Int
    public var violations: [Violation]

    public var passed: Bool { violations.isEmpty }

    public var json: JSONValue {
        .object([
            ("source", .string(source)), ("rows", .int(Int64(rows))), ("passed", .bool(passed)),
            ("violations", .array(violations.map { violation in
                .object([
                    ("rule", .string(violation.rule)), ("column", violation.column.map { .string($0) } ?? .null),
                    ("message", .string(violation.message)), ("count", .int(Int64(violation.count))),
                    ("samples", .array(violation.samples.map { .object([("row", .int(Int64($0.row))), ("value", .string($0.value))]) })),
                ])
            })),
        ])
    }

    /// The report as a person reads it.
    public var text: String {
        var lines = ["\(source): \(rows) rows, " + (passed ? "every rule kept" : "\(violations.count) rule\(violations.count == 1 ? "" : "s") broken")]
        for violation in violations {
            let samples = violation.samples.map { "row \($0.row)" + ($0.value.isEmpty ? "" : " '\($0.value.prefix(40))'") }
            // Rules of the whole table say their count in their message; a row's rule says how many rows broke it.
            lines.append("  \(violation.rule): \(violation.message)"
                + (samples.isEmpty ? "" : " (\(violation.count) row\(violation.count == 1 ? "" : "s")): " + samples.joined(separator: ", ")))
        }
        return lines.joined(separator: "\n")
    }
}
