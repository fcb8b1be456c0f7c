import HTTPTypes
import Hummingbird
import SlipwayCore

/// A JSON endpoint of the MLflow API: it gets the request's fields and returns the response JSON.
typealias MLflowHandler = @Sendable (MLflowRequest) async throws -> JSONValue

/// Where controllers register MLflow endpoints: the route collection (mounted under both
/// `/api/2.0/...` and `/ajax-api/2.0/...`), the JSON body limit, and the table of known routes.
struct MLflowRoutes<Context: SlipwayRequestContext> {
    let collection: RouteCollection<Context>
    let limit: Int
    let table: RouteTable

    /// Registers a JSON endpoint: fields read from query or body, the handler's JSON sent with 200.
    func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping MLflowHandler) {
        table.record(method, path)
        let limit = self.limit
        collection.on(RouterPath(path), method: method) { request, context -> Response in
            var fields = try await MLflowRequest.read(request, limit: limit)
            fields.actor = context.actor
            fields.identity = context.identity
            return .json(try await handler(fields))
        }
    }
}
