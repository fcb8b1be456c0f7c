/// The policy as JSON, the same shape in the store, the API and policy files:
/// `{"model": "churn", "metric": "test_mae", "source": "run", "direction": "lower", "min_improvement": 0.05,
///   "improvement": "relative", "lookback_days": 7, "required_tags": {"validated": "true"},
///   "require_finished_run": true, "mode": "auto"}`; an evaluation policy has `"source": "evaluation",
/// "dataset": "holdout"` (or `"holdout@2"` to pin a version) and a standard metric such as `"rmse"`.
extension PromotionPolicy {
    public var json: JSONValue {
        let (kind, amount): (String, Double) = switch minimumImprovement {
        case .relative(let x): ("relative", x)
        case .absolute(let x): ("absolute", x)
        }
        var sourceFields: [(String, JSONValue)] = [("source", .string("run"))]
        if case .evaluation(let dataset, let version) = source {
            sourceFields = [("source", .string("evaluation")), ("dataset", .string(dataset + (version.map { "@\($0)" } ?? "")))]
        }
        return .object([("model", .string(modelName)), ("metric", .string(metric))] + sourceFields + [
            ("direction", .string(direction.rawValue)),
            ("min_improvement", .number(amount)), ("improvement", .string(kind)),
            ("lookback_days", .number(Double(lookbackMilliseconds) / Double(Self.day))),
            ("required_tags", .object(requiredTags.map { ($0.key, .string($0.value)) })),
            ("require_finished_run", .bool(requireFinishedRun)), ("mode", .string(mode.rawValue)),
        ])
    }

    /// Reads a policy; absent fields take their defaults, `model` may come from the URL instead.
    /// - Throws: INVALID_PARAMETER_VALUE naming the field that is wrong.
    public init(json: JSONValue, model: String? = nil) throws(SlipwayError) {
        guard case .object(let members) = json else { throw .invalidParameter("A promotion policy must be a JSON object") }
        let known: Set<String> = ["model", "metric", "source", "dataset", "direction", "min_improvement", "improvement", "lookback_days", "required_tags", "require_finished_run", "mode"]
        if let unknown = members.map(\.0).first(where: { !known.contains($0) }) {
            throw .invalidParameter("Unknown policy field '\(unknown)'; fields are \(known.sorted().joined(separator: ", "))")
        }
        func string(_ key: String) throws(SlipwayError) -> String? {
            guard let value = json[key], value != .null else { return nil }
            guard let text = value.stringValue else { throw .invalidParameter("Policy field '\(key)' must be a string") }
            return text
        }
        func number(_ key: String) throws(SlipwayError) -> Double? {
            guard let value = json[key], value != .null else { return nil }
            guard case .number(let x) = value else { throw .invalidParameter("Policy field '\(key)' must be a number") }
            return x
        }
        let named = try string("model")
        guard let name = model ?? named else { throw .invalidParameter("Policy field 'model' is required") }
        if let given = named, given != name {
            throw .invalidParameter("The policy names model '\(given)' but is set for '\(name)'")
        }
        guard let metric = try string("metric") else { throw .invalidParameter("Policy field 'metric' is required") }
        var source = Source.runMetric
        switch try string("source") ?? (json["dataset"] == nil ? "run" : "evaluation") {
        case "run":
            guard json["dataset"] == nil || json["dataset"] == .null else { throw .invalidParameter("Policy field 'dataset' goes with \"source\": \"evaluation\"") }
        case "evaluation":
            guard let reference = try string("dataset") else { throw .invalidParameter("An evaluation policy needs 'dataset' (NAME or NAME@VERSION)") }
            let (dataset, version) = try EvaluationDataset.parseReference(reference)
            source = .evaluation(dataset: dataset, version: version)
        case let other:
            throw .invalidParameter("Policy field 'source' must be 'run' or 'evaluation', got '\(other)'")
        }
        var direction: Direction?
        if let text = try string("direction") {
            guard let parsed = Direction(rawValue: text.lowercased()) else { throw .invalidParameter("Policy field 'direction' must be 'lower' or 'higher', got '\(text)'") }
            direction = parsed
        }
        let amount = try number("min_improvement") ?? 0.05
        let improvement: Improvement
        switch try string("improvement") ?? "relative" {
        case "relative": improvement = .relative(amount)
        case "absolute": improvement = .absolute(amount)
        case let other: throw .invalidParameter("Policy field 'improvement' must be 'relative' or 'absolute', got '\(other)'")
        }
        let days = try number("lookback_days") ?? 7
        guard days.isFinite, days > 0, days <= 36_500 else { throw .invalidParameter("Policy field 'lookback_days' must be between 0 and 36500 days") }
        var tags: [KeyValue] = []
        if let value = json["required_tags"], value != .null {
            guard case .object(let pairs) = value else { throw .invalidParameter("Policy field 'required_tags' must be an object of strings") }
            for (key, tagValue) in pairs {
                guard let text = tagValue.stringValue else { throw .invalidParameter("Required tag '\(key)' must have a string value") }
                tags.append(KeyValue(key: key, value: text))
            }
        }
        var finished = true
        if let value = json["require_finished_run"], value != .null {
            guard case .bool(let flag) = value else { throw .invalidParameter("Policy field 'require_finished_run' must be true or false") }
            finished = flag
        }
        var mode = Mode.auto
        if let text = try string("mode") {
            guard let parsed = Mode(rawValue: text.lowercased()) else { throw .invalidParameter("Policy field 'mode' must be 'auto' or 'approval', got '\(text)'") }
            mode = parsed
        }
        self.init(
            modelName: name, metric: metric, source: source, direction: direction, minimumImprovement: improvement,
            lookbackMilliseconds: Int64((days * Double(Self.day)).rounded()), requiredTags: tags, requireFinishedRun: finished, mode: mode)
        try validate()
    }
}
