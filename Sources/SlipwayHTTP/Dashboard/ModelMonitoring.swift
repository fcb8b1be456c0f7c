import Foundation
import SlipwayCore
import SlipwayJobs

/// The model page's monitoring section, in its twin under `monitoring_charts`: realized
/// performance per hour and version over the page's 48 hours (`GET .../performance` with
/// `window=1h`), beside each version's held-out value, and the stored drift reports' share of
/// drifted columns over time (`GET .../drift/reports`).
struct ModelMonitoring: Sendable {
    let performance: PerformanceMonitor
    let reports: any DriftReportStore
    let rules: any MonitorRuleStore
    let promotions: any PromotionStore
    let evaluations: any EvaluationStore
    static let realizedMetrics = RealizedPerformance.regressionMetrics + RealizedPerformance.classificationMetrics

    func json(name: String, metric requested: String?, since: Int64, now: Int64) async throws -> JSONValue {
        var fields: [(String, JSONValue)] = []
        if let metric = try await metric(name: name, requested: requested) {
            fields.append(("metric", .string(metric)))
            do {
                let report = try await performance.report(model: name, metric: metric, window: "1h", since: since, until: now + 1, version: nil)
                fields.append(("performance", report.json))
            } catch let error as SlipwayError {
                fields.append(("performance_error", .string(error.message)))
            }
        }
        let stored = try await reports.list(model: name, limit: 50)
        fields.append(("drift_reports", .array(stored.map { r in
            .object([
                ("id", .string(r.id)), ("version", .string(String(r.version))), ("reference", .string(r.reference)),
                ("since", Overview.time(r.since)), ("until", Overview.time(r.until)), ("at", Overview.time(r.createdAt)),
                ("drifted", .bool(r.drifted)), ("share", .number(r.share)), ("share_text", .string(String(format: "%.0f%%", r.share * 100))),
            ])
        })))
        return .object(fields)
    }

    /// The metric to follow: the one asked for, else a rule's, else the promotion policy's, else
    /// the first one the newest evaluation has; only metrics realized performance computes.
    func metric(name: String, requested: String?) async throws -> String? {
        if let requested { return requested }
        if let ruled = try await rules.listRules(model: name).lazy.compactMap(\.rule.metric).first { return ruled }
        if let policy = try await promotions.getPolicy(name: name), Self.realizedMetrics.contains(policy.metric) { return policy.metric }
        let newest = try await evaluations.listEvaluations(model: name, version: nil).max { $0.createdAt < $1.createdAt }
        return newest?.metrics.map(\.key).first { Self.realizedMetrics.contains($0) }
    }

    /// Realized performance per hour (a line per version) and the drift share per report.
    static func charts(_ data: JSONValue?, hours: [Int64]) -> [String: String] {
        var charts: [String: String] = [:]
        if let points = data?["performance"]?["points"]?.arrayValue, let metric = data?["metric"]?.stringValue {
            let hour: Int64 = 3_600_000
            var byVersion: [String: [Double]] = [:]
            for point in points {
                guard let version = point["version"]?.stringValue, let start = point["start"]?.numberValue,
                      let slot = hours.firstIndex(of: Int64(start) / hour * hour) else { continue }
                byVersion[version, default: [Double](repeating: .nan, count: hours.count)][slot] = point["value"]?.numberValue ?? .nan
            }
            let series = byVersion.keys.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }.map { SVGChart.Series(name: "v\($0)", values: byVersion[$0]!) }
            charts["performance_chart"] = SVGChart(title: "Realized \(metric) per hour", xs: hours, series: series).svg
        }
        let reports = (data?["drift_reports"]?.arrayValue ?? []).reversed()
        let times = reports.compactMap { $0["at"]?["ms"]?.numberValue }.map { Int64($0) }
        let shares = reports.compactMap { $0["share"]?.numberValue }
        let series = shares.isEmpty ? [] : [SVGChart.Series(name: "drifted share", values: shares)]
        charts["drift_chart"] = SVGChart(title: "Share of drifted columns, per drift report", xs: times, series: series).svg
        return charts
    }
}
