import SlipwayCore
import SQLKit

/// Turns parsed filters into SQL conditions with binds. Each search supplies how one comparison
/// maps onto its tables; this type combines them with AND/OR and writes the comparator.
struct FilterSQL {
    /// Maps one comparison to a condition.
    let comparison: (FilterComparison) throws -> SQLQueryString

    func condition(_ expression: FilterExpression?) throws -> SQLQueryString {
        guard let expression else { return "1 = 1" }
        switch expression {
        case .comparison(let c): return try comparison(c)
        case .and(let parts): return try "(" + parts.map { try condition($0) }.joined(separator: " AND ") + ")"
        case .or(let parts): return try "(" + parts.map { try condition($0) }.joined(separator: " OR ") + ")"
        }
    }

    /// `column <op> value`, with LIKE case-sensitive and ILIKE case-insensitive on both backends.
    static func compare(_ column: String, _ comparator: Comparator, _ value: FilterValue) -> SQLQueryString {
        switch (comparator, value) {
        case (.in, .list(let items)), (.notIn, .list(let items)):
            let not = comparator == .notIn ? "NOT " : ""
            if items.isEmpty { return comparator == .in ? "1 = 0" : "1 = 1" }
            return "\(unsafeRaw: column) \(unsafeRaw: not)IN (\(binds: items))"
        case (.ilike, .string(let s)):
            return "LOWER(\(unsafeRaw: column)) LIKE LOWER(\(bind: s))"
        case (_, .number(let d)):
            return "\(unsafeRaw: column) \(unsafeRaw: comparator.rawValue) \(bind: d)"
        case (_, .string(let s)):
            return "\(unsafeRaw: column) \(unsafeRaw: comparator.rawValue) \(bind: s)"
        case (_, .list(let items)):
            return "\(unsafeRaw: column) IN (\(binds: items))"
        }
    }

    /// `EXISTS (SELECT 1 FROM table WHERE owner = outer AND key = ? AND value <op> ?)`.
    static func exists(
        table: String, ownerColumn: String, outer: String, key: String, valueColumn: String = "value",
        extra: String = "", _ comparator: Comparator, _ value: FilterValue
    ) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM \(unsafeRaw: table) x WHERE x.\(unsafeRaw: ownerColumn) = \(unsafeRaw: outer) AND x.key = \(bind: key)\(unsafeRaw: extra) AND "
            + compare("x.\(valueColumn)", comparator, value) + ")"
    }
}
