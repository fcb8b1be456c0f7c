import Hummingbird
import NIOCore

/// `GET /metrics`: every metric of this server in Prometheus' text format.
struct MetricsController: Sendable {
    let metrics: PrometheusFactory

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }
}
