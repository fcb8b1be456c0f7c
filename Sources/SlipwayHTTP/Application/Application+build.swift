public import Hummingbird
public import Logging
import ServiceLifecycle
import SlipwayCore
import SlipwayJobs
import SlipwayServing
import SlipwayStore

/// Builds the Slipway server: opens the stores, mounts every API, and closes the database after
/// the HTTP server has stopped (services shut down in reverse order).
public func buildApplication(_ config: AppConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let stores = try await Stores.open(config, logger: logger)
    let metrics = PrometheusFactory.forServer()
    let source = RegistryModelSource(registry: stores.registry, tracking: stores.tracking, artifacts: stores.artifacts, changes: stores.registry.changes)
    let host = ModelHost(
        targets: config.servedModels, source: source, pollInterval: config.servingPollInterval, logger: logger,
        metrics: ServingMetrics(factory: metrics), events: stores.events, eventSource: "/slipway/server/\(config.host):\(config.port)")
    let router = buildRouter(stores, host: host, source: source, metrics: metrics, config: config)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "slipway"),
        logger: logger)
    // Started in this order, stopped in reverse: the host, the deliverer and the scheduler stop before the database closes.
    let deliverer = WebhookDeliverer(store: stores.deliveries, logger: logger, retryBaseMilliseconds: config.webhookRetryBaseMilliseconds)
    let scheduler = Scheduler(jobs: stores.jobs, runner: stores.jobRunner, logger: logger)
    app.addServices(DatabaseCloser(database: stores.database, logger: logger), Checkpointer(database: stores.database), host, deliverer, scheduler)
    return app
}

/// Every route of the server, MLflow's under both `/api/2.0` and `/ajax-api/2.0`.
func buildRouter(
    _ stores: Stores, host: ModelHost, source: RegistryModelSource, metrics: PrometheusFactory, config: AppConfiguration
) -> Router<BasicRequestContext> {
    let table = RouteTable()
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: HTTPMetricsMiddleware(factory: metrics))
    router.add(middleware: ErrorMiddleware(routes: table))

    let collection = RouteCollection(context: BasicRequestContext.self)
    let mlflow = MLflowRoutes(collection: collection, limit: config.maxRequestBodyBytes, table: table)
    ExperimentsController(store: stores.tracking).addRoutes(to: mlflow)
    RunsController(store: stores.tracking, now: WallClock.milliseconds).addRoutes(to: mlflow)
    LoggedModelsController(store: stores.tracking).addRoutes(to: mlflow)
    RegisteredModelsController(registry: stores.registry).addRoutes(to: mlflow)
    ModelVersionsController(store: stores.tracking, registry: stores.registry).addRoutes(to: mlflow)
    WebhooksController(store: stores.webhooks).addRoutes(to: mlflow)
    let artifacts = ArtifactsController(store: stores.tracking, artifacts: stores.artifacts, maxArtifactBytes: config.maxArtifactBytes)
    artifacts.addTrackingRoutes(to: mlflow)
    let proxy = RouteCollection(context: BasicRequestContext.self)
    artifacts.addProxyRoutes(to: proxy)

    for prefix in ["api", "ajax-api"] {
        router.addRoutes(collection, atPath: "\(prefix)/2.0/mlflow")
        router.addRoutes(proxy, atPath: "\(prefix)/2.0/mlflow-artifacts")
    }
    ServerInfoController().addRoutes(to: router)
    OperationsController(metrics: metrics).addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)
    ServingController(host: host, maxBodyBytes: config.maxRequestBodyBytes, maxBatchRows: config.maxBatchRows).addRoutes(to: router)
    PromotionController(promotions: stores.promotions, promoter: stores.promoter, maxBodyBytes: config.maxRequestBodyBytes).addRoutes(to: router)
    EvaluationController(evaluator: stores.evaluator, evaluations: stores.evaluations, maxBodyBytes: config.maxRequestBodyBytes).addRoutes(to: router)
    JobsController(jobs: stores.jobs, runner: stores.jobRunner, maxBodyBytes: config.maxRequestBodyBytes).addRoutes(to: router)
    DeliveriesController(deliveries: stores.deliveries, maxBodyBytes: config.maxRequestBodyBytes).addRoutes(to: router)
    EventsController(events: stores.events, maxBodyBytes: config.maxRequestBodyBytes).addRoutes(to: router)
    RegistryFeedController(changes: stores.registry.changes, registry: stores.registry, source: source).addRoutes(to: router)
    return router
}

/// Checkpoints SQLite's write-ahead log in the background until shutdown.
struct Checkpointer: Service {
    let database: StoreDatabase

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await database.runCheckpoints()
        }
        // Nothing to do on PostgreSQL or in memory: stay up until shutdown, as a service must.
        try? await gracefulShutdown()
    }
}

/// Closes the database once everything started after it has shut down.
struct DatabaseCloser: Service {
    let database: StoreDatabase
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        try await database.close()
        logger.info("store.closed")
    }
}
