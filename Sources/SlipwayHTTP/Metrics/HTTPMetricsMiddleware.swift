import CoreMetrics
import Dispatch
import Hummingbird
import Synchronization

/// Counts every request by route, method and status and times it, outside the error middleware so
/// errors are counted with the status the client saw. Routes are the router's patterns
/// (`/models/{name}/predict`), so the label set stays bounded whatever paths clients send.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    static var help: [String: String] {
        [
            "slipway_http_requests_total": "HTTP requests answered, by route pattern, method and status.",
            "slipway_http_request_duration_seconds": "Time to answer an HTTP request, by route pattern and method.",
        ]
    }

    let handles: HandleCache

    init(factory: any MetricsFactory) {
        handles = HandleCache(factory: factory)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        let (counter, timer) = handles.handles(route: route, method: request.method, status: response.status.code)
        counter.increment()
        timer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
        return response
    }

    /// One lookup per request instead of a registry call: handles by route, method and status.
    final class HandleCache: Sendable {
        struct Key: Hashable {
            var route: String
            var method: HTTPRequest.Method
            var status: Int
        }

        let factory: any MetricsFactory
        let cache = Mutex<[Key: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

        init(factory: any MetricsFactory) {
            self.factory = factory
        }

        func handles(route: String, method: HTTPRequest.Method, status: Int) -> (CoreMetrics.Counter, CoreMetrics.Timer) {
            let key = Key(route: route, method: method, status: status)
            if let found = cache.withLock({ $0[key] }) { return found }
            let made = (
                CoreMetrics.Counter(
                    label: "slipway_http_requests_total",
                    dimensions: [("route", route), ("method", method.rawValue), ("status", String(status))], factory: factory),
                CoreMetrics.Timer(
                    label: "slipway_http_request_duration_seconds", dimensions: [("route", route), ("method", method.rawValue)], factory: factory)
            )
            return cache.withLock { cache in
                if let found = cache[key] { return found }
                cache[key] = made
                return made
            }
        }
    }
}
