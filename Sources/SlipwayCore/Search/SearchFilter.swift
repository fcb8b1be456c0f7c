/// What a search filter compares against: MLflow's `metrics.`, `params.`, `tags.`, `attributes.`
/// and `datasets.` prefixes (with their singular and short spellings).
public enum FilterEntity: String, Sendable, Hashable {
    case metric
    case param
    case tag
    case attribute
    case dataset

    /// Maps a prefix as users write it (`metrics`, `param`, `tag`, `attr`, `run`, ...) to an entity.
    public init?(prefix: String) {
        switch prefix.lowercased() {
        case "metric", "metrics": self = .metric
        case "param", "params", "parameter", "parameters": self = .param
        case "tag", "tags": self = .tag
        case "attribute", "attributes", "attr", "run": self = .attribute
        case "dataset", "datasets": self = .dataset
        default: return nil
        }
    }
}

/// A comparison operator of the filter grammar.
public enum Comparator: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case like = "LIKE"
    case ilike = "ILIKE"
    case `in` = "IN"
    case notIn = "NOT IN"

    /// The comparators that compare numbers.
    public static let numeric: Set<Comparator> = [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual]
    /// The comparators that compare strings.
    public static let string: Set<Comparator> = [.equal, .notEqual, .like, .ilike, .in, .notIn]
}

/// The right-hand side of a comparison.
public enum FilterValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case list([String])
}

/// One `entity.key op value` comparison.
public struct FilterComparison: Sendable, Hashable {
    public var entity: FilterEntity
    public var key: String
    public var comparator: Comparator
    public var value: FilterValue

    public init(entity: FilterEntity, key: String, comparator: Comparator, value: FilterValue) {
        self.entity = entity
        self.key = key
        self.comparator = comparator
        self.value = value
    }
}

/// A parsed filter: comparisons combined with AND, OR and parentheses.
///
/// MLflow's grammar only has AND; Slipway also accepts OR and parentheses (AND binds tighter).
public indirect enum FilterExpression: Sendable, Hashable {
    case comparison(FilterComparison)
    case and([FilterExpression])
    case or([FilterExpression])

    /// Every comparison in the expression, in order.
    public var comparisons: [FilterComparison] {
        switch self {
        case .comparison(let c): return [c]
        case .and(let parts), .or(let parts): return parts.flatMap(\.comparisons)
        }
    }
}

/// One `ORDER BY` term: `metrics.test_mae ASC`, `start_time DESC`, `name`.
public struct OrderTerm: Sendable, Hashable {
    public var entity: FilterEntity
    public var key: String
    public var ascending: Bool

    public init(entity: FilterEntity, key: String, ascending: Bool) {
        self.entity = entity
        self.key = key
        self.ascending = ascending
    }
}

extension FilterValue {
    /// The value as text (a number's decimal form, a list's items joined by commas).
    public var text: String {
        switch self {
        case .string(let s): return s
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .list(let items): return items.joined(separator: ",")
        }
    }
}
