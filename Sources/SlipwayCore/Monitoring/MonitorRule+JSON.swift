/// A rule as JSON, the same shape in the store and the API:
/// `{"name": "churn-guard", "model": "churn", "reference": "holdout@1", "drift_share": 0.5,
///   "metric": "rmse", "max": 1.2, "min_labeled": 100, "min_rows": 100, "window": "1d", "on_breach": "rollback"}`.
extension MonitorRule {
    /// The rule's settings (what the store keeps as its spec); `created_at` and `updated_at` are the store's.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("name", .string(name)), ("model", .string(model))]
        if let driftShare {
            fields.append(("drift_share", .number(driftShare)))
            fields.append(("reference", reference.map(JSONValue.string) ?? .null))
        }
        if let metric {
            fields.append(("metric", .string(metric)))
            if let maximum { fields.append(("max", .number(maximum))) }
            if let minimum { fields.append(("min", .number(minimum))) }
        }
        fields += [
            ("min_labeled", .int(minLabeled)), ("min_rows", .int(minRows)), ("window", .string(window)), ("on_breach", .string(action.description)),
        ]
        return .object(fields)
    }

    /// Reads a rule; absent fields take their defaults, `name` and `model` may come from elsewhere
    /// (the URL, the command line).
    /// - Throws: INVALID_PARAMETER_VALUE naming the field that is wrong.
    public init(json: JSONValue, name: String? = nil, at time: Int64) throws(SlipwayError) {
        guard case .object(let members) = json else { throw .invalidParameter("A monitoring rule must be a JSON object") }
        let known: Set<String> = ["name", "model", "reference", "drift_share", "metric", "max", "min", "min_labeled", "min_rows", "window", "on_breach"]
        if let unknown = members.map(\.0).first(where: { !known.contains($0) }) {
            throw .invalidParameter("Unknown rule field '\(unknown)'; fields are \(known.sorted().joined(separator: ", "))")
        }
        func string(_ key: String) throws(SlipwayError) -> String? {
            guard let value = json[key], value != .null else { return nil }
            guard let text = value.stringValue else { throw .invalidParameter("Rule field '\(key)' must be a string") }
            return text
        }
        func number(_ key: String) throws(SlipwayError) -> Double? {
            guard let value = json[key], value != .null else { return nil }
            guard case .number(let x) = value else { throw .invalidParameter("Rule field '\(key)' must be a number") }
            return x
        }
        func count(_ key: String, default value: Int) throws(SlipwayError) -> Int {
            guard let x = try number(key) else { return value }
            guard x == x.rounded(), x >= 1, x <= 1e12 else { throw .invalidParameter("Rule field '\(key)' must be a whole number of at least 1") }
            return Int(x)
        }
        let named = try string("name")
        guard let ruleName = name ?? named else { throw .invalidParameter("Rule field 'name' is required") }
        if let named, named != ruleName { throw .invalidParameter("The rule is named '\(named)' but is set as '\(ruleName)'") }
        guard let model = try string("model") else { throw .invalidParameter("Rule field 'model' is required") }
        self.init(
            name: ruleName, model: model, reference: try string("reference"), driftShare: try number("drift_share"), metric: try string("metric"),
            maximum: try number("max"), minimum: try number("min"), minLabeled: try count("min_labeled", default: 100),
            minRows: try count("min_rows", default: 100), window: try string("window") ?? "1d",
            action: try Action(try string("on_breach") ?? "notify"), createdAt: time, updatedAt: time)
        try validate()
    }
}

extension MonitorRuleStatus {
    /// The rule with its state and last check, as the API lists it.
    public var json: JSONValue {
        guard case .object(var fields) = rule.json else { return .null }
        fields += [
            ("state", .string(state.rawValue)), ("state_since", stateSince.map(JSONValue.int) ?? .null),
            ("checked_at", checkedAt.map(JSONValue.int) ?? .null),
            ("last_check", lastCheck.flatMap { try? JSONParser.parse($0) } ?? .null),
            ("created_at", .int(rule.createdAt)), ("updated_at", .int(rule.updatedAt)),
        ]
        return .object(fields)
    }
}
