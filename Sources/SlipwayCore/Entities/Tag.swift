/// A key/value string pair: run tags, params, experiment tags, model tags all share this shape.
public struct KeyValue: Sendable, Hashable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Where an entity is in its lifecycle (`active` or `deleted`), as MLflow names it.
public enum LifecycleStage: String, Sendable, Codable {
    case active
    case deleted
}

/// Which entities a search sees, by lifecycle stage (MLflow's `ViewType`).
public enum ViewType: String, Sendable, Codable {
    case activeOnly = "ACTIVE_ONLY"
    case deletedOnly = "DELETED_ONLY"
    case all = "ALL"

    /// The lifecycle stages this view includes.
    public var stages: [LifecycleStage] {
        switch self {
        case .activeOnly: return [.active]
        case .deletedOnly: return [.deleted]
        case .all: return [.active, .deleted]
        }
    }
}
