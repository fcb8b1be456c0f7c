import Foundation
import SlipwayCore
import SlipwayServing

/// What the overview shows, as the JSON twin `GET /api/v1/overview` answers it (the page renders
/// exactly this): every registered model with its production, staging and previous versions, the
/// last change of production and why, what this process serves of it, its monitoring (newest
/// drift result, rules and their state); and every job with its newest run.
struct Overview: Sendable {
    let registry: any RegistryStore
    let promotions: any PromotionStore
    let jobs: any JobStore
    let driftReports: any DriftReportStore
    let monitorRules: any MonitorRuleStore
    let host: ModelHost?

    func json(now: Int64) async throws -> JSONValue {
        let models = try await registry.searchRegisteredModels(
            try EntitySearch(.registeredModels, filter: nil, maxResults: 1000, orderBy: ["name ASC"])).items
        var modelRows: [JSONValue] = []
        for model in models { modelRows.append(try await modelJSON(model)) }
        var jobRows: [JSONValue] = []
        for job in try await jobs.listJobs() {
            let last = try await jobs.listRuns(job: job.name, maxResults: 1).first
            var fields: [(String, JSONValue)] = [
                ("name", .string(job.name)), ("kind", .string(job.kind.rawValue)), ("model", .string(job.model)),
                ("schedule", .string(job.schedule.description)), ("enabled", .bool(job.enabled)), ("next_run_at", Self.time(job.nextRunAt)),
            ]
            if let last {
                fields.append(("last_run", .object([
                    ("status", .string(last.status.rawValue)), ("started_at", Self.time(last.startedAt)), ("trigger", .string(last.trigger.rawValue)),
                    ("duration_ms", last.durationMilliseconds.map(JSONValue.int) ?? .null), ("output", .string(String(last.output.prefix(300)))),
                    ("failed", .bool(last.status == .failed)),
                ])))
            }
            jobRows.append(.object(fields))
        }
        return .object([("generated_at", Self.time(now)), ("models", .array(modelRows)), ("jobs", .array(jobRows))])
    }

    func modelJSON(_ model: RegisteredModel) async throws -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("name", .string(model.name)), ("page", .string(Self.page(model.name))), ("updated_at", Self.time(model.lastUpdatedTimestamp)),
        ]
        for alias in ["production", "staging", "previous"] {
            let version = model.aliases.first { $0.alias == alias }?.version
            fields.append((alias, version.map { .string(String($0)) } ?? .null))
        }
        if let record = try await promotions.listRecords(name: model.name, maxResults: 1, pageToken: nil).items.first {
            fields.append(("last_change", .object([
                ("kind", .string(record.kind.rawValue)), ("action", .string(record.action)), ("actor", .string(record.actor)),
                ("at", Self.time(record.time)), ("summary", .string(record.summary)),
                ("from_version", record.fromVersion.map { .string(String($0)) } ?? .null),
                ("to_version", record.toVersion.map { .string(String($0)) } ?? .null),
            ])))
        }
        if let status = host?.status(model.name) {
            var serving: [(String, JSONValue)] = [("alias", .string(status.target.alias))]
            if let served = status.served {
                serving += [
                    ("version", .string(String(served.version.version))), ("digest", .string(String(served.digest.prefix(12)))),
                    ("loaded_at", Self.time(served.loadedAt)),
                ]
            }
            if let failure = status.failure {
                serving.append(("last_failure", .object([
                    ("failed_version", failure.version.map { .string(String($0)) } ?? .null), ("message", .string(failure.message)), ("at", Self.time(failure.at)),
                ])))
            }
            fields.append(("serving", .object(serving)))
        }
        var monitoring: [(String, JSONValue)] = []
        if let drift = try await driftReports.list(model: model.name, limit: 1).first {
            monitoring.append(("drift", .object([
                ("drifted", .bool(drift.drifted)), ("share", .number(drift.share)), ("reference", .string(drift.reference)),
                ("version", .string(String(drift.version))), ("at", Self.time(drift.createdAt)),
            ])))
        }
        let rules = try await monitorRules.listRules(model: model.name)
        if !rules.isEmpty {
            monitoring.append(("rules", .array(rules.map { status in
                .object([
                    ("name", .string(status.rule.name)), ("state", .string(status.state.rawValue)), ("breached", .bool(status.state == .breached)),
                    ("since", Self.time(status.stateSince)),
                ])
            })))
        }
        if !monitoring.isEmpty { fields.append(("monitoring", .object(monitoring))) }
        return .object(fields)
    }

    /// The model's page, its name percent-encoded as one path segment.
    static func page(_ model: String) -> String {
        "/ui/models/" + segment(model)
    }

    /// A name as one percent-encoded path segment.
    static func segment(_ name: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    /// A time as the API gives it, milliseconds since the epoch and text: `{"ms": ..., "text": "2026-12-03 10:45:12 UTC"}`.
    static func time(_ milliseconds: Int64?) -> JSONValue {
        guard let milliseconds else { return .null }
        return .object([("ms", .int(milliseconds)), ("text", .string(timeText(milliseconds) + " UTC"))])
    }

    /// `2026-12-03 10:45:12` (UTC).
    static func timeText(_ milliseconds: Int64) -> String {
        WallClock.rfc3339(milliseconds: milliseconds).prefix(19).replacingOccurrences(of: "T", with: " ")
    }
}

/// What a model's page shows, as `GET /api/v1/models/{name}/overview` answers it: its versions
/// (stage, aliases, run, source, evaluation metrics per dataset), the decision history with its
/// reasons, its events, and its monitoring rules.
struct ModelOverview: Sendable {
    let overview: Overview
    let evaluations: any EvaluationStore
    let events: any EventStore
    let predictionLog: any PredictionLogStore
    /// How many hours the serving charts cover.
    static let hours = 48

    func json(name: String, now: Int64) async throws -> JSONValue {
        let model = try await overview.registry.getRegisteredModel(name: name)
        guard case .object(var fields) = try await overview.modelJSON(model) else { return .null }
        let versions = try await overview.registry.searchModelVersions(
            try EntitySearch(.modelVersions, filter: "name = '\(name.replacingOccurrences(of: "'", with: "''"))'", maxResults: 1000, orderBy: ["version_number DESC"])).items
        let evaluations = try await evaluations.listEvaluations(model: name, version: nil)
        fields.append(("versions", .array(versions.map { v in
            let scored = evaluations.filter { $0.version == v.version }.sorted { $0.createdAt > $1.createdAt }
            return .object([
                ("version", .string(String(v.version))), ("stage", .string(v.currentStage.rawValue)), ("aliases", .array(v.aliases.sorted().map { .string($0) })),
                ("run_id", .string(v.runID)), ("source", .string(v.source)), ("status", .string(v.status)), ("created_at", Overview.time(v.creationTimestamp)),
                ("evaluations", .array(scored.map { e in
                    .object([
                        ("dataset", .string("\(e.dataset)@\(e.datasetVersion)")), ("rows", .int(e.rows)), ("at", Overview.time(e.createdAt)),
                        ("metrics", .array(e.metrics.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) })),
                    ])
                })),
            ])
        })))
        let records = try await overview.promotions.listRecords(name: name, maxResults: 50, pageToken: nil).items
        fields.append(("decisions", .array(records.map { r in
            .object([
                ("id", .string(r.id)), ("kind", .string(r.kind.rawValue)), ("action", .string(r.action)), ("actor", .string(r.actor)),
                ("at", Overview.time(r.time)), ("from_version", r.fromVersion.map { .string(String($0)) } ?? .null),
                ("to_version", r.toVersion.map { .string(String($0)) } ?? .null), ("summary", .string(r.summary)),
            ])
        })))
        let recent = try await events.listEvents(type: nil, subject: "models/\(name)/", maxResults: 50, pageToken: nil).items
        fields.append(("events", .array(recent.map { e in
            .object([("type", .string(e.type)), ("subject", .string(e.subject)), ("at", Overview.time(e.time)), ("data", .string(String(e.data.prefix(400))))])
        })))
        fields.append(("serving_by_hour", try await servingByHour(name, now: now)))
        fields.append(("generated_at", Overview.time(now)))
        return .object(fields)
    }

    /// The last 48 hours of served requests, one value per hour and version (zero where it served none).
    func servingByHour(_ name: String, now: Int64) async throws -> JSONValue {
        let hour: Int64 = 3_600_000
        let first = (now / hour - Int64(Self.hours - 1)) * hour
        let hours = (0..<Self.hours).map { first + Int64($0) * hour }
        let counts = try await predictionLog.hourly(model: name, since: first, until: now + 1)
        let versions = Array(Set(counts.map { $0.version ?? 0 })).sorted()
        return .object([
            ("hours", .array(hours.map { .int($0) })),
            ("versions", .array(versions.map { version in
                var requests = [Double](repeating: 0, count: hours.count), errors = requests, latency = requests
                for c in counts where (c.version ?? 0) == version {
                    let slot = Int((c.hour - first) / hour)
                    guard slot >= 0, slot < hours.count else { continue }
                    requests[slot] = Double(c.requests)
                    errors[slot] = Double(c.errors)
                    latency[slot] = c.meanLatencyMicroseconds / 1000
                }
                return .object([
                    ("version", version == 0 ? .null : .string(String(version))), ("requests", .array(requests.map(JSONValue.number))),
                    ("errors", .array(errors.map(JSONValue.number))), ("mean_latency_ms", .array(latency.map(JSONValue.number))),
                ])
            })),
        ])
    }

    /// The page's charts, drawn from its JSON: requests per hour and mean latency per hour, by version.
    static func charts(_ data: JSONValue) -> [String: String] {
        let serving = data["serving_by_hour"]
        let hours = serving?["hours"]?.arrayValue?.compactMap(\.numberValue).map { Int64($0) } ?? []
        let versions = serving?["versions"]?.arrayValue ?? []
        func series(_ key: String) -> [SVGChart.Series] {
            versions.map { v in
                SVGChart.Series(name: v["version"]?.stringValue.map { "v\($0)" } ?? "no version", values: v[key]?.arrayValue?.compactMap(\.numberValue) ?? [])
            }
        }
        return [
            "requests_chart": SVGChart(title: "Requests per hour", xs: hours, series: series("requests"), unit: "requests").svg,
            "latency_chart": SVGChart(title: "Mean latency per hour (ms)", xs: hours, series: series("mean_latency_ms"), unit: "ms").svg,
        ]
    }
}
