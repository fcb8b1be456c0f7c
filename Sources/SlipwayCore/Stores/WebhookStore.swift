/// MLflow webhook registrations (`/api/2.0/mlflow/webhooks`).
public protocol WebhookStore: Sendable {
    func createWebhook(name: String, description: String, url: String, events: [WebhookEvent], secret: String?, status: Webhook.Status) async throws -> Webhook
    func getWebhook(id: String) async throws -> Webhook
    func listWebhooks(maxResults: Int, pageToken: String?) async throws -> Page<Webhook>
    /// Changes the fields that are given; `nil` leaves a field as it is.
    func updateWebhook(id: String, change: WebhookChange) async throws -> Webhook
    func deleteWebhook(id: String) async throws
}

/// The fields of a webhook update; `nil` leaves a field unchanged.
public struct WebhookChange: Sendable {
    public var name: String?
    public var description: String?
    public var url: String?
    public var events: [WebhookEvent]?
    public var secret: String?
    public var status: Webhook.Status?

    public init(name: String? = nil, description: String? = nil, url: String? = nil, events: [WebhookEvent]? = nil, secret: String? = nil, status: Webhook.Status? = nil) {
        self.name = name
        self.description = description
        self.url = url
        self.events = events
        self.secret = secret
        self.status = status
    }
}
