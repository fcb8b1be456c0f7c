public import CoreMetrics
public import Prometheus
import Hummingbird
import SlipwayServing

/// A swift-metrics factory whose handlers land in one Prometheus registry, each family with its
/// help text (promtool wants one), latencies in the buckets below. Made per server and injected:
/// nothing is bootstrapped globally, so several servers in one process keep separate metrics.
public struct PrometheusFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry
    let help: [String: String]

    /// Latency buckets for every timer: 50 µs to 10 s, fine where predictions live.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), help: [String: String]) {
        self.registry = registry
        self.help = help
    }

    /// A factory that knows the help text of every family a Slipway server makes.
    public static func forServer() -> PrometheusFactory {
        PrometheusFactory(help: ServingMetrics.help.merging(HTTPMetricsMiddleware<BasicRequestContext>.help) { first, _ in first }
            .merging(PredictionLog.help) { first, _ in first }.merging(MonitoringMetrics.help) { first, _ in first })
    }

    /// The exposition text `/metrics` serves.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "") }
        return registry.makeValueHistogram(name: label, labels: dimensions, buckets: [0.001, 0.01, 0.1, 1, 10, 100, 1000], help: help[label] ?? "")
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(name: label, labels: dimensions, buckets: Self.durationBuckets, help: help[label] ?? "")
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
