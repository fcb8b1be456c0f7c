import Foundation

/// What one check of a monitoring rule found over its window: the drift and the realized metric
/// of the production version, what it could not see (gaps), what that means for the rule's state,
/// and what the breach did.
public struct RuleCheck: Sendable {
    public struct Drift: Sendable {
        public var reference: String
        public var share: Double
        public var threshold: Double
        public var columns: Int
        /// The drifted columns, in the report's order.
        public var driftedColumns: [String]
        public var rows: Int
        /// The stored drift report.
        public var reportID: String
        public var breached: Bool { share >= threshold }

        public init(reference: String, share: Double, threshold: Double, columns: Int, driftedColumns: [String], rows: Int, reportID: String) {
            self.reference = reference
            self.share = share
            self.threshold = threshold
            self.columns = columns
            self.driftedColumns = driftedColumns
            self.rows = rows
            self.reportID = reportID
        }
    }

    public struct Performance: Sendable {
        public var metric: String
        public var value: Double
        public var maximum: Double?
        public var minimum: Double?
        public var predictions: Int
        public var labeled: Int
        public var breached: Bool { maximum.map { value > $0 } == true || minimum.map { value < $0 } == true }

        public init(metric: String, value: Double, maximum: Double?, minimum: Double?, predictions: Int, labeled: Int) {
            self.metric = metric
            self.value = value
            self.maximum = maximum
            self.minimum = minimum
            self.predictions = predictions
            self.labeled = labeled
        }
    }

    /// What the check means for the rule.
    public enum Outcome: String, Sendable {
        /// Everything watched was seen and is within bounds.
        case ok
        /// A new breach: its events are emitted and its action performed.
        case breached
        /// Breached before and not cleared: reported already, nothing emitted.
        case stillBreached = "still_breached"
        /// Breached before; now everything watched was seen and is within bounds.
        case cleared
        /// Not breached, but something watched could not be seen (too little data).
        case inconclusive

        /// The outcome of a check that found `breached`, seeing everything or not, for a rule in `state`.
        public static func of(state: MonitorRule.State, breached: Bool, conclusive: Bool) -> Outcome {
            switch (state, breached) {
            case (.ok, true): .breached
            case (.ok, false): conclusive ? .ok : .inconclusive
            case (.breached, true): .stillBreached
            case (.breached, false): conclusive ? .cleared : .stillBreached
            }
        }

        /// The state the rule is in after it.
        public func state(from state: MonitorRule.State) -> MonitorRule.State {
            switch self {
            case .breached, .stillBreached: .breached
            case .ok, .cleared: .ok
            case .inconclusive: state
            }
        }
    }

    public var rule: String
    public var model: String
    /// The production version checked; `nil` when there is none.
    public var version: Int?
    public var at: Int64
    public var since: Int64
    public var until: Int64
    public var drift: Drift?
    public var performance: Performance?
    /// What the check could not see, and why.
    public var gaps: [String]
    public var outcome: Outcome
    /// What the breach did: "rolled back to v1 (record ...)", "ran job retrain: succeeded", ...
    public var action: String?
    /// Whether the action failed (the breach is reported all the same).
    public var actionFailed: Bool

    public init(rule: String, model: String, version: Int?, at: Int64, since: Int64, until: Int64) {
        self.rule = rule
        self.model = model
        self.version = version
        self.at = at
        self.since = since
        self.until = until
        self.drift = nil
        self.performance = nil
        self.gaps = []
        self.outcome = .inconclusive
        self.action = nil
        self.actionFailed = false
    }

    public var breached: Bool { drift?.breached == true || performance?.breached == true }
    public var conclusive: Bool { gaps.isEmpty }

    /// One line: the outcome, what was found, the gaps and the action.
    public var summary: String {
        var parts: [String] = []
        if let drift {
            let named = drift.driftedColumns.isEmpty ? "" : ": " + drift.driftedColumns.prefix(8).joined(separator: ", ") + (drift.driftedColumns.count > 8 ? ", ..." : "")
            parts.append("drift share \(Self.number(drift.share)) \(drift.breached ? ">=" : "<") \(Self.number(drift.threshold)) "
                + "(\(drift.driftedColumns.count) of \(drift.columns) columns drifted\(named); \(drift.rows) rows against \(drift.reference))")
        }
        if let p = performance {
            let bound = p.maximum.map { "\(p.value > $0 ? ">" : "<=") max \(Self.number($0))" } ?? p.minimum.map { "\(p.value < $0 ? "<" : ">=") min \(Self.number($0))" } ?? ""
            parts.append("\(p.metric) \(Self.number(p.value)) \(bound) on \(p.labeled) labeled of \(p.predictions) predictions")
        }
        parts += gaps
        var line = "\(outcome.rawValue)" + (version.map { " (\(model) v\($0))" } ?? " (\(model))") + ": " + parts.joined(separator: "; ")
        if let action { line += "; " + action }
        return line
    }

    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("rule", .string(rule)), ("model", .string(model)), ("version", version.map { .string(String($0)) } ?? .null),
            ("at", .int(at)), ("since", .int(since)), ("until", .int(until)), ("outcome", .string(outcome.rawValue)), ("breached", .bool(breached)),
        ]
        if let drift {
            fields.append(("drift", .object([
                ("reference", .string(drift.reference)), ("share", .number(drift.share)), ("threshold", .number(drift.threshold)),
                ("columns", .int(drift.columns)), ("drifted_columns", .array(drift.driftedColumns.map { .string($0) })), ("rows", .int(drift.rows)),
                ("report_id", .string(drift.reportID)), ("breached", .bool(drift.breached)),
            ])))
        }
        if let p = performance {
            fields.append(("performance", .object([
                ("metric", .string(p.metric)), ("value", .number(p.value)), ("max", p.maximum.map(JSONValue.number) ?? .null),
                ("min", p.minimum.map(JSONValue.number) ?? .null), ("predictions", .int(p.predictions)), ("labeled", .int(p.labeled)),
                ("breached", .bool(p.breached)),
            ])))
        }
        fields.append(("gaps", .array(gaps.map { .string($0) })))
        if let action {
            fields.append(("action", .string(action)))
            fields.append(("action_failed", .bool(actionFailed)))
        }
        return .object(fields)
    }

    static func number(_ x: Double) -> String {
        String(format: "%.4g", x)
    }
}
