import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SlipwayApp
import SlipwayCore
@testable import SlipwayHTTP
import SlipwayTestSupport
import Testing

@Suite("Auth: route scopes, tokens on the whole router")
struct AuthTests {
    @Test("Routes need the scope their class says; no spelling of a path needs less than its route")
    func routeScopes() {
        typealias R = RouteScopes
        #expect(R.need(.get, "/health") == .open && R.need(.get, "/ready?x=1") == .open)
        #expect(R.need(.post, "/health") == .scopes([.write]))
        #expect(R.need(.get, "//health") == .scopes([.read]) && R.need(.get, "/Health") == .scopes([.read]))
        #expect(R.need(.post, "/models/churn/predict") == .serving && R.need(.post, "/invocations") == .serving && R.need(.get, "/models") == .serving)
        #expect(R.need(.get, "/api/2.0/mlflow/runs/get?run_id=1") == .scopes([.read]))
        #expect(R.need(.post, "/api/2.0/mlflow/runs/search") == .scopes([.read]))
        #expect(R.need(.post, "/ajax-api/2.0/mlflow/experiments/search") == .scopes([.read]))
        #expect(R.need(.post, "/api/2.0/mlflow/runs/log-metric") == .scopes([.write]))
        #expect(R.need(.post, "/api/2.0/mlflow/webhooks") == .scopes([.admin]) && R.need(.get, "/api/2.0/mlflow/webhooks") == .scopes([.read]))
        #expect(R.need(.post, "/api/v1/models/churn/promote") == .scopes([.promote]))
        #expect(R.need(.put, "/api/v1/models/churn/policy") == .scopes([.promote]))
        #expect(R.need(.post, "/ui/models/churn/rollback") == .scopes([.promote]))
        #expect(R.need(.post, "/api/v1/jobs/nightly/run") == .scopes([.admin]) && R.need(.get, "/api/v1/jobs") == .scopes([.read]))
        #expect(R.need(.post, "/ui/jobs/nightly/run") == .scopes([.admin]))
        // Tricks: escapes, dot segments, doubled slashes and case need what the route they spell needs, and what they are as sent.
        #expect(R.need(.post, "/api/v1/models/churn/%70romote") == .scopes([.write, .promote]))
        #expect(R.need(.post, "/api/v1/models/churn/x/../promote") == .scopes([.write, .promote]))
        #expect(R.need(.post, "/API/v1/models/churn/promote") == .scopes([.write, .promote]))
        #expect(R.need(.post, "//api/2.0/mlflow/webhooks") == .scopes([.write, .admin]))
        #expect(R.need(.put, "/api/2.0/mlflow-artifacts/artifacts/x%2F..%2F..%2F..%2F..%2Fhealth") == .scopes([.write]))
        #expect(R.need(.get, "/health/..") == .scopes([.read]) && R.need(.get, "/x/../health") == .scopes([.read]))
        #expect(R.need(.post, "/models/churn/predict?x=1") == .serving && R.need(.get, "/health?probe=1") == .open)
        #expect(R.need(.post, "/models//predict") == .scopes([.write]) && R.need(.post, "/predict/") == .scopes([.write]))
        #expect(R.need(.get, "/models/") == .scopes([.read]) && R.need(.delete, "/models/churn") == .scopes([.write]))
    }

    @Test("The byte-level fast path agrees with the full classification on every path it decides")
    func quickPathAgrees() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["models", "predict", "invocations", "health", "ready", "churn", "", ".", "..", "%2e", "Models", "api", "?a=1", "x?y"]
        var decided = 0
        for _ in 0..<20_000 {
            let path = "/" + (0..<Int.random(in: 1...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined(separator: "/")
            for method in [HTTPRequest.Method.get, .head, .post, .put, .delete] {
                var copy = path
                guard let quick = copy.withUTF8({ RouteScopes.quickNeed(method, $0) }) else { continue }
                decided += 1
                #expect(quick == RouteScopes.fullNeed(method, path), "\(method) \(path)")
            }
        }
        #expect(decided > 1000)
    }

    @Test("Without a token 401, with too few scopes 403, with the right one through, revoked 401 again")
    func tokensOnTheRouter() async throws {
        try await withTemporaryDirectory { directory in
            var config = AppConfiguration(dataDirectory: directory, inMemoryDatabase: true, maxRequestBodyBytes: 1 << 20)
            config.auth = AuthSettings(cacheMilliseconds: 0)  // the revocation below shows at once
            let services = try await AppServices.open(config, logger: quietLogger())
            let admin = try #require(try await services.bootstrapAdmin(at: WallClock.milliseconds()))
            #expect(try await services.bootstrapAdmin() == nil)
            try await services.auth.createUser(User(name: "reader", isAdmin: false, createdAt: 1))
            let now = WallClock.milliseconds()
            let read = try await services.auth.createToken(name: "r", user: "reader", scopes: [.read], at: now, expiresAt: nil).text
            let app = try buildApplication(config, services: services, logger: quietLogger())
            try await app.test(.router) { client in
                func call(_ method: HTTPRequest.Method, _ uri: String, _ authorization: String?, _ body: String? = nil) async throws -> TestResponse {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let authorization { headers[.authorization] = authorization }
                    return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                }
                #expect(try await call(.get, "/health", nil).status == .ok)
                let anonymous = try await call(.get, "/api/2.0/mlflow/experiments/search?max_results=5", nil)
                #expect(anonymous.status == .unauthorized && anonymous.headers[.wwwAuthenticate]?.contains("Bearer") == true)
                #expect(String(buffer: anonymous.body).contains("UNAUTHENTICATED"))
                #expect(try await call(.get, "/no/such/route", nil).status == .unauthorized)
                for bad in ["Bearer", "Bearer slw_nope", "Basic !!!", "Token \(read)", "Bearer " + String(repeating: "a", count: 100_000)] {
                    #expect(try await call(.get, "/api/2.0/mlflow/experiments/search", bad).status == .unauthorized, "\(bad.prefix(30))")
                }
                #expect(try await call(.get, "/api/2.0/mlflow/experiments/search", "Bearer \(read)").status == .ok)
                let basic = "Basic " + Data("reader:\(read)".utf8).base64EncodedString()
                #expect(try await call(.get, "/api/2.0/mlflow/experiments/search", basic).status == .ok)
                let wrongUser = "Basic " + Data("admin:\(read)".utf8).base64EncodedString()
                #expect(try await call(.get, "/api/2.0/mlflow/experiments/search", wrongUser).status == .unauthorized)
                let denied = try await call(.post, "/api/2.0/mlflow/experiments/create", "Bearer \(read)", #"{"name":"x"}"#)
                #expect(denied.status == .forbidden && String(buffer: denied.body).contains("PERMISSION_DENIED"))
                #expect(try await call(.post, "/api/2.0/mlflow/experiments/create", "Bearer \(admin.text)", #"{"name":"x"}"#).status == .ok)
                _ = try await services.auth.revokeToken(read, at: WallClock.milliseconds())
                #expect(try await call(.get, "/api/2.0/mlflow/experiments/search", "Bearer \(read)").status == .unauthorized)
            }
            try? await services.close()
        }
    }
}

@Suite("Routes outside MLflow's API: which model, experiment or runs they are about")
struct PathResourcesTests {
    @Test("Targets name their resource, decoded; reading needs READ, changing EDIT, deleting an artifact MANAGE")
    func resources() {
        typealias P = PathResources
        #expect(P.resource(.get, "/api/v1/models/churn%20v2/decisions")! == (.model("churn v2"), .read))
        #expect(P.resource(.post, "/API/v1/models/Churn/promote")! == (.model("Churn"), .edit))
        #expect(P.resource(.post, "/ui/models/churn/rollback")! == (.model("churn"), .edit))
        #expect(P.resource(.get, "/api/v1/experiments/7/table?filter=x")! == (.experiment("7"), .read))
        #expect(P.resource(.get, "/api/v1/experiments/overview") == nil && P.resource(.get, "/api/v1/runs/compare") != nil)
        #expect(P.resource(.get, "/ui/runs/abc")! == (.runs(["abc"]), .read))
        #expect(P.resource(.get, "/api/v1/runs/compare?runs=a,b&runs=c")! == (.runs(["a", "b", "c"]), .read))
        #expect(P.resource(.put, "/api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/x.txt")! == (.artifacts("3/r/artifacts/x.txt"), .edit))
        #expect(P.resource(.delete, "/ajax-api/2.0/mlflow-artifacts/artifacts/3/r/artifacts/x.txt")! == (.artifacts("3/r/artifacts/x.txt"), .manage))
        #expect(P.resource(.get, "/api/2.0/mlflow-artifacts/artifacts/3%2Fr%2Fx.txt")! == (.artifacts("3/r/x.txt"), .read))
        #expect(P.resource(.get, "/api/2.0/mlflow-artifacts/artifacts/%2B03/r/x.txt")! == (.artifacts("+03/r/x.txt"), .read))
        #expect(P.resource(.get, "/api/2.0/mlflow-artifacts/artifacts?path=3/r/artifacts")! == (.artifacts("3/r/artifacts"), .read))
        #expect(P.resource(.get, "/api/2.0/mlflow-artifacts/artifacts")! == (.root, .read))
        #expect(P.resource(.get, "/ui/experiments/007")! == (.experiment("7"), .read))
        #expect(P.resource(.get, "/api/2.0/mlflow/experiments/get") == nil && P.resource(.get, "/models/churn") == nil)
    }
}

@Suite("Which experiments own a path of the artifact proxy")
struct ArtifactOwnersTests {
    let owners = ArtifactOwners {
        [("0", "mlflow-artifacts:/0"), ("5", "mlflow-artifacts:/5"), ("9", "mlflow-artifacts://host/team/a"), ("11", "s3://bucket/x")]
    }

    @Test("A path is its experiments' by location; one no location covers is its first segment's")
    func owned() async throws {
        #expect(try await owners.owners("5/run/artifacts/m.json") == ["5"])
        #expect(try await owners.owners("team/a/run/artifacts") == ["9"])
        #expect(try await owners.owners("team/a") == ["9"])
        #expect(try await owners.owners("team/ab/x") == ["team"])
        #expect(try await owners.owners("+05/x") == ["5"])
    }

    @Test("A new location may not share a folder with another's, take a number's folder, or be the root")
    func ownFolder() async throws {
        try await owners.requireOwnFolder("mlflow-artifacts:/team/b")
        try await owners.requireOwnFolder("s3://bucket/x")
        for taken in ["mlflow-artifacts:/team", "mlflow-artifacts:/team/a/deeper", "mlflow-artifacts:/5/x", "mlflow-artifacts:/", "mlflow-artifacts://h/12"] {
            await #expect(throws: SlipwayError.self, "\(taken)") { try await owners.requireOwnFolder(taken) }
        }
    }
}

@Suite("/metrics under per-model permissions")
struct MetricsFilterTests {
    @Test("Samples of a model the caller may not read are left out; comments and other samples stay")
    func readable() async throws {
        let text = """
            # HELP slipway_model_reload_failing Whether the last reload failed
            # TYPE slipway_model_reload_failing gauge
            slipway_model_reload_failing{model="churn"} 0
            slipway_model_reload_failing{model="secret \\"x\\""} 1
            slipway_served_version_info{alias="production",model="secret \\"x\\"",version="3"} 1
            slipway_http_requests_total{route="/models/{name}",method="POST",status="200"} 7

            """
        let kept = try await OperationsController.readable(Array(text.utf8)) { $0 != "secret \"x\"" }
        #expect(String(decoding: kept, as: UTF8.self) == """
            # HELP slipway_model_reload_failing Whether the last reload failed
            # TYPE slipway_model_reload_failing gauge
            slipway_model_reload_failing{model="churn"} 0
            slipway_http_requests_total{route="/models/{name}",method="POST",status="200"} 7

            """)
        #expect(OperationsController.modelLabel(Array("x{a=\"m,odel=\\\"\",model=\"m\"} 1".utf8)[...]) == "m")
    }
}
