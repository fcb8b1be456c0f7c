import Crypto
import Foundation
public import SlipwayCore

/// What is sent for one delivery: the body in the webhook's format and the headers, signed the way
/// MLflow signs its webhooks (Standard Webhooks): `X-MLflow-Signature: v1,<base64 HMAC-SHA256 of
/// "<delivery id>.<unix seconds>.<body>">`, with `X-MLflow-Delivery-Id` and `X-MLflow-Timestamp`,
/// so a receiver written for MLflow verifies Slipway's deliveries unchanged.
public struct WebhookPayload: Sendable {
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(delivery: Delivery, event: Event, subscription: Subscription, at time: Int64) {
        let contentType: String
        switch subscription.format {
        case .cloudEvents:
            body = JSONWriter.bytes(event.cloudEvent)
            contentType = "application/cloudevents+json"
        case .slack:
            body = JSONWriter.bytes(.object([("text", .string(Self.text(event)))]))
            contentType = "application/json"
        }
        let timestamp = String(time / 1000)
        headers = [
            ("Content-Type", contentType), ("User-Agent", "slipway-webhooks"), ("X-Slipway-Event-Type", event.type), ("X-Slipway-Event-Id", event.id),
            ("X-MLflow-Delivery-Id", delivery.id), ("X-MLflow-Timestamp", timestamp),
        ]
        if let secret = subscription.secret {
            headers.append(("X-MLflow-Signature", Self.signature(secret: secret, deliveryID: delivery.id, timestamp: timestamp, body: body)))
        }
    }

    /// `v1,` + base64 of HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>").
    public static func signature(secret: String, deliveryID: String, timestamp: String, body: [UInt8]) -> String {
        var message = Array("\(deliveryID).\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// One line a person reads in a chat channel.
    static func text(_ event: Event) -> String {
        let data = (try? JSONParser.parse(event.data)) ?? .object([])
        let model = data["model_name"]?.stringValue ?? "?"
        let version = data["version"]?.stringValue.map { "v\($0)" } ?? ""
        func number(_ key: String) -> String? {
            guard case .number(let x)? = data[key] else { return nil }
            return String(format: "%.6g", x)
        }
        switch event.knownType {
        case .modelPromoted?:
            let metric = data["metric"]?.stringValue
            let values = metric.flatMap { m in number("value").map { v in " (\(m) \(v)" + (number("champion_value").map { " vs \($0)" } ?? "") + ")" } } ?? ""
            let previous = data["previous_version"]?.stringValue.map { ", replacing v\($0)" } ?? ""
            return ":rocket: \(model) \(version) promoted to production\(values)\(previous)."
        case .modelStaged?:
            return data["awaiting_approval"] == .bool(true)
                ? ":hourglass: \(model) \(version) is staged and waits for approval: `slipway approve \(model) \(data["version"]?.stringValue ?? "")`."
                : ":package: \(model) \(version) staged: not better than production by enough."
        case .modelArchived?: return ":file_cabinet: \(model) \(version) archived."
        case .modelRolledBack?:
            return ":rewind: \(model) rolled back to \(version)" + (data["rolled_back_version"]?.stringValue.map { " (from v\($0))" } ?? "") + "."
        case .servingLoadFailed?:
            return ":warning: \(model) \(version) failed to load for serving: \(data["error"]?.stringValue ?? "unknown error")"
        default:
            return "\(event.type): \(event.subject)"
        }
    }
}
