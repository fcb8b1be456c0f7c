import Hummingbird
import NIOCore

/// What operators and orchestrators probe: `GET /health` (the process answers) and `GET /metrics`
/// (every metric of this process in Prometheus' text format). `/ready` is the serving controller's.
struct OperationsController: Sendable {
    let metrics: PrometheusFactory

    func addRoutes<Context: SlipwayRequestContext>(to router: Router<Context>) {
        router.get("health") { _, _ in "OK" }
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}
