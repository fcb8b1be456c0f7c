import HTTPTypes
import NIOConcurrencyHelpers

/// The MLflow endpoints and their methods, recorded while routes are registered, so that a
/// known path called with the wrong method answers 405 (as MLflow does) rather than 404.
final class RouteTable: Sendable {
    private let methods = NIOLockedValueBox<[String: Set<HTTPRequest.Method>]>([:])

    /// Records `method path` for each mount prefix.
    func record(_ method: HTTPRequest.Method, _ path: String) {
        methods.withLockedValue { _ = $0[path, default: []].insert(method) }
    }

    /// The methods a request path (with its `/api/2.0/mlflow/` or `/ajax-api/2.0/mlflow/` prefix) accepts.
    func allowedMethods(forRequestPath path: String) -> Set<HTTPRequest.Method> {
        for prefix in ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"] where path.hasPrefix(prefix) {
            let suffix = String(path.dropFirst(prefix.count))
            return methods.withLockedValue { $0[suffix] ?? [] }
        }
        return []
    }
}
