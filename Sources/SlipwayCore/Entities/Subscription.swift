/// A webhook that receives Slipway's events (`/api/v1/webhooks`): which event types, where, signed
/// with which secret, in which shape. (MLflow's own webhook registrations are `Webhook`.)
public struct Subscription: Sendable, Hashable {
    public enum Format: String, Sendable, CaseIterable {
        /// The CloudEvents 1.0 JSON event, as `/api/v1/events` shows it.
        case cloudEvents = "cloudevents"
        /// `{"text": "..."}`: what Slack (and compatible chat tools) take from an incoming webhook.
        case slack
    }

    public var id: String
    public var url: String
    /// Event types, or patterns: `ml.model.promoted.v1`, `ml.model.*`, `*`.
    public var eventTypes: [String]
    /// Signs each delivery (HMAC-SHA256); never returned by the API.
    public var secret: String?
    public var format: Format
    public var createdAt: Int64

    public init(id: String, url: String, eventTypes: [String], secret: String?, format: Format, createdAt: Int64) {
        self.id = id
        self.url = url
        self.eventTypes = eventTypes
        self.secret = secret
        self.format = format
        self.createdAt = createdAt
    }

    /// Whether an event of this type goes to this webhook.
    public func matches(_ type: String) -> Bool {
        eventTypes.contains { pattern in
            pattern == "*" || pattern == type || (pattern.hasSuffix(".*") && type.hasPrefix(pattern.dropLast()))
        }
    }

    /// - Throws: INVALID_PARAMETER_VALUE for a URL that is not http(s), no event types, or a malformed pattern.
    public func validate() throws(SlipwayError) {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), url.utf8.count <= 2000, !url.contains(" ") else {
            throw .invalidParameter("Webhook 'url' must be an http:// or https:// URL, got '\(url.prefix(100))'")
        }
        guard !eventTypes.isEmpty else { throw .invalidParameter("Webhook 'events' must name at least one event type (or \"*\")") }
        for pattern in eventTypes {
            let body = pattern.hasSuffix(".*") ? String(pattern.dropLast(2)) : pattern
            guard pattern == "*" || (!body.isEmpty && body.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }) && !body.contains("*")) else {
                throw .invalidParameter("Webhook event '\(pattern)' must be a type like ml.model.promoted.v1, a prefix like ml.model.*, or *")
            }
        }
        if let secret, secret.isEmpty || secret.utf8.count > 1000 { throw .invalidParameter("Webhook 'secret' must be 1 to 1000 bytes") }
    }
}

/// One event on its way to one webhook: retried with backoff until the receiver answers 2xx.
public struct Delivery: Sendable, Hashable {
    public enum Status: String, Sendable, CaseIterable {
        case pending, delivered
        /// Gave up after the last retry; `replay` queues it again.
        case failed
    }

    /// Which kind of webhook receives it: one of Slipway's (`/api/v1/webhooks`, CloudEvents or Slack)
    /// or one registered through MLflow's API (MLflow's payload format).
    public enum Receiver: String, Sendable, CaseIterable {
        case slipway
        case mlflow
    }

    public var id: String
    public var eventID: String
    /// The subscription's id (`slipway`) or the MLflow webhook's (`mlflow`).
    public var webhookID: String
    public var receiver: Receiver
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastAttemptAt: Int64?
    /// The receiver's HTTP status on the last attempt, if it answered.
    public var lastStatusCode: Int?
    public var lastError: String?
    public var deliveredAt: Int64?
    public var createdAt: Int64

    public init(
        id: String, eventID: String, webhookID: String, receiver: Receiver, status: Status, attempts: Int, nextAttemptAt: Int64,
        lastAttemptAt: Int64?, lastStatusCode: Int?, lastError: String?, deliveredAt: Int64?, createdAt: Int64
    ) {
        self.id = id
        self.eventID = eventID
        self.webhookID = webhookID
        self.receiver = receiver
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.deliveredAt = deliveredAt
        self.createdAt = createdAt
    }
}
