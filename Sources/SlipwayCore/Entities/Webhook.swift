/// A registry event a webhook subscribes to: an entity and an action, as MLflow names them
/// (`MODEL_VERSION` + `CREATED`, `MODEL_VERSION_ALIAS` + `CREATED`, ...).
public struct WebhookEvent: Sendable, Hashable {
    public var entity: String
    public var action: String

    public static let entities: Set<String> = [
        "REGISTERED_MODEL", "MODEL_VERSION", "MODEL_VERSION_TAG", "MODEL_VERSION_ALIAS", "PROMPT", "PROMPT_VERSION",
        "PROMPT_TAG", "PROMPT_VERSION_TAG", "PROMPT_ALIAS", "BUDGET_POLICY",
    ]
    public static let actions: Set<String> = ["CREATED", "UPDATED", "DELETED", "SET", "EXCEEDED"]

    /// - Throws: `INVALID_PARAMETER_VALUE` for an entity or action MLflow does not know.
    public init(entity: String, action: String) throws(SlipwayError) {
        guard Self.entities.contains(entity) else {
            throw .invalidParameter("Invalid webhook event entity '\(entity)'. Valid values are \(Self.entities.sorted())")
        }
        guard Self.actions.contains(action) else {
            throw .invalidParameter("Invalid webhook event action '\(action)'. Valid values are \(Self.actions.sorted())")
        }
        self.entity = entity
        self.action = action
    }
}

/// An MLflow webhook registration. The secret signs deliveries and is never returned by the API.
public struct Webhook: Sendable, Hashable {
    public enum Status: String, Sendable { case active = "ACTIVE", disabled = "DISABLED" }

    public var id: String
    public var name: String
    public var description: String
    public var url: String
    public var events: [WebhookEvent]
    public var status: Status
    public var secret: String?
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64

    public init(
        id: String, name: String, description: String, url: String, events: [WebhookEvent], status: Status, secret: String?,
        creationTimestamp: Int64, lastUpdatedTimestamp: Int64
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.url = url
        self.events = events
        self.status = status
        self.secret = secret
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
    }

    /// Checks what MLflow checks: a name, an http(s) URL with a host, at least one event.
    public static func validate(name: String, url: String, events: [WebhookEvent]) throws(SlipwayError) {
        if name.isEmpty { throw .invalidParameter("Webhook name cannot be empty.") }
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.split(separator: "/").count >= 2 else {
            throw .invalidParameter("Invalid webhook URL '\(url)': it must be an http or https URL with a host.")
        }
        if events.isEmpty { throw .invalidParameter("Webhook events cannot be empty.") }
    }
}
