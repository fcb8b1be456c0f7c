public import CoreMetrics
public import SlipwayCore

/// The serving side's metrics, made through an injected swift-metrics factory (no global
/// `MetricsSystem`): rows and latency by model and version, which version is served, reloads by result.
public struct ServingMetrics: Sendable {
    /// Help text of every family this type makes, for exporters that print it.
    public static let help: [String: String] = [
        "slipway_predictions_total": "Rows predicted, by served model and version.",
        "slipway_prediction_requests_total": "Prediction requests answered, by served model and version.",
        "slipway_prediction_duration_seconds": "Time to read, predict and encode one prediction request, by model and version.",
        "slipway_served_model_info": "1 for the version each model serves now, with its alias and artifact digest.",
        "slipway_model_reloads_total": "Attempts to load a new version behind a served alias, by result (success or failure).",
        "slipway_model_reload_failing": "1 while the version behind a model's alias could not be loaded and an older one is served.",
    ]

    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Handles for one loaded version; its info series exists until `retire()`.
    func loaded(_ target: ServingTarget, version: Int, digest: String) -> VersionMetrics {
        VersionMetrics(target: target, version: String(version), digest: digest, factory: factory)
    }

    func reloaded(_ target: ServingTarget, succeeded: Bool) {
        Counter(label: "slipway_model_reloads_total", dimensions: [("model", target.name), ("result", succeeded ? "success" : "failure")], factory: factory)
            .increment()
        Gauge(label: "slipway_model_reload_failing", dimensions: [("model", target.name)], factory: factory).record(succeeded ? 0 : 1)
    }
}

/// One served version's counters, kept by its `ServedModel` so a request records without a lookup.
public final class VersionMetrics: Sendable {
    let rows: Counter
    let requests: Counter
    let latency: Timer
    let info: Gauge

    init(target: ServingTarget, version: String, digest: String, factory: any MetricsFactory) {
        let labels = [("model", target.name), ("version", version)]
        rows = Counter(label: "slipway_predictions_total", dimensions: labels, factory: factory)
        requests = Counter(label: "slipway_prediction_requests_total", dimensions: labels, factory: factory)
        latency = Timer(label: "slipway_prediction_duration_seconds", dimensions: labels, factory: factory)
        info = Gauge(
            label: "slipway_served_model_info",
            dimensions: [("model", target.name), ("alias", target.alias), ("version", version), ("digest", digest)], factory: factory)
        info.record(1)
    }

    /// Counts one answered request of `rows` rows that took `nanoseconds`.
    public func record(rows count: Int, nanoseconds: UInt64) {
        requests.increment()
        rows.increment(by: count)
        latency.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// Drops the info series once another version serves.
    func retire() {
        info.destroy()
    }
}
