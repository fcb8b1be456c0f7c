import Foundation
public import SlipwayCore

/// MLflow's `POST /api/2.0/mlflow/webhooks/{id}/test`: sends the event's example payload (MLflow's
/// own examples) to the webhook now, signed as a delivery would be, and says how the receiver answered.
public struct MLflowWebhookTester: Sendable {
    let transport: any WebhookTransport
    let now: @Sendable () -> Int64

    public init(transport: any WebhookTransport = HTTPWebhookTransport(), now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.transport = transport
        self.now = now
    }

    /// What MLflow's `WebhookTestResult` carries.
    public struct Result: Sendable {
        public var success: Bool
        public var responseStatus: Int?
        public var responseBody: String?
        public var errorMessage: String?
    }

    /// Tests `event` (the webhook's first event when `nil`).
    public func test(_ webhook: Webhook, event: WebhookEvent?) async -> Result {
        guard let event = event ?? webhook.events.first else {
            return Result(success: false, errorMessage: "The webhook subscribes to no event")
        }
        guard let data = Self.example(event) else {
            return Result(success: false, errorMessage: "Failed to test webhook: no example payload for \(event.entity.lowercased()).\(event.action.lowercased())")
        }
        let payload = WebhookPayload(
            mlflowEntity: event.entity, action: event.action, data: data, deliveryID: UUID().uuidString.lowercased(), secret: webhook.secret, at: now())
        do {
            let (status, answer) = try await transport.post(url: webhook.url, headers: payload.headers, body: payload.body)
            return Result(success: status < 400, responseStatus: status, responseBody: String(decoding: answer, as: UTF8.self))
        } catch {
            return Result(success: false, errorMessage: "Failed to test webhook: \(error.localizedDescription)")
        }
    }

    /// MLflow's example payload for an event (`mlflow/webhooks/types.py`), for the events Slipway sends.
    static func example(_ event: WebhookEvent) -> JSONValue? {
        let tags = JSONValue.object([("example_key", .string("example_value"))])
        switch (event.entity, event.action) {
        case ("REGISTERED_MODEL", "CREATED"):
            return .object([("name", .string("example_model")), ("tags", tags), ("description", .string("An example registered model"))])
        case ("MODEL_VERSION", "CREATED"):
            return .object([
                ("name", .string("example_model")), ("version", .string("1")), ("source", .string("models:/123")), ("run_id", .string("abcd1234abcd5678")),
                ("tags", tags), ("description", .string("An example model version")),
            ])
        case ("MODEL_VERSION_TAG", "SET"):
            return .object([("name", .string("example_model")), ("version", .string("1")), ("key", .string("example_key")), ("value", .string("example_value"))])
        case ("MODEL_VERSION_TAG", "DELETED"):
            return .object([("name", .string("example_model")), ("version", .string("1")), ("key", .string("example_key"))])
        case ("MODEL_VERSION_ALIAS", "CREATED"):
            return .object([("name", .string("example_model")), ("alias", .string("example_alias")), ("version", .string("1"))])
        case ("MODEL_VERSION_ALIAS", "DELETED"):
            return .object([("name", .string("example_model")), ("alias", .string("example_alias"))])
        default:
            return nil
        }
    }
}
