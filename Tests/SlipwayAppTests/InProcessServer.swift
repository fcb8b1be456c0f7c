import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SlipwayApp
import SlipwayCore
import SlipwayTestSupport

/// The whole server in this process: in-memory SQLite, its own artifact directory, the app's real
/// router, driven through HummingbirdTesting. The services stay reachable, so a test can look
/// behind the API or break the store on purpose.
struct InProcessServer {
    let services: AppServices
    let client: any TestClientProtocol

    /// Runs `body` against a fresh server.
    static func with(_ body: @Sendable (InProcessServer) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let config = AppConfiguration(dataDirectory: directory, inMemoryDatabase: true, maxRequestBodyBytes: 1 << 20)
            let services = try await AppServices.open(config, logger: quietLogger())
            let app = try buildApplication(config, services: services, logger: quietLogger())
            try await app.test(.router) { client in
                try await body(InProcessServer(services: services, client: client))
            }
            try? await services.close()
        }
    }

    /// Sends a JSON body (or none) and returns the status and the parsed answer (`null` when empty).
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, _ body: JSONValue? = nil) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
        let response = try await client.execute(
            uri: uri, method: method, headers: [.contentType: "application/json"],
            body: body.map { ByteBuffer(bytes: JSONWriter.bytes($0)) })
        let bytes = Array(response.body.readableBytesView)
        return (response.status, bytes.isEmpty ? .null : try JSONParser.parse(bytes))
    }

    /// The raw response, for headers.
    func response(_ method: HTTPRequest.Method, _ uri: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method)
    }

    /// A run that logged `metric` = `value`, registered as the model's next version; its number.
    func registerVersion(_ model: String, metric: String, value: Double) async throws -> Int {
        let experiment = try await call(.get, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=inproc")
        var experimentID = experiment.json["experiment"]?["experiment_id"]?.stringValue
        if experimentID == nil {
            experimentID = try await call(.post, "/api/2.0/mlflow/experiments/create", .object([("name", .string("inproc"))])).json["experiment_id"]?.stringValue
        }
        let run = try await call(.post, "/api/2.0/mlflow/runs/create", .object([("experiment_id", .string(experimentID ?? "0"))]))
        let runID = run.json["run"]?["info"]?["run_id"]?.stringValue ?? ""
        try await call(.post, "/api/2.0/mlflow/runs/log-metric", .object([
            ("run_id", .string(runID)), ("key", .string(metric)), ("value", .number(value)), ("timestamp", .int(Int64(1))), ("step", .int(0)),
        ]))
        try await call(.post, "/api/2.0/mlflow/runs/update", .object([("run_id", .string(runID)), ("status", .string("FINISHED"))]))
        if try await call(.get, "/api/2.0/mlflow/registered-models/get?name=\(model)").status == .notFound {
            try await call(.post, "/api/2.0/mlflow/registered-models/create", .object([("name", .string(model))]))
        }
        let version = try await call(.post, "/api/2.0/mlflow/model-versions/create", .object([
            ("name", .string(model)), ("source", .string("runs:/\(runID)/model")), ("run_id", .string(runID)),
        ]))
        guard let number = version.json["model_version"]?["version"]?.stringValue.flatMap({ Int($0) }) else {
            throw SlipwayError(.internalError, "model-versions/create answered \(version.status): \(JSONWriter.string(version.json))")
        }
        return number
    }
}
