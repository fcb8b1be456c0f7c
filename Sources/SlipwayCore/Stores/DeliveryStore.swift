/// Webhooks for Slipway's events and their deliveries: the outbox's second half. A delivery row is
/// written with its event (in the same transaction as the change the event reports), so nothing
/// acknowledged is lost when the process dies before sending.
public protocol DeliveryStore: Sendable {
    func createSubscription(url: String, eventTypes: [String], secret: String?, format: Subscription.Format) async throws -> Subscription
    func listSubscriptions() async throws -> [Subscription]
    func deleteSubscription(id: String) async throws

    /// Pending deliveries due by `now`, each claimed for `lease` milliseconds so that another
    /// process (or this one's next pass) does not send it at the same time.
    func claimDue(now: Int64, lease: Int64, limit: Int) async throws -> [DueDelivery]
    /// Records one attempt: delivered, retry at `retryAt`, or failed for good when `retryAt` is nil.
    func recordAttempt(id: String, at time: Int64, statusCode: Int?, error: String?, delivered: Bool, retryAt: Int64?) async throws
    /// Deliveries newest first, optionally of one status, event or webhook.
    func listDeliveries(status: Delivery.Status?, eventID: String?, webhookID: String?, maxResults: Int, pageToken: String?) async throws -> Page<Delivery>
    /// Queues a delivery again (delivered or failed), to be sent at `now`.
    func replay(id: String, now: Int64) async throws -> Delivery
}

/// A claimed delivery with what sending it needs.
public struct DueDelivery: Sendable {
    public var delivery: Delivery
    public var event: Event
    public var webhook: WebhookReceiver

    public init(delivery: Delivery, event: Event, webhook: WebhookReceiver) {
        self.delivery = delivery
        self.event = event
        self.webhook = webhook
    }
}

/// Where a delivery goes: one of Slipway's webhooks, or one registered through MLflow's API.
public enum WebhookReceiver: Sendable {
    case slipway(Subscription)
    case mlflow(Webhook)

    public var url: String {
        switch self {
        case .slipway(let s): return s.url
        case .mlflow(let w): return w.url
        }
    }

    /// Signs each delivery when set.
    public var secret: String? {
        switch self {
        case .slipway(let s): return s.secret
        case .mlflow(let w): return w.secret
        }
    }
}
