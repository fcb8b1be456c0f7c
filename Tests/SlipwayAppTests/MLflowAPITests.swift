import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SlipwayCore
import Testing
import SlipwayApp
@testable import SlipwayHTTP

@Suite("MLflow API in process")
struct MLflowAPITests {
    /// Runs `body` against a fresh in-memory server with its own artifact directory.
    func withApp(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let dir = "/tmp/slipway-http-test-" + IDGenerator.hex32()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let config = AppConfiguration(dataDirectory: dir, inMemoryDatabase: true, maxRequestBodyBytes: 1 << 20)
        let app = try await buildApplication(config, logger: logger)
        try await app.test(.router, body)
    }

    func json(_ buffer: ByteBuffer) throws -> JSONValue {
        try JSONParser.parse(Array(buffer.readableBytesView))
    }

    @Test("Create and read an experiment, under /api and /ajax-api")
    func experiment() async throws {
        try await withApp { client in
            let created = try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, body: ByteBuffer(string: #"{"name":"e1"}"#))
            #expect(created.status == .ok)
            #expect(try json(created.body) == .object([("experiment_id", .string("1"))]))
            let fetched = try await client.execute(uri: "/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=e1", method: .get)
            #expect(try json(fetched.body)["experiment"]?["artifact_location"] == .string("mlflow-artifacts:/1"))
        }
    }

    @Test("Errors are MLflow JSON with MLflow's statuses")
    func errors() async throws {
        try await withApp { client in
            let missing = try await client.execute(uri: "/api/2.0/mlflow/experiments/get?experiment_id=987654", method: .get)
            #expect(missing.status == .notFound)
            #expect(try json(missing.body)["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))

            _ = try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, body: ByteBuffer(string: #"{"name":"e"}"#))
            let duplicate = try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, body: ByteBuffer(string: #"{"name":"e"}"#))
            #expect(duplicate.status == .badRequest)
            #expect(try json(duplicate.body)["error_code"] == .string("RESOURCE_ALREADY_EXISTS"))

            let malformed = try await client.execute(uri: "/api/2.0/mlflow/runs/log-batch", method: .post, body: ByteBuffer(string: "{not json"))
            #expect(malformed.status == .badRequest)
            #expect(try json(malformed.body)["error_code"] == .string("BAD_REQUEST"))

            let notObject = try await client.execute(uri: "/api/2.0/mlflow/runs/create", method: .post, body: ByteBuffer(string: "[1,2]"))
            #expect(notObject.status == .badRequest)

            let wrongType = try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post, body: ByteBuffer(string: #"{"name": 5}"#))
            #expect(wrongType.status == .badRequest)
            #expect(try json(wrongType.body)["error_code"] == .string("INVALID_PARAMETER_VALUE"))

            let noParam = try await client.execute(uri: "/api/2.0/mlflow/runs/get", method: .get)
            #expect(noParam.status == .badRequest)

            let wrongMethod = try await client.execute(uri: "/api/2.0/mlflow/runs/create", method: .get)
            #expect(wrongMethod.status == .methodNotAllowed)

            let unknown = try await client.execute(uri: "/api/2.0/mlflow/no-such-endpoint", method: .get)
            #expect(unknown.status == .notFound)
            #expect(try json(unknown.body)["error_code"] == .string("ENDPOINT_NOT_FOUND"))

            let huge = try await client.execute(uri: "/api/2.0/mlflow/runs/log-batch", method: .post,
                                                body: ByteBuffer(string: String(repeating: "a", count: 2 << 20)))
            #expect(huge.status == .contentTooLarge)

            let badAlias = try await client.execute(uri: "/api/2.0/mlflow/registered-models/create", method: .post, body: ByteBuffer(string: #"{"name":"m"}"#))
            #expect(badAlias.status == .ok)
            let alias = try await client.execute(uri: "/api/2.0/mlflow/registered-models/alias?name=m&alias=nope", method: .get)
            #expect(alias.status == .badRequest)
            #expect(try json(alias.body)["error_code"] == .string("INVALID_PARAMETER_VALUE"))
        }
    }

    @Test("Artifacts: upload, list, download, and paths that climb out are refused")
    func artifacts() async throws {
        try await withApp { client in
            let put = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a%20b.txt", method: .put, body: ByteBuffer(string: "hello"))
            #expect(put.status == .ok)
            let list = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts?path=1%2Fr%2Fartifacts", method: .get)
            #expect(try json(list.body) == .object([("files", .array([.object([("path", .string("a b.txt")), ("is_dir", .bool(false)), ("file_size", .int(5))])]))]))
            let get = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a%20b.txt", method: .get)
            #expect(String(buffer: get.body) == "hello")
            #expect(get.headers[.contentType]?.hasPrefix("text/plain") == true)
            let missing = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/1/nope/artifacts/missing.txt", method: .get)
            #expect(missing.status == .notFound)
            #expect(try json(missing.body)["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
            let fileList = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts?path=1/r/artifacts/a%20b.txt", method: .get)
            #expect(try json(fileList.body) == .object([]))
            for bad in ["1/%2E%2E/%2E%2E/etc/passwd", "1/r/..%2F..%2Fx", "%2Fetc%2Fpasswd"] {
                let response = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/\(bad)", method: .put, body: ByteBuffer(string: "x"))
                #expect(response.status == .badRequest, "\(bad)")
            }
            let climbList = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts?path=..", method: .get)
            #expect(climbList.status == .badRequest)
        }
    }

    @Test("Query strings: '+' is a space, repeated keys are lists")
    func queryParsing() {
        let fields = MLflowRequest.queryFields("filter=tag.%60a%60+%21%3D+%27true%27&order_by=a&order_by=b")
        #expect(fields["filter"] == .string("tag.`a` != 'true'"))
        #expect(fields["order_by"] == .array([.string("a"), .string("b")]))
    }
}
