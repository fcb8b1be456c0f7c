import SlipwayCore

/// What a model's page shows, as `GET /api/v1/models/{name}/overview?metric=` answers it: its
/// versions (stage, aliases, run, source, evaluation metrics per dataset), the decision history with
/// its reasons, its events and their webhook deliveries, requests and latency per hour from the
/// prediction log, latency percentiles from the serving metrics, and monitoring (realized
/// performance, drift reports, rules).
struct ModelOverview: Sendable {
    let overview: Overview
    let evaluations: any EvaluationStore
    let events: any EventStore
    let deliveries: any DeliveryStore
    let predictionLog: any PredictionLogStore
    let monitoring: ModelMonitoring
    /// The serving metrics' exposition text (what `/metrics` serves).
    let servingMetrics: @Sendable () -> [UInt8]
    /// How many hours the serving charts cover.
    static let hours = 48

    func json(name: String, metric: String? = nil, now: Int64) async throws -> JSONValue {
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
        var deliveries: [JSONValue] = []
        for event in recent {
            for d in try await self.deliveries.listDeliveries(status: nil, eventID: event.id, webhookID: nil, maxResults: 20, pageToken: nil).items {
                deliveries.append(.object([
                    ("id", .string(d.id)), ("event_type", .string(event.type)), ("webhook_id", .string(d.webhookID)), ("webhook_kind", .string(d.receiver.rawValue)),
                    ("status", .string(d.status.rawValue)), ("failed", .bool(d.status == .failed)), ("attempts", .int(d.attempts)),
                    ("last_status_code", d.lastStatusCode.map { .int($0) } ?? .null), ("last_error", d.lastError.map(JSONValue.string) ?? .null),
                    ("at", Overview.time(d.lastAttemptAt ?? d.createdAt)),
                ]))
            }
        }
        fields.append(("deliveries", .array(deliveries)))
        fields.append(("serving_by_hour", try await servingByHour(name, now: now)))
        fields.append(("latency_percentiles", ServingLatency.json(exposition: servingMetrics(), model: name)))
        fields.append(("monitoring_charts", try await monitoring.json(name: name, metric: metric, since: Self.firstHour(now), now: now)))
        fields.append(("generated_at", Overview.time(now)))
        return .object(fields)
    }

    /// The last 48 hours of served requests, one value per hour and version (zero where it served none).
    func servingByHour(_ name: String, now: Int64) async throws -> JSONValue {
        let hour: Int64 = 3_600_000
        let first = Self.firstHour(now)
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

    /// The start of the first of the charts' hours.
    static func firstHour(_ now: Int64) -> Int64 {
        (now / 3_600_000 - Int64(hours - 1)) * 3_600_000
    }

    /// The page's charts, drawn from its JSON: requests and mean latency per hour by version, and monitoring.
    static func charts(_ data: JSONValue) -> [String: String] {
        let serving = data["serving_by_hour"]
        let hours = serving?["hours"]?.arrayValue?.compactMap(\.numberValue).map { Int64($0) } ?? []
        let versions = serving?["versions"]?.arrayValue ?? []
        func series(_ key: String) -> [SVGChart.Series] {
            versions.map { v in
                SVGChart.Series(name: v["version"]?.stringValue.map { "v\($0)" } ?? "no version", values: v[key]?.arrayValue?.compactMap(\.numberValue) ?? [])
            }
        }
        return ModelMonitoring.charts(data["monitoring_charts"], hours: hours).merging([
            "requests_chart": SVGChart(title: "Requests per hour", xs: hours, series: series("requests")).svg,
            "latency_chart": SVGChart(title: "Mean latency per hour (ms)", xs: hours, series: series("mean_latency_ms")).svg,
        ]) { first, _ in first }
    }
}
