import HTTPTypes
import Hummingbird
import SlipwayCore

/// A JSON endpoint of the MLflow API: it gets the request's fields and returns the response JSON.
typealias MLflowHandler = @Sendable (MLflowRequest) async throws -> JSONValue

extension RouteCollection where Context == BasicRequestContext {
    /// Registers an MLflow JSON endpoint: fields read from query or body (up to `limit` bytes),
    /// the handler's JSON sent back with 200.
    @discardableResult
    func mlflow(_ method: HTTPRequest.Method, _ path: RouterPath, limit: Int, _ handler: @escaping MLflowHandler) -> Self {
        on(path, method: method) { request, _ -> Response in
            let fields = try await MLflowRequest.read(request, limit: limit)
            return .json(try await handler(fields))
        }
        return self
    }
}
