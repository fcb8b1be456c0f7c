/// A prediction row with its actual, if one arrived: `outputs` holds one value (a regression, or
/// the probability of class 1) or one probability per class.
public struct LabeledPrediction: Sendable, Hashable {
    public var version: Int
    /// Milliseconds since the epoch.
    public var at: Int64
    public var outputs: [Double]
    public var actual: Double?

    public init(version: Int, at: Int64, outputs: [Double], actual: Double?) {
        self.version = version
        self.at = at
        self.outputs = outputs
        self.actual = actual
    }
}

/// One version's realized performance over one window: how many predictions it made, how many of
/// them have an actual, and the metric on those (`nil` when no row is labeled, or the metric is
/// undefined on them, as ROC AUC with a single class).
public struct PerformancePoint: Sendable, Hashable {
    public var start: Int64
    public var end: Int64
    public var version: Int
    public var predictions: Int
    public var labeled: Int
    public var value: Double?
}

/// Realized performance: predictions joined to actuals, per version and time window, scored with
/// the evaluation's own metric implementation (`EvaluationMetrics`), so that a version's live
/// figure and its held-out figure are the same computation.
public enum RealizedPerformance {
    public static let regressionMetrics = ["mae", "rmse", "r2", "mape"]
    public static let classificationMetrics = ["accuracy", "precision", "recall", "f1", "log_loss", "roc_auc"]

    /// A window length (`30m`, `1h`, `1d`; at most 100 years) in milliseconds.
    public static func window(_ text: String) throws(SlipwayError) -> Int64 {
        if let length = TimeBound.length(text) { return length }
        throw .invalidParameter("'window' must be a length such as 15m, 1h or 1d, got '\(text)'")
    }

    /// The points of `metric` over `rows`, by window (aligned to multiples of `window` since the
    /// epoch) then version, oldest first.
    public static func points(_ rows: [LabeledPrediction], metric: String, window: Int64) throws(SlipwayError) -> [PerformancePoint] {
        try check(metric: metric)
        var groups: [Key: [LabeledPrediction]] = [:]
        for row in rows {
            let start = row.at >= 0 ? row.at / window * window : ((row.at + 1) / window - 1) * window
            groups[Key(start: start, version: row.version), default: []].append(row)
        }
        var points: [PerformancePoint] = []
        for (key, group) in groups.sorted(by: { ($0.key.start, $0.key.version) < ($1.key.start, $1.key.version) }) {
            let labeled = group.filter { $0.actual != nil }
            points.append(PerformancePoint(
                start: key.start, end: key.start + window, version: key.version, predictions: group.count, labeled: labeled.count,
                value: try value(metric, outputs: labeled.map(\.outputs), actuals: labeled.map { $0.actual! })))
        }
        return points
    }

    /// `metric` on these rows; `nil` for none, or where the metric is undefined.
    /// - Throws: INVALID_PARAMETER_VALUE for an unknown metric, or a classification metric on
    ///   actuals that are not class indices of the outputs.
    public static func value(_ metric: String, outputs: [[Double]], actuals: [Double]) throws(SlipwayError) -> Double? {
        try check(metric: metric)
        guard !actuals.isEmpty else { return nil }
        if regressionMetrics.contains(metric) {
            if metric == "r2" && actuals.count < 2 { return nil }  // as scikit-learn: undefined on one sample
            return EvaluationMetrics.regression(truth: actuals, predicted: outputs.map { $0.first ?? .nan }).first { $0.0 == metric }?.1
        }
        let classes = max(2, outputs.first?.count ?? 1)
        var labels: [Int] = []
        labels.reserveCapacity(actuals.count)
        for (actual, row) in zip(actuals, outputs) {
            guard actual == actual.rounded(), actual >= 0, actual < Double(classes), row.count == outputs[0].count else {
                throw .invalidParameter("'\(metric)' needs actuals that are class indices 0..<\(classes); got \(actual)")
            }
            labels.append(Int(actual))
        }
        let scores = outputs[0].count == 1
            ? EvaluationMetrics.binary(truth: labels, probability: outputs.map { $0[0] })
            : EvaluationMetrics.multiclass(truth: labels, probabilities: outputs.flatMap { $0 }, classes: classes)
        return scores.first { $0.0 == metric }?.1
    }

    static func check(metric: String) throws(SlipwayError) {
        guard regressionMetrics.contains(metric) || classificationMetrics.contains(metric) else {
            throw .invalidParameter("Unknown metric '\(metric)': use one of \((regressionMetrics + classificationMetrics).joined(separator: ", "))")
        }
    }

    private struct Key: Hashable {
        var start: Int64
        var version: Int
    }
}
