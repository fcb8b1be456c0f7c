public import CoreMetrics
import SlipwayCore
import SlipwayJobs

/// Monitoring's gauges, set each time the server computes drift or realized performance, so that
/// Prometheus alert rules can watch them (docs/monitoring.md has examples).
public struct MonitoringMetrics: Sendable {
    public static let help: [String: String] = [
        "slipway_drift_share": "Share of drifted columns in a model's latest drift result.",
        "slipway_feature_drift": "1 when the column drifted in the model's latest drift result, else 0.",
        "slipway_realized_metric": "A version's realized metric over the latest window computed.",
        "slipway_actuals_coverage": "Share of a version's predictions in the latest window that have an actual.",
    ]

    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func record(_ report: ModelDriftReport) {
        Gauge(label: "slipway_drift_share", dimensions: [("model", report.model)], factory: factory).record(report.drift.share)
        for column in report.drift.columns where column.score != nil {
            Gauge(label: "slipway_feature_drift", dimensions: [("model", report.model), ("feature", column.column)], factory: factory)
                .record(column.drifted ? 1 : 0)
        }
    }

    /// The newest window of each version.
    func record(_ report: PerformanceReport) {
        var newest: [Int: PerformancePoint] = [:]
        for point in report.points.map(\.performance) where (newest[point.version]?.start ?? .min) < point.start { newest[point.version] = point }
        for (version, point) in newest {
            let dimensions = [("model", report.model), ("version", String(version))]
            if let value = point.value, value.isFinite {
                Gauge(label: "slipway_realized_metric", dimensions: dimensions + [("metric", report.metric)], factory: factory).record(value)
            }
            if point.predictions > 0 {
                Gauge(label: "slipway_actuals_coverage", dimensions: dimensions, factory: factory).record(Double(point.labeled) / Double(point.predictions))
            }
        }
    }
}
