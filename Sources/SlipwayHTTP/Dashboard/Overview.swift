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

    /// - Parameter visible: whether the caller may see a model (per-model permissions); the models
    ///   they may not, and the jobs of those models, are left out.
    func json(now: Int64, visible: @Sendable (String) async throws -> Bool = { _ in true }) async throws -> JSONValue {
        let models = try await registry.searchRegisteredModels(
            try EntitySearch(.registeredModels, filter: nil, maxResults: 1000, orderBy: ["name ASC"])).items
        var modelRows: [JSONValue] = []
        for model in models where try await visible(model.name) { modelRows.append(try await modelJSON(model)) }
        var jobRows: [JSONValue] = []
        for job in try await jobs.listJobs() where try await visible(String(job.model.split(separator: "@").first ?? "")) {
            let last = try await jobs.listRuns(job: job.name, maxResults: 1).first
            var fields: [(String, JSONValue)] = [
                ("name", .string(job.name)), ("kind", .string(job.kind.rawValue)), ("model", .string(job.model)),
                ("schedule", .string(job.schedule?.description ?? "")), ("enabled", .bool(job.enabled)), ("next_run_at", Self.time(job.nextRunAt)),
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
                    ("loaded_at", Self.time(served.loadedAt)), ("path", .string(Self.servingPath(format: served.predictor.summary.format, objective: served.predictor.summary.objective))),
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

    /// How a version is served: natively with its format, or by Python workers with the flavor they load.
    static func servingPath(format: String, objective: String) -> String {
        format == "python-worker" ? "Python workers (\(objective))" : "native \(format)"
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
