@testable import SlipwayHTTP
import SlipwayCore
import Testing

@Suite("/openapi.json: the hand-written document completed with every route and its security")
struct OpenAPICompletionTests {
    @Test("Every route of the router is in the document; captures and wildcards become path parameters")
    func everyRoute() throws {
        let routes = OpenAPIController.serverRoutesForTest
        let document = OpenAPICompletion.complete(OpenAPIController.parsed, routes: routes)
        let paths = OpenAPICompletion.members(document["paths"])
        for route in routes where route.method != "HEAD" {
            let (template, _) = OpenAPICompletion.openAPIPath(route.path)
            let item = try #require(paths.first { $0.0 == template }?.1, "\(route.path)")
            #expect(item[route.method.lowercased()] != nil, "\(route.method) \(route.path)")
        }
        #expect(OpenAPICompletion.openAPIPath("/api/2.0/mlflow-artifacts/artifacts/**") == ("/api/2.0/mlflow-artifacts/artifacts/{path}", ["path"]))
        #expect(OpenAPICompletion.openAPIPath("/ui/models/{name}/deliveries/{id}/replay").1 == ["name", "id"])
    }

    @Test("Operations carry their security and the answers auth and limits give")
    func security() throws {
        let document = OpenAPICompletion.complete(OpenAPIController.parsed, routes: OpenAPIController.serverRoutesForTest)
        let health = try #require(document["paths"]?["/health"]?["get"])
        #expect(health["security"] == .array([]) && health["responses"]?["401"] == nil && health["responses"]?["429"] != nil)
        let log = try #require(document["paths"]?["/api/2.0/mlflow/runs/log-metric"]?["post"])
        #expect(log["security"] == nil && log["responses"]?["401"] != nil && log["responses"]?["403"] != nil && log["requestBody"] != nil)
        let predict = try #require(document["paths"]?["/models/{name}/predict"]?["post"])
        #expect(predict["security"]?.arrayValue?.first == .object([]) && predict["responses"]?["404"] != nil)
        #expect(document["security"]?.arrayValue?.count == 2 && document["components"]?["securitySchemes"]?["bearer"] != nil)
    }
}

extension OpenAPIController {
    /// A sample of the server router's routes, spelled as Hummingbird describes them.
    static let serverRoutesForTest: [OpenAPICompletion.Route] = [
        .init(method: "POST", path: "/api/2.0/mlflow/runs/log-metric"), .init(method: "POST", path: "/ajax-api/2.0/mlflow/runs/log-metric"),
        .init(method: "GET", path: "/api/2.0/mlflow/registered-models/get"), .init(method: "HEAD", path: "/health"),
        .init(method: "GET", path: "/health"), .init(method: "GET", path: "/api/2.0/mlflow-artifacts/artifacts/**"),
        .init(method: "PUT", path: "/api/2.0/mlflow-artifacts/artifacts/**"), .init(method: "POST", path: "/ui/models/{name}/rollback"),
        .init(method: "GET", path: "/api/v1/models/{name}/policy"), .init(method: "POST", path: "/models/{name}/predict"),
        .init(method: "GET", path: "/"),
    ]
}
