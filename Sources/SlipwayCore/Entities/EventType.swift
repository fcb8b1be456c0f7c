/// Every kind of event Slipway records, named as CloudEvents recommends (reverse-DNS style,
/// namespaced and versioned): `ml.model.promoted.v1`. A webhook subscribes to a type or to a
/// prefix (`ml.model.*`). A new shape of an event's data is a new version (`.v2`), never a change
/// to an existing one.
public enum EventType: String, Sendable, CaseIterable {
    /// A version became production (by a policy, an approval, or a person moving the alias).
    case modelPromoted = "ml.model.promoted.v1"
    /// A version left production and was archived (kept as `previous`).
    case modelArchived = "ml.model.archived.v1"
    /// Production went back to an earlier version.
    case modelRolledBack = "ml.model.rolled_back.v1"
    /// A version was staged: not better than production by enough, or waiting for approval.
    case modelStaged = "ml.model.staged.v1"
    /// A version was scored on an evaluation dataset.
    case evaluationCompleted = "ml.evaluation.completed.v1"
    /// A monitoring rule found the production version's inputs or outputs drifted from its reference.
    case modelDriftDetected = "ml.model.drift_detected.v1"
    /// A monitoring rule found the production version's realized metric out of bounds.
    case modelPerformanceDegraded = "ml.model.performance_degraded.v1"
    /// A breached monitoring rule found everything it watches within bounds again.
    case modelMonitorCleared = "ml.model.monitor_cleared.v1"
    /// A serving process swapped to a new version.
    case servingSwapped = "ml.serving.swapped.v1"
    /// A serving process refused a version: download, digest, load or smoke test failed.
    case servingLoadFailed = "ml.serving.load_failed.v1"
    /// A validation step found a file or dataset breaking its schema's rules (the report is the data).
    case dataValidationFailed = "ml.data.validation_failed.v1"
    /// A job's run failed (a command's exit code, a timeout, a step's error), after its retries.
    case jobFailed = "ml.job.failed.v1"
    /// A pipeline file was applied: the jobs it created, changed and removed.
    case pipelineApplied = "ml.pipeline.applied.v1"

    // MLflow's registry events: written for every registry change, delivered to MLflow webhooks in
    // MLflow's own payload format (their data is MLflow's payload).
    case registeredModelCreated = "ml.registry.registered_model.created.v1"
    case modelVersionCreated = "ml.registry.model_version.created.v1"
    case modelVersionTagSet = "ml.registry.model_version_tag.set.v1"
    case modelVersionTagDeleted = "ml.registry.model_version_tag.deleted.v1"
    case modelVersionAliasCreated = "ml.registry.model_version_alias.created.v1"
    case modelVersionAliasDeleted = "ml.registry.model_version_alias.deleted.v1"

    /// The MLflow webhook event this is (`MODEL_VERSION` + `CREATED`), for MLflow's own webhooks.
    public var mlflowEvent: WebhookEvent? {
        switch self {
        case .registeredModelCreated: return try? WebhookEvent(entity: "REGISTERED_MODEL", action: "CREATED")
        case .modelVersionCreated: return try? WebhookEvent(entity: "MODEL_VERSION", action: "CREATED")
        case .modelVersionTagSet: return try? WebhookEvent(entity: "MODEL_VERSION_TAG", action: "SET")
        case .modelVersionTagDeleted: return try? WebhookEvent(entity: "MODEL_VERSION_TAG", action: "DELETED")
        case .modelVersionAliasCreated: return try? WebhookEvent(entity: "MODEL_VERSION_ALIAS", action: "CREATED")
        case .modelVersionAliasDeleted: return try? WebhookEvent(entity: "MODEL_VERSION_ALIAS", action: "DELETED")
        default: return nil
        }
    }

    /// A type by its name, or by the name it had before types were namespaced (`serving.swapped`),
    /// which replicas of an older Slipway still post during an upgrade.
    public init?(named name: String) {
        if let type = Self(rawValue: name) {
            self = type
        } else if let type = Self.allCases.first(where: { $0.rawValue == "ml.\(name).v1" }), !name.hasPrefix("registry.") {
            self = type
        } else {
            return nil
        }
    }

    /// Whether a replica may post it to the registry it follows (`POST /api/v1/events`).
    public var isServing: Bool { self == .servingSwapped || self == .servingLoadFailed }
}
