/// A monitoring rule: what a `monitor` job checks on a model's production version over a recent
/// window (the share of drifted columns against a reference, a realized metric against a bound),
/// and what it does when a check breaches (notify, roll production back, run another job). A
/// breach is reported once: the rule stays `breached` until a check that could see everything it
/// watches finds nothing wrong.
public struct MonitorRule: Sendable, Hashable {
    /// What a breach does beyond emitting its events.
    public enum Action: Sendable, Hashable, CustomStringConvertible {
        /// The events only (webhooks, Slack).
        case notify
        /// Production goes back to the version behind `previous`.
        case rollback
        /// Another job runs (a retraining or evaluation job).
        case job(String)

        /// `notify`, `rollback` or `job:NAME`.
        public init(_ text: String) throws(SlipwayError) {
            switch text {
            case "notify": self = .notify
            case "rollback": self = .rollback
            case _ where text.hasPrefix("job:") && text.count > 4: self = .job(String(text.dropFirst(4)))
            default: throw .invalidParameter("'on_breach' must be notify, rollback or job:NAME, got '\(text)'")
            }
        }

        public var description: String {
            switch self {
            case .notify: "notify"
            case .rollback: "rollback"
            case .job(let name): "job:\(name)"
            }
        }
    }

    public enum State: String, Sendable {
        case ok, breached
    }

    public var name: String
    public var model: String
    /// Drift: the reference, a dataset (NAME or NAME@VERSION) or a past window of the prediction log
    /// (`log:14d..7d`); `nil` takes the dataset the production version was last evaluated on.
    public var reference: String?
    /// Drift: the share of drifted columns (features and the prediction) that is a breach, as
    /// Evidently's dataset drift (share >= this); `nil` checks no drift.
    public var driftShare: Double?
    /// Performance: the realized metric (`rmse`, `accuracy`, ...) and its bounds; `nil` checks none.
    public var metric: String?
    /// Performance: a value above this is a breach (error metrics: rmse, mae, mape, log_loss).
    public var maximum: Double?
    /// Performance: a value below this is a breach (scores: r2, accuracy, f1, roc_auc, ...).
    public var minimum: Double?
    /// Performance: fewer labeled predictions in the window than this is too few to judge.
    public var minLabeled: Int
    /// Drift: fewer served rows in the window than this is too few to judge.
    public var minRows: Int
    /// How far back each check looks: `1h`, `1d`.
    public var window: String
    public var action: Action
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        name: String, model: String, reference: String? = nil, driftShare: Double? = nil, metric: String? = nil, maximum: Double? = nil,
        minimum: Double? = nil, minLabeled: Int = 100, minRows: Int = 100, window: String = "1d", action: Action = .notify, createdAt: Int64,
        updatedAt: Int64
    ) {
        self.name = name
        self.model = model
        self.reference = reference
        self.driftShare = driftShare
        self.metric = metric
        self.maximum = maximum
        self.minimum = minimum
        self.minLabeled = minLabeled
        self.minRows = minRows
        self.window = window
        self.action = action
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The window in milliseconds.
    public var windowMilliseconds: Int64 { (try? RealizedPerformance.window(window)) ?? 86_400_000 }

    /// The CloudEvents actor of what the rule does: `monitor:<rule>`.
    public var actor: String { "monitor:\(name)" }

    /// - Throws: INVALID_PARAMETER_VALUE naming what is wrong: a bad name or window, nothing to
    ///   check, a share outside (0, 1], an unknown metric or one without a bound.
    public func validate() throws(SlipwayError) {
        guard !name.isEmpty, name.utf8.count <= 200, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw .invalidParameter("Rule names use letters, digits, '-', '_' and '.' (at most 200), got '\(name)'")
        }
        guard !model.isEmpty else { throw .invalidParameter("A rule needs the registered model it watches") }
        _ = try RealizedPerformance.window(window)
        guard driftShare != nil || metric != nil else {
            throw .invalidParameter("A rule checks drift (drift_share), a realized metric (metric with max or min), or both")
        }
        if let driftShare, !(driftShare > 0 && driftShare <= 1) {
            throw .invalidParameter("'drift_share' is a share of columns in (0, 1], got \(driftShare)")
        }
        if reference != nil, driftShare == nil { throw .invalidParameter("'reference' is the drift reference: it goes with 'drift_share'") }
        if let reference {
            if reference.hasPrefix("log:") {
                guard reference.contains("..") else { throw .invalidParameter("A prediction log reference is log:SINCE..UNTIL (log:14d..7d), got '\(reference)'") }
            } else {
                _ = try EvaluationDataset.parseReference(reference)
            }
        }
        if let metric {
            try RealizedPerformance.check(metric: metric)
            guard maximum != nil || minimum != nil else { throw .invalidParameter("'metric' needs a bound: 'max' (rmse, mae, ...) or 'min' (accuracy, r2, ...)") }
            for bound in [maximum, minimum].compactMap({ $0 }) where !bound.isFinite {
                throw .invalidParameter("The bounds of '\(metric)' must be finite numbers")
            }
        } else if maximum != nil || minimum != nil {
            throw .invalidParameter("'max' and 'min' bound a realized metric: name it with 'metric'")
        }
        guard minLabeled >= 1, minRows >= 1 else { throw .invalidParameter("'min_labeled' and 'min_rows' must be at least 1") }
        if case .job(let job) = action, job.isEmpty { throw .invalidParameter("'on_breach' job:NAME needs the job's name") }
    }
}

/// A rule with where it stands: its state, since when, and the last check's result.
public struct MonitorRuleStatus: Sendable, Hashable {
    public var rule: MonitorRule
    public var state: MonitorRule.State
    /// When the rule last changed state (breached or cleared); `nil` if it never did.
    public var stateSince: Int64?
    public var checkedAt: Int64?
    /// The last check (`RuleCheck.json`), encoded.
    public var lastCheck: String?

    public init(rule: MonitorRule, state: MonitorRule.State, stateSince: Int64?, checkedAt: Int64?, lastCheck: String?) {
        self.rule = rule
        self.state = state
        self.stateSince = stateSince
        self.checkedAt = checkedAt
        self.lastCheck = lastCheck
    }
}
