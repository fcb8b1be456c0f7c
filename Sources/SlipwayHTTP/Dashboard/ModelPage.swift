import SlipwayCore

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
            "requests_chart": SVGChart(title: "Requests per hour", xs: hours, series: series("requests")).svg,
            "latency_chart": SVGChart(title: "Mean latency per hour (ms)", xs: hours, series: series("mean_latency_ms")).svg,
        ]
    }
}
