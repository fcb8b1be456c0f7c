public import SlipwayCore

/// A model's realized performance over time: one point per window and version, each set beside
/// the version's own evaluation of the same metric on its held-out dataset, when there is one.
public struct PerformanceReport: Sendable {
    public struct Point: Sendable {
        public var performance: PerformancePoint
        /// The version's latest evaluation that has this metric.
        public var evaluation: (dataset: String, datasetVersion: Int, value: Double)?
    }

    public var model: String
    public var metric: String
    public var window: String
    public var since: Int64
    public var until: Int64
    public var points: [Point]

    /// The report as `GET /api/v1/models/{name}/performance` answers it.
    public var json: JSONValue {
        .object([
            ("model", .string(model)), ("metric", .string(metric)), ("window", .string(window)), ("since", .int(since)), ("until", .int(until)),
            ("points", .array(points.map { point in
                let p = point.performance
                return .object([
                    ("start", .int(p.start)), ("end", .int(p.end)), ("version", .string(String(p.version))),
                    ("predictions", .int(Int64(p.predictions))), ("labeled", .int(Int64(p.labeled))),
                    ("value", p.value.flatMap { $0.isFinite ? JSONValue.number($0) : nil } ?? .null),
                    ("evaluation", point.evaluation.map { e in
                        .object([("dataset", .string(e.dataset)), ("dataset_version", .string(String(e.datasetVersion))), ("value", .number(e.value))])
                    } ?? .null),
                ])
            })),
        ])
    }
}

/// Realized performance from the prediction record and the actuals.
public struct PerformanceMonitor: Sendable {
    let actuals: any ActualsStore
    let evaluations: any EvaluationStore

    public init(actuals: any ActualsStore, evaluations: any EvaluationStore) {
        self.actuals = actuals
        self.evaluations = evaluations
    }

    /// - Throws: INVALID_PARAMETER_VALUE for an unknown metric, a bad window, or `until` not after `since`.
    public func report(model: String, metric: String, window: String, since: Int64, until: Int64, version: Int?) async throws -> PerformanceReport {
        let length = try RealizedPerformance.window(window)
        guard until > since else { throw SlipwayError.invalidParameter("'until' must be after 'since'") }
        let rows = try await actuals.labeled(model: model, since: since, until: until, version: version)
        let points = try RealizedPerformance.points(rows, metric: metric, window: length)
        var held: [Int: (dataset: String, datasetVersion: Int, value: Double)?] = [:]
        var report: [PerformanceReport.Point] = []
        for point in points {
            if held[point.version] == nil {
                let evaluations = try await self.evaluations.listEvaluations(model: model, version: point.version)
                held[point.version] = evaluations.sorted { $0.createdAt > $1.createdAt }.lazy.compactMap { e -> (String, Int, Double)? in
                    guard let value = e.metrics.first(where: { $0.key == metric }).flatMap({ Double($0.value) }) else { return nil }
                    return (e.dataset, e.datasetVersion, value)
                }.first
            }
            report.append(PerformanceReport.Point(performance: point, evaluation: held[point.version] ?? nil))
        }
        return PerformanceReport(model: model, metric: metric, window: window, since: since, until: until, points: report)
    }
}
