import Crypto
import Foundation
public import SlipwayCore

/// What is sent for one delivery: the body in the webhook's format and the headers, signed the way
/// MLflow signs its webhooks (Standard Webhooks): `X-MLflow-Signature: v1,<base64 HMAC-SHA256 of
/// "<delivery id>.<unix seconds>.<body>">`, with `X-MLflow-Delivery-Id` and `X-MLflow-Timestamp`,
/// so a receiver written for MLflow verifies Slipway's deliveries unchanged. Slipway's webhooks get
/// the CloudEvent or a Slack text; webhooks registered through MLflow's API get MLflow's own body,
/// `{"entity": "model_version", "action": "created", "timestamp": "<ISO 8601>", "data": {...}}`.
public struct WebhookPayload: Sendable {
    public var body: [UInt8]
    public var headers: [(String, String)]

    /// The payload of one delivery, in the format its webhook takes.
    public init(delivery: Delivery, event: Event, webhook: WebhookReceiver, at time: Int64) {
        switch webhook {
        case .slipway(let subscription):
            let headers = [("User-Agent", "slipway-webhooks"), ("X-Slipway-Event-Type", event.type), ("X-Slipway-Event-Id", event.id)]
            switch subscription.format {
            case .cloudEvents:
                self.init(body: JSONWriter.bytes(event.cloudEvent), contentType: "application/cloudevents+json", headers: headers,
                          deliveryID: delivery.id, secret: subscription.secret, at: time)
            case .slack:
                self.init(body: JSONWriter.bytes(.object([("text", .string(Self.text(event)))])), contentType: "application/json", headers: headers,
                          deliveryID: delivery.id, secret: subscription.secret, at: time)
            }
        case .mlflow(let registration):
            let mlflow = event.knownType?.mlflowEvent
            self.init(
                mlflowEntity: mlflow?.entity ?? "", action: mlflow?.action ?? "", data: (try? JSONParser.parse(event.data)) ?? .object([]),
                deliveryID: delivery.id, secret: registration.secret, at: time)
        }
    }

    /// MLflow's webhook body: the entity and action in lower case, the time of sending as Python's
    /// `datetime.now(timezone.utc).isoformat()` writes it, and the event's payload.
    public init(mlflowEntity entity: String, action: String, data: JSONValue, deliveryID: String, secret: String?, at time: Int64) {
        let body = JSONWriter.bytes(.object([
            ("entity", .string(entity.lowercased())), ("action", .string(action.lowercased())), ("timestamp", .string(Self.isoTimestamp(time))), ("data", data),
        ]))
        self.init(body: body, contentType: "application/json", headers: [("User-Agent", "slipway-webhooks")], deliveryID: deliveryID, secret: secret, at: time)
    }

    /// The body with MLflow's delivery headers, signed when there is a secret.
    init(body: [UInt8], contentType: String, headers: [(String, String)], deliveryID: String, secret: String?, at time: Int64) {
        let timestamp = String(time / 1000)
        self.body = body
        self.headers = [("Content-Type", contentType)] + headers + [("X-MLflow-Delivery-Id", deliveryID), ("X-MLflow-Timestamp", timestamp)]
        if let secret {
            self.headers.append(("X-MLflow-Signature", Self.signature(secret: secret, deliveryID: deliveryID, timestamp: timestamp, body: body)))
        }
    }

    /// `2026-12-02T10:38:12.123000+00:00`.
    static func isoTimestamp(_ milliseconds: Int64) -> String {
        let rfc = WallClock.rfc3339(milliseconds: milliseconds)  // 2026-12-02T10:38:12.123Z
        return rfc.hasSuffix("Z") ? String(rfc.dropLast()) + "000+00:00" : rfc
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
        let model = (data["model_name"] ?? data["model"])?.stringValue ?? "?"  // `model` in events recorded before 0008
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
        case .modelDriftDetected?:
            let columns = data["drifted_columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return ":warning: \(model) \(version): data drift, \(columns.count) of \(number("columns") ?? "?") columns drifted"
                + " (share \(number("share") ?? "?") >= \(number("threshold") ?? "?"))"
                + (columns.isEmpty ? "" : ": " + columns.prefix(10).joined(separator: ", "))
                + " against \(data["reference"]?.stringValue ?? "the reference") over the last \(data["window"]?.stringValue ?? "window")"
                + " (rule \(data["rule"]?.stringValue ?? "?"), action \(data["action"]?.stringValue ?? "notify"))."
        case .modelPerformanceDegraded?:
            let metric = data["metric"]?.stringValue ?? "metric"
            let bound = number("max").map { "above max \($0)" } ?? number("min").map { "below min \($0)" } ?? "out of bounds"
            return ":chart_with_downwards_trend: \(model) \(version): \(metric) \(number("value") ?? "?") \(bound) on \(number("labeled") ?? "?") labeled predictions"
                + " over the last \(data["window"]?.stringValue ?? "window") (rule \(data["rule"]?.stringValue ?? "?"), action \(data["action"]?.stringValue ?? "notify"))."
        case .modelMonitorCleared?:
            return ":white_check_mark: \(model) \(version): monitoring rule \(data["rule"]?.stringValue ?? "?") cleared."
        case .servingLoadFailed?:
            return ":warning: \(model) \(version) failed to load for serving: \(data["error"]?.stringValue ?? "unknown error")"
        case .dataValidationFailed?:
            let rules = data["violations"]?.arrayValue?.compactMap { $0["rule"]?.stringValue } ?? []
            return ":no_entry: Validation of \(data["source"]?.stringValue ?? "?") failed (job \(data["job"]?.stringValue ?? "?")): "
                + "\(rules.count) rule\(rules.count == 1 ? "" : "s") broken" + (rules.isEmpty ? "." : ": " + rules.prefix(10).joined(separator: ", ") + ".")
        case .jobFailed?:
            return ":x: Job \(data["job"]?.stringValue ?? "?") failed (run \(data["run_id"]?.stringValue ?? "?")): \(data["output"]?.stringValue.map { String($0.suffix(300)) } ?? "")"
        default:
            return "\(event.type): \(event.subject)"
        }
    }
}
