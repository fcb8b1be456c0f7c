/// One line of a model's audit log: a policy's decision, an approval, a rollback or a change made
/// by hand through MLflow's API, who made it, when, what moved and why. The decision's whole table
/// is kept in `details`.
public struct PromotionRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A policy ran (`slipway promote`, a scheduled job, `POST /api/v1/models/{name}/promote`).
        case decision
        /// A person approved a staged version.
        case approval
        /// A person put the previous version (or a chosen one) back.
        case rollback
        /// Someone moved production through MLflow's API (an alias or a stage) on a model with a policy.
        case manual
    }

    public var id: String
    public var model: String
    public var kind: Kind
    /// `policy` for a policy's own run, else who asked (`cli:alice`, `api`).
    public var actor: String
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    /// `promote`, `await_approval`, `stage`, `none` for decisions; `promote` for approvals and manual
    /// moves; `unset` when production was removed by hand; `rollback`.
    public var action: String
    /// The production version before.
    public var fromVersion: Int?
    /// The version the action is about (the new production version, or the staged one).
    public var toVersion: Int?
    /// One sentence a person reads first.
    public var summary: String
    /// Encoded JSON object: the values compared, the reasons, the versions considered, the policy.
    public var details: String

    public init(id: String, model: String, kind: Kind, actor: String, time: Int64, action: String, fromVersion: Int?, toVersion: Int?, summary: String, details: String) {
        self.id = id
        self.model = model
        self.kind = kind
        self.actor = actor
        self.time = time
        self.action = action
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.summary = summary
        self.details = details
    }
}

/// Registry moves, their audit record and their events, to be written in one transaction.
public struct PromotionChange: Sendable {
    public var model: String
    /// Where `production` must still point (`nil`: nowhere) for the change to apply; otherwise
    /// someone else moved it since the decision, and the change is refused with RESOURCE_CONFLICT.
    public var expectedProduction: Int?
    /// Aliases to set (a version) or remove (`nil`), in order.
    public var aliases: [(alias: String, version: Int?)]
    public var stages: [(version: Int, stage: ModelStage)]
    /// Other versions still in this stage (not named in `stages`) are archived too: MLflow's
    /// `archive_existing_versions`, done inside the change's transaction.
    public var archivingOthersIn: ModelStage?
    public var record: PromotionRecord
    public var events: [Event]

    public init(model: String, expectedProduction: Int?, aliases: [(alias: String, version: Int?)] = [], stages: [(version: Int, stage: ModelStage)] = [], record: PromotionRecord, events: [Event] = []) {
        self.model = model
        self.expectedProduction = expectedProduction
        self.aliases = aliases
        self.stages = stages
        self.record = record
        self.events = events
    }
}

extension PromotionRecord {
    /// The record as the API returns it (`GET /api/v1/models/{name}/decisions`) and the CLI prints it.
    public var json: JSONValue {
        func version(_ v: Int?) -> JSONValue { v.map { .string(String($0)) } ?? .null }
        return .object([
            ("id", .string(id)), ("model", .string(model)), ("kind", .string(kind.rawValue)), ("actor", .string(actor)),
            ("time", .int(time)), ("action", .string(action)), ("from_version", version(fromVersion)),
            ("to_version", version(toVersion)), ("summary", .string(summary)),
            ("details", (try? JSONParser.parse(details)) ?? .object([])),
        ])
    }
}
