public import Hummingbird
public import Logging
import SlipwayCore
import SlipwayServing

/// Builds `slipway serve`: a serving-only process that follows a remote registry. No database, no
/// MLflow API: the prediction API, `/health`, `/ready` and `/metrics`, and a model host whose
/// source is the registry at `registry` (model files cached under the data directory).
public func buildReplicaApplication(_ config: AppConfiguration, registry: String, logger: Logger) throws -> some ApplicationProtocol {
    let metrics = PrometheusFactory.forServer()
    let source = try RemoteModelSource(registry: registry, cacheDirectory: config.dataDirectory + "/replica-cache", logger: logger)
    let host = ModelHost(
        targets: config.servedModels, source: source, pollInterval: config.servingPollInterval, logger: logger,
        metrics: ServingMetrics(factory: metrics), events: RemoteEventSink(source),
        eventSource: "/slipway/serve/\(config.host):\(config.port)")
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: HTTPMetricsMiddleware(factory: metrics))
    router.add(middleware: ErrorMiddleware(routes: RouteTable()))
    OperationsController(metrics: metrics).addRoutes(to: router)
    ServingController(host: host, maxBodyBytes: config.maxRequestBodyBytes, maxBatchRows: config.maxBatchRows).addRoutes(to: router)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "slipway"),
        logger: logger)
    app.addServices(host)
    return app
}
