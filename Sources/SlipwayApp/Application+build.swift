public import Hummingbird
public import Logging
import ServiceLifecycle
public import SlipwayCore
import SlipwayHTTP
import SlipwayJobs
import SlipwayServing
import SlipwayStore

/// Builds `slipway server`: the services over the store, the model host, the routes, and the
/// service group. Services start in the order added and stop in reverse, after the HTTP server
/// (which Hummingbird adds last, so it stops first): the scheduler, the deliverer, the model host
/// and the prediction log stop before the database closes.
public func buildApplication(_ config: AppConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    try buildApplication(config, services: try await AppServices.open(config, logger: logger), logger: logger)
}

/// Builds `slipway server` on services already open (tests open their own).
/// - Throws: `INVALID_PARAMETER_VALUE` when the TLS certificate or key cannot be used.
public func buildApplication(_ config: AppConfiguration, services: AppServices, logger: Logger) throws(SlipwayError) -> some ApplicationProtocol {
    let metrics = PrometheusFactory.forServer()
    let source = RegistryModelSource(registry: services.registry, files: services.modelFiles, tracking: services.tracking, changes: services.changes)
    let host = ModelHost(
        targets: config.servedModels, source: source, pollInterval: config.servingPollInterval, logger: logger,
        metrics: ServingMetrics(factory: metrics), events: services.events, eventSource: "/slipway/server/\(config.host):\(config.port)")
    let log = config.predictionLogSample > 0
        ? PredictionLog(
            store: services.predictionLog, sample: config.predictionLogSample, capacity: config.predictionLogQueueCapacity,
            retentionDays: config.predictionLogRetentionDays, metrics: metrics, logger: logger)
        : nil
    let router = ServerRoutes.server(
        services.api, host: host, predictionLog: log, logSource: "/slipway/server/\(config.host):\(config.port)", metrics: metrics, limits: config.limits,
        auth: config.auth, context: AppRequestContext.self)
    var app = Application(router: router, server: try config.serverBuilder(), configuration: config.serverConfiguration, logger: logger)
    app.addServices(
        DatabaseCloser(services: services, logger: logger), Checkpointer(database: services.database),
        ChangeFollower(services: services, logger: logger))
    // The log stops after the HTTP server (nothing more to queue) and writes its queue before the database closes.
    if let log { app.addServices(log) }
    app.addServices(
        host,
        WebhookDeliverer(store: services.deliveries, logger: logger, retryBaseMilliseconds: config.webhookRetryBaseMilliseconds),
        Scheduler(jobs: services.jobs, runner: services.jobRunner, logger: logger))
    return app
}

/// Builds `slipway serve`: a serving-only process that follows a remote registry. No database, no
/// MLflow API: the prediction API, `/health`, `/ready` and `/metrics`, a model host whose source
/// is the registry at `registry` (model files cached under the data directory), and a prediction
/// log shipped to that registry.
public func buildReplicaApplication(
    _ config: AppConfiguration, registry: String, token: String? = nil, certificateAuthority: String? = nil, servingAuth: Bool = false,
    logger: Logger
) throws -> some ApplicationProtocol {
    let metrics = PrometheusFactory.forServer()
    let source = try RemoteModelSource(
        registry: registry, token: token, certificateAuthority: certificateAuthority, cacheDirectory: config.dataDirectory + "/replica-cache",
        logger: logger)
    let host = ModelHost(
        targets: config.servedModels, source: source, pollInterval: config.servingPollInterval, logger: logger,
        metrics: ServingMetrics(factory: metrics), events: RemoteEventSink(source),
        eventSource: "/slipway/serve/\(config.host):\(config.port)")
    // Served predictions go to the registry in batches; what cannot be shipped yet waits in the bounded queue.
    let log = config.predictionLogSample > 0
        ? PredictionLog(
            store: RemotePredictionLog(source), sample: config.predictionLogSample, capacity: config.predictionLogQueueCapacity, retentionDays: nil,
            flushInterval: .milliseconds(500), metrics: metrics, logger: logger)
        : nil
    // --serving-auth: the registry says who each caller's token is.
    var authenticate: AuthMiddleware<AppRequestContext>.Authenticate? = nil
    if servingAuth { authenticate = { header, _, _ in try await source.identity(authorization: header) } }
    let router = ServerRoutes.replica(
        host: host, predictionLog: log, logSource: "/slipway/serve/\(config.host):\(config.port)", metrics: metrics, limits: config.limits,
        authenticate: authenticate, context: AppRequestContext.self)
    var app = Application(router: router, server: try config.serverBuilder(), configuration: config.serverConfiguration, logger: logger)
    // Added first, stopped last: the registry's connections close after the log and the host are done with them.
    app.addServices(RegistryCloser(source: source))
    if let log { app.addServices(log) }
    app.addServices(host)
    return app
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

/// Hears what other servers sharing a PostgreSQL database change (LISTEN/NOTIFY) and passes it on:
/// a model's flip wakes the model host and the replicas' long polls at once; a revoked token or a
/// changed grant drops what this server kept of it. Nothing to do on SQLite.
struct ChangeFollower: Service {
    let services: AppServices
    let logger: Logger

    func run() async throws {
        let (signals, registry) = (services.signals, services.changes)
        let listener = ChangeListener(database: services.database, logger: logger) { changes in
            for change in changes {
                signals.bump(change.kind)
                if change.kind == .model { registry.notify(change.subject) }
            }
        }
        await cancelWhenGracefulShutdown { await listener.run() }
        try? await gracefulShutdown()
    }
}

/// Closes a replica's connections to its registry once everything started after it has shut down.
struct RegistryCloser: Service {
    let source: RemoteModelSource

    func run() async throws {
        try? await gracefulShutdown()
        await source.shutdown()
    }
}

/// Closes the database once everything started after it has shut down.
struct DatabaseCloser: Service {
    let services: AppServices
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        try await services.close()
        logger.info("store.closed")
    }
}
