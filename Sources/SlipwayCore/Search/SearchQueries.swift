/// A run search: experiments, filter, order and paging, validated against the run grammar.
public struct RunSearch: Sendable {
    public var experimentIDs: [String]
    public var filter: FilterExpression?
    public var viewType: ViewType
    public var maxResults: Int
    public var orderBy: [OrderTerm]
    public var pageToken: String?

    /// Run attributes a filter or order may name, and the kind of value each holds.
    public static let stringAttributes: Set<String> = ["run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage"]
    public static let numericAttributes: Set<String> = ["start_time", "end_time", "created"]

    /// Parses and validates the filter and order-by texts a client sent.
    public init(
        experimentIDs: [String], filter: String?, viewType: ViewType = .activeOnly, maxResults: Int = 1000,
        orderBy: [String] = [], pageToken: String? = nil
    ) throws(SlipwayError) {
        guard maxResults > 0, maxResults <= 50_000 else {
            throw .invalidParameter("Invalid value \(maxResults) for parameter 'max_results' supplied. It must be at most 50000, but got value \(maxResults)")
        }
        let parser = FilterParser()
        self.experimentIDs = experimentIDs
        self.filter = try parser.parse(filter ?? "")
        self.viewType = viewType
        self.maxResults = maxResults
        self.orderBy = try orderBy.map { clause throws(SlipwayError) in try parser.parseOrderBy(clause) }
        self.pageToken = pageToken
        for comparison in self.filter?.comparisons ?? [] { try Self.validate(comparison) }
        for term in self.orderBy { try Self.validate(term) }
    }

    static func validate(_ c: FilterComparison) throws(SlipwayError) {
        switch c.entity {
        case .metric:
            guard Comparator.numeric.contains(c.comparator) else {
                throw .invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '<=', '=', '>', '<', '>='}'")
            }
            guard case .number = c.value else { throw .invalidParameter("Expected numeric value type for metric. Found \(c.value)") }
        case .param, .tag:
            guard Comparator.string.contains(c.comparator) else {
                throw .invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'")
            }
            if case .number = c.value { throw .invalidParameter("Expected a quoted string value for \(c.entity.rawValue) '\(c.key)'") }
        case .attribute:
            let key = c.key
            if numericAttributes.contains(key) {
                guard Comparator.numeric.contains(c.comparator) else {
                    throw .invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '<=', '=', '>', '<', '>='}'")
                }
                guard case .number = c.value else { throw .invalidParameter("Expected numeric value type for attribute '\(key)'") }
            } else if stringAttributes.contains(key) {
                guard Comparator.string.contains(c.comparator) else {
                    throw .invalidParameter("Invalid comparator '\(c.comparator.rawValue)' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'")
                }
                if case .number = c.value { throw .invalidParameter("Expected a quoted string value for attribute '\(key)'") }
            } else {
                throw .invalidParameter("Invalid attribute key '\(key)' specified. Valid keys are '\(["run_id", "run_name", "status", "user_id", "artifact_uri", "start_time", "end_time", "created"])'")
            }
        case .dataset:
            guard ["name", "digest", "context"].contains(c.key) else {
                throw .invalidParameter("Invalid dataset key '\(c.key)'. Valid keys are name, digest and context")
            }
            guard Comparator.string.contains(c.comparator) else {
                throw .invalidParameter("Invalid comparator '\(c.comparator.rawValue)' for dataset")
            }
        }
    }

    static func validate(_ term: OrderTerm) throws(SlipwayError) {
        switch term.entity {
        case .metric, .param, .tag: return
        case .attribute:
            guard stringAttributes.contains(term.key) || numericAttributes.contains(term.key) else {
                throw .invalidParameter("Invalid order_by attribute key '\(term.key)'")
            }
        case .dataset:
            throw .invalidParameter("Ordering by dataset is not supported")
        }
    }
}

/// A search over one of the registry's or tracking's simpler entities (experiments, registered
/// models, model versions, logged models): a filter limited to the entity's attributes, order and
/// paging. The attribute sets live here, so a store can map every validated name onto a column.
public struct EntitySearch: Sendable {
    /// What is searched, and so which attributes a filter or order may name.
    public enum Kind: Sendable {
        case experiments
        case registeredModels
        case modelVersions
        case loggedModels

        public var attributes: Set<String> {
            switch self {
            case .experiments: return ["name", "experiment_id", "id", "creation_time", "last_update_time", "lifecycle_stage"]
            case .registeredModels: return ["name", "creation_timestamp", "last_updated_timestamp", "timestamp"]
            case .modelVersions:
                return ["name", "version_number", "version", "run_id", "source_path", "source", "current_stage",
                        "creation_timestamp", "last_updated_timestamp", "timestamp", "model_id"]
            case .loggedModels:
                return ["model_id", "name", "status", "model_type", "source_run_id", "creation_timestamp", "creation_time",
                        "last_updated_timestamp", "experiment_id"]
            }
        }

        /// Logged models also filter on `metrics.` and `params.`.
        var allowsMetricsAndParams: Bool { self == .loggedModels }

        /// The largest page MLflow allows for this kind.
        public var maxResultsLimit: Int {
            switch self {
            case .registeredModels: return 1000
            case .modelVersions: return 200_000
            case .experiments, .loggedModels: return 50_000
            }
        }
    }

    public var kind: Kind
    public var filter: FilterExpression?
    public var maxResults: Int
    public var orderBy: [OrderTerm]
    public var pageToken: String?

    /// Parses and validates a filter and order against the kind's attributes.
    public init(_ kind: Kind, filter: String?, maxResults: Int, orderBy: [String] = [], pageToken: String? = nil) throws(SlipwayError) {
        guard maxResults > 0, maxResults <= kind.maxResultsLimit else {
            throw .invalidParameter("Invalid value \(maxResults) for parameter 'max_results' supplied. It must be a positive integer at most \(kind.maxResultsLimit)")
        }
        let parser = FilterParser()
        self.kind = kind
        self.filter = try parser.parse(filter ?? "")
        self.maxResults = maxResults
        self.orderBy = try orderBy.map { clause throws(SlipwayError) in try parser.parseOrderBy(clause) }
        self.pageToken = pageToken
        let attributes = kind.attributes
        for c in self.filter?.comparisons ?? [] {
            switch c.entity {
            case .attribute:
                guard attributes.contains(c.key) else {
                    throw .invalidParameter("Invalid attribute key '\(c.key)' specified. Valid keys are '\(attributes.sorted())'")
                }
            case .tag: break
            case .metric where kind.allowsMetricsAndParams:
                guard case .number = c.value else { throw .invalidParameter("Expected numeric value type for metric") }
            case .param where kind.allowsMetricsAndParams: break
            default:
                throw .invalidParameter("Invalid entity type '\(c.entity.rawValue)' in this filter")
            }
            if case .number = c.value, c.entity == .tag || c.entity == .param {
                throw .invalidParameter("Expected a quoted string value for \(c.entity.rawValue) '\(c.key)'")
            }
        }
        for term in self.orderBy {
            if term.entity == .attribute, attributes.contains(term.key) { continue }
            if kind.allowsMetricsAndParams, term.entity == .metric { continue }
            throw .invalidParameter("Invalid order_by clause: '\(term.key)' is not a valid attribute")
        }
    }
}
