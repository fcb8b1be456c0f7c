import Foundation
import SlipwayCore

/// A run's page and the comparison of several runs, as their twins answer them:
/// - `GET /api/v1/runs/{id}/page`: params, tags, each metric's history (step, time, value) and
///   the artifact tree with download links;
/// - `GET /api/v1/runs/compare?runs=ID&runs=ID...` (or `runs=ID,ID`): each metric's history per
///   run, for charts that overlay them.
/// Charts run over step (`x=step`, the default) or wall-clock time (`x=time`).
extension RunsPages {
    static let maxArtifactEntries = 500
    static let maxComparedRuns = 10

    func run(id: String) async throws -> JSONValue {
        let run = try await tracking.getRun(id: id)
        return .object([
            ("run_id", .string(run.info.runID)), ("run_name", .string(run.info.runName)), ("status", .string(run.info.status.rawValue)),
            ("experiment_id", .string(run.info.experimentID)), ("experiment_page", .string("/ui/experiments/" + Overview.segment(run.info.experimentID))),
            ("start_time", Overview.time(run.info.startTime)), ("end_time", Overview.time(run.info.endTime)), ("artifact_uri", .string(run.info.artifactURI)),
            ("params", .array(run.params.sorted { $0.key < $1.key }.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) })),
            ("tags", .array(run.tags.filter { !$0.key.hasPrefix("mlflow.") || $0.key == "mlflow.runName" }.sorted { $0.key < $1.key }
                .map { .object([("key", .string($0.key)), ("value", .string($0.value))]) })),
            ("metrics", .array(try await histories(run).map { key, latest, history in
                .object([("key", .string(key)), ("latest", .string(String(format: "%.6g", latest)))] + Self.historyFields(history))
            })),
            ("artifacts", .array(try await artifactTree(run))),
        ])
    }

    func compare(ids: [String]) async throws -> JSONValue {
        guard !ids.isEmpty, ids.count <= Self.maxComparedRuns else {
            throw SlipwayError.invalidParameter("Compare 1 to \(Self.maxComparedRuns) runs: runs=ID&runs=ID")
        }
        var runs: [JSONValue] = []
        var byMetric: [String: [JSONValue]] = [:]
        for id in ids {
            let run = try await tracking.getRun(id: id)
            runs.append(.object([("run_id", .string(run.info.runID)), ("run_name", .string(run.info.runName)), ("page", .string("/ui/runs/" + Overview.segment(run.info.runID)))]))
            for (key, _, history) in try await histories(run) {
                byMetric[key, default: []].append(.object([("run_id", .string(run.info.runID)), ("run_name", .string(run.info.runName))] + Self.historyFields(history)))
            }
        }
        return .object([
            ("runs", .array(runs)),
            ("metrics", .array(byMetric.keys.sorted().map { .object([("key", .string($0)), ("runs", .array(byMetric[$0]!))]) })),
        ])
    }

    /// Each metric of the run (by key) with its latest value and its whole history.
    func histories(_ run: Run) async throws -> [(String, Double, [Metric])] {
        var result: [(String, Double, [Metric])] = []
        for metric in run.metrics.sorted(by: { $0.key < $1.key }) {
            let history = try await tracking.metricHistory(runID: run.info.runID, key: metric.key, maxResults: 25_000, pageToken: nil).items
            result.append((metric.key, metric.value, history))
        }
        return result
    }

    static func historyFields(_ history: [Metric]) -> [(String, JSONValue)] {
        [
            ("points", .int(history.count)), ("steps", .array(history.map { .int($0.step) })),
            ("timestamps", .array(history.map { .int($0.timestamp) })), ("values", .array(history.map { .number($0.value) })),
        ]
    }

    /// The run's artifacts, depth first, each with its depth and (for files) its download link
    /// through the artifact proxy; at most `maxArtifactEntries`.
    func artifactTree(_ run: Run) async throws -> [JSONValue] {
        guard let root = ArtifactsController.proxiedPath(run.info.artifactURI) else { return [] }
        var entries: [JSONValue] = []
        func walk(_ segments: [String], depth: Int) async throws {
            guard depth < 8, let files = try await artifacts.list(try ArtifactPath(segments.joined(separator: "/"))) else { return }
            for file in files where entries.count < Self.maxArtifactEntries {
                let path = segments + [file.path]
                let relative = path.dropFirst(root.split(separator: "/").count).joined(separator: "/")
                entries.append(.object([
                    ("path", .string(relative)), ("name", .string(file.path)), ("depth", .int(depth)), ("indent", .int(depth * 16)),
                    ("is_dir", .bool(file.isDirectory)), ("size", file.size.map { .int($0) } ?? .null),
                    ("download", file.isDirectory ? .null : .string("/api/2.0/mlflow-artifacts/artifacts/" + path.map(Overview.segment).joined(separator: "/"))),
                ]))
                if file.isDirectory { try await walk(path, depth: depth + 1) }
            }
        }
        try await walk(root.split(separator: "/").map(String.init), depth: 0)
        return entries
    }

    /// One chart per metric of a run page (`run`) or a comparison (`compare`, a line per run),
    /// over step or wall-clock time.
    static func charts(_ data: JSONValue, byTime: Bool) -> String {
        (data["metrics"]?.arrayValue ?? []).map { metric in
            let lines = metric["runs"]?.arrayValue.map { runs in runs.map { ($0["run_name"]?.stringValue ?? "", $0) } } ?? [("value", metric)]
            let xsOf = { (line: JSONValue) in (line[byTime ? "timestamps" : "steps"]?.arrayValue ?? []).compactMap(\.numberValue).map { Int64($0) } }
            let xs = Array(Set(lines.flatMap { xsOf($0.1) })).sorted()
            let slots = Dictionary(uniqueKeysWithValues: xs.enumerated().map { ($1, $0) })
            let series = lines.map { name, line in
                // Each line's values at the shared x positions, NaN (no point) where it has none.
                var values = [Double](repeating: .nan, count: xs.count)
                let ys = (line["values"]?.arrayValue ?? []).compactMap(\.numberValue)
                for (x, y) in zip(xsOf(line), ys) {
                    if let slot = slots[x] { values[slot] = y }
                }
                return SVGChart.Series(name: name, values: values)
            }
            return SVGChart(title: metric["key"]?.stringValue ?? "", xs: xs, series: series, xAxis: byTime ? .times : .steps).svg
        }.joined(separator: " ")
    }
}
