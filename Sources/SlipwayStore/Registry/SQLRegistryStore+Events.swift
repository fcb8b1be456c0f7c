import SlipwayCore
import SQLKit

/// MLflow's registry events (`registered_model.created`, `model_version.created`, tags set and
/// deleted, aliases created and deleted), written in the transaction of the change with MLflow's
/// webhook payload as their data, so that webhooks registered through MLflow's API receive what
/// MLflow would send them. Prompts (registered models tagged `mlflow.prompt.is_prompt`) are not
/// announced: MLflow sends them as prompt events, which Slipway does not deliver.
extension SQLRegistryStore {
    static let eventSource = "/slipway/registry"
    static let promptTag = "mlflow.prompt.is_prompt"

    func announce(_ db: any SQLDatabase, _ type: EventType, model: String, version: Int? = nil, _ data: [(String, JSONValue)]) async throws {
        let tag = try await database.first(db, "SELECT value FROM registered_model_tags WHERE name = \(bind: model) AND key = \(bind: Self.promptTag)")
        if try tag?.string("value").lowercased() == "true" { return }
        let subject = "models/\(model)" + (version.map { "/versions/\($0)" } ?? "")
        try await Outbox.append(database, db, Event(type: type, source: Self.eventSource, subject: subject, time: now(), data: .object(data)))
    }

    /// MLflow's `tags` field: an object of strings.
    static func tagObject(_ tags: [KeyValue]) -> JSONValue {
        .object(tags.map { ($0.key, .string($0.value)) })
    }

    /// MLflow sends `null` for an empty optional string.
    static func nullable(_ text: String?) -> JSONValue {
        guard let text, !text.isEmpty else { return .null }
        return .string(text)
    }
}
