/// How a registered model's production version is chosen: which metric decides, in which
/// direction, by how much a candidate must beat the champion, which versions are candidates, and
/// whether the move happens by itself or waits for a person.
public struct PromotionPolicy: Sendable, Hashable {
    public enum Direction: String, Sendable, CaseIterable {
        case lower, higher
    }

    /// By how much a candidate must beat the champion.
    public enum Improvement: Sendable, Hashable, CustomStringConvertible {
        /// A fraction of the champion's value: 0.05 is 5%.
        case relative(Double)
        case absolute(Double)

        public var description: String {
            switch self {
            case .relative(let fraction): return "\(PromotionPolicy.format(fraction * 100))%"
            case .absolute(let amount): return PromotionPolicy.format(amount)
            }
        }
    }

    public enum Mode: String, Sendable, CaseIterable {
        /// The decision is applied at once.
        case auto
        /// A winning candidate is staged and waits for `slipway approve`.
        case approval
    }

    /// Where a version's value of the metric comes from.
    public enum Source: Sendable, Hashable {
        /// The latest value the version's run logged (like the seeds' `test_mae`).
        case runMetric
        /// A standardized evaluation on a dataset: its newest version when the decision is made, or
        /// a pinned one. Champion and candidates are compared on the same dataset version; versions
        /// not evaluated on it yet are evaluated first.
        case evaluation(dataset: String, version: Int?)
    }

    public var modelName: String
    /// The metric that decides: a run metric's key, or a standard metric's name for evaluations.
    public var metric: String
    public var source: Source
    public var direction: Direction
    public var minimumImprovement: Improvement
    /// Only versions registered within this window are candidates.
    public var lookbackMilliseconds: Int64
    /// Tags a candidate must carry (on the version or on its run), all of them.
    public var requiredTags: [KeyValue]
    /// Only versions whose run finished successfully are candidates.
    public var requireFinishedRun: Bool
    public var mode: Mode

    public static let day: Int64 = 86_400_000

    public init(
        modelName: String, metric: String, source: Source = .runMetric, direction: Direction? = nil, minimumImprovement: Improvement = .relative(0.05),
        lookbackMilliseconds: Int64 = 7 * day, requiredTags: [KeyValue] = [], requireFinishedRun: Bool = true, mode: Mode = .auto
    ) {
        self.modelName = modelName
        self.metric = metric
        self.source = source
        self.direction = direction ?? Self.defaultDirection(for: metric)
        self.minimumImprovement = minimumImprovement
        self.lookbackMilliseconds = lookbackMilliseconds
        self.requiredTags = requiredTags
        self.requireFinishedRun = requireFinishedRun
        self.mode = mode
    }

    /// Errors and losses go down, scores go up: `test_mae`, `rmse`, `log_loss`, `mape` are lower-is-better;
    /// `accuracy`, `r2`, `roc_auc`, `f1` higher. A name that says neither is lower-is-better only if it
    /// contains an error-like word, otherwise higher.
    public static func defaultDirection(for metric: String) -> Direction {
        let name = metric.lowercased()
        let lowerWords = ["mae", "mse", "rmse", "mape", "loss", "error", "err", "deviance", "latency", "brier", "logloss"]
        let words = name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        return words.contains(where: { lowerWords.contains($0) }) || lowerWords.contains(where: { name.hasSuffix($0) }) ? .lower : .higher
    }

    /// - Throws: INVALID_PARAMETER_VALUE for an empty metric, a negative or non-finite improvement, or a non-positive window.
    public func validate() throws(SlipwayError) {
        guard !modelName.isEmpty else { throw .invalidParameter("A promotion policy needs a registered model name") }
        guard !metric.isEmpty, metric.utf8.count <= 250 else { throw .invalidParameter("A promotion policy needs a metric name (at most 250 bytes)") }
        switch minimumImprovement {
        case .relative(let x), .absolute(let x):
            guard x.isFinite, x >= 0 else { throw .invalidParameter("The minimum improvement must be a finite number >= 0, got \(x)") }
        }
        guard lookbackMilliseconds > 0 else { throw .invalidParameter("The lookback window must be positive") }
        if case .evaluation(let dataset, _) = source {
            try EvaluationDataset.validateName(dataset)
            guard Self.evaluationMetrics.contains(metric) else {
                throw .invalidParameter("An evaluation policy decides by a standard metric (\(Self.evaluationMetrics.joined(separator: ", "))), not '\(metric)'")
            }
        }
    }

    /// What `EvaluationMetrics` computes.
    public static let evaluationMetrics = ["mae", "rmse", "r2", "mape", "accuracy", "precision", "recall", "f1", "log_loss", "roc_auc"]

    /// Numbers as people write them: `0.05`, `5`, `1e-06`.
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
