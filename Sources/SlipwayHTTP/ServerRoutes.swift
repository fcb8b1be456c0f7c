public import Hummingbird
public import SlipwayCore
public import SlipwayJobs
public import SlipwayServing

/// What the routes of `slipway server` work on: store protocols and services, never a concrete
/// backend. The composition root (SlipwayApp) builds it once.
public struct APIServices: Sendable {
    public var tracking: any TrackingStore
    public var registry: any RegistryStore
    public var artifacts: any ArtifactRepository
    public var modelFiles: any ModelVersionFiles
    public var webhooks: any WebhookStore
    public var events: any EventStore
    public var promotions: any PromotionStore
    public var deliveries: any DeliveryStore
    public var evaluations: any EvaluationStore
    public var jobs: any JobStore
    /// The log of served predictions, and every prediction read back.
    public var predictionLog: any PredictionLogStore
    /// Actuals, and predictions joined to them.
    public var actuals: any ActualsStore
    /// Drift results with their reference and window.
    public var driftReports: any DriftReportStore
    /// Monitoring rules and their state.
    public var monitorRules: any MonitorRuleStore
    /// Users and their API tokens.
    public var auth: any AuthStore
    /// Signalled on every alias, stage or version change: the replicas' long poll.
    public var changes: RegistryChanges
    /// Tokens and grants changed on other servers sharing the database (PostgreSQL's LISTEN/NOTIFY).
    public var signals = ChangeSignals()
    public var promoter: Promoter
    public var evaluator: Evaluator
    public var jobRunner: JobRunner
    /// Sends MLflow's example payloads for `webhooks/{id}/test`.
    public var webhookTester: MLflowWebhookTester

    public init(
        tracking: any TrackingStore, registry: any RegistryStore, artifacts: any ArtifactRepository, modelFiles: any ModelVersionFiles,
        webhooks: any WebhookStore, events: any EventStore, promotions: any PromotionStore, deliveries: any DeliveryStore,
        evaluations: any EvaluationStore, jobs: any JobStore, predictionLog: any PredictionLogStore, actuals: any ActualsStore, driftReports: any DriftReportStore,
        monitorRules: any MonitorRuleStore, auth: any AuthStore, changes: RegistryChanges, promoter: Promoter, evaluator: Evaluator, jobRunner: JobRunner,
        webhookTester: MLflowWebhookTester
    ) {
        self.tracking = tracking
        self.registry = registry
        self.artifacts = artifacts
        self.modelFiles = modelFiles
        self.webhooks = webhooks
        self.events = events
        self.promotions = promotions
        self.deliveries = deliveries
        self.evaluations = evaluations
        self.jobs = jobs
        self.predictionLog = predictionLog
        self.actuals = actuals
        self.driftReports = driftReports
        self.monitorRules = monitorRules
        self.auth = auth
        self.changes = changes
        self.promoter = promoter
        self.evaluator = evaluator
        self.jobRunner = jobRunner
        self.webhookTester = webhookTester
    }
}

extension APIServices {
    /// Drift of served rows against reference datasets, stored as it is computed.
    public var driftMonitor: DriftMonitor {
        DriftMonitor(evaluator: evaluator, registry: registry, predictionLog: predictionLog, reports: driftReports)
    }
}

/// The largest requests the routes accept.
public struct RequestLimits: Sendable {
    /// A JSON request body (and a dataset upload), in bytes.
    public var bodyBytes: Int
    /// One artifact file, in bytes.
    public var artifactBytes: Int64
    /// Rows in one prediction request.
    public var batchRows: Int

    public init(bodyBytes: Int, artifactBytes: Int64, batchRows: Int) {
        self.bodyBytes = bodyBytes
        self.artifactBytes = artifactBytes
        self.batchRows = batchRows
    }
}

/// The routers of Slipway's two servers.
public enum ServerRoutes {
    /// Every route of `slipway server`: MLflow's API under both `/api/2.0` and `/ajax-api/2.0`, the
    /// artifact proxy, `/api/v1`, serving, `/health`, `/metrics`, `/openapi.json`.
    public static func server<Context: SlipwayRequestContext>(
        _ services: APIServices, host: ModelHost, predictionLog: PredictionLog?, logSource: String, metrics: PrometheusFactory, limits: RequestLimits,
        auth: AuthSettings? = nil, context: Context.Type
    ) -> Router<Context> {
        let table = RouteTable()
        let router = Router(context: Context.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: HTTPMetricsMiddleware(factory: metrics))
        router.add(middleware: ErrorMiddleware(routes: table))
        let tracking = services.tracking
        let gate = auth.map {
            PermissionGate(
                store: services.auth, defaultPermission: $0.defaultPermission, cacheMilliseconds: $0.cacheMilliseconds,
                experimentOfRun: { try await tracking.getRun(id: $0).info.experimentID }, experimentNamed: { try await tracking.getExperiment(name: $0)?.id },
                experimentOfLoggedModel: { try await tracking.getLoggedModel(id: $0).experimentID },
                experimentLocations: { try await Self.experimentLocations(tracking) }, signals: services.signals)
        }
        if let auth { router.add(middleware: AuthMiddleware(store: services.auth, settings: auth, gate: gate, signals: services.signals)) }

        let collection = RouteCollection(context: Context.self)
        let mlflow = MLflowRoutes(collection: collection, limit: limits.bodyBytes, table: table, gate: gate)
        ExperimentsController(store: services.tracking).addRoutes(to: mlflow)
        RunsController(store: services.tracking, now: WallClock.milliseconds).addRoutes(to: mlflow)
        LoggedModelsController(store: services.tracking).addRoutes(to: mlflow)
        RegisteredModelsController(registry: services.registry, promoter: services.promoter).addRoutes(to: mlflow)
        ModelVersionsController(store: services.tracking, registry: services.registry, promoter: services.promoter).addRoutes(to: mlflow)
        WebhooksController(store: services.webhooks, tester: services.webhookTester).addRoutes(to: mlflow)
        let artifacts = ArtifactsController(store: services.tracking, artifacts: services.artifacts, maxArtifactBytes: limits.artifactBytes)
        artifacts.addTrackingRoutes(to: mlflow)
        let registry = services.registry
        let permissions = PermissionsController<Context>(store: services.auth, gate: gate) { type, resource in
            switch type {
            case .registeredModel: return (try? await registry.getRegisteredModel(name: resource)) != nil
            case .experiment: return (try? await tracking.getExperiment(id: resource)) != nil
            }
        }
        permissions.addClassicRoutes(to: mlflow)
        let rbac = RouteCollection(context: Context.self)
        permissions.addRBACRoutes(to: MLflowRoutes(collection: rbac, limit: limits.bodyBytes, table: RouteTable(), gate: gate))
        let proxy = RouteCollection(context: Context.self)
        artifacts.addProxyRoutes(to: proxy)
        for prefix in ["api", "ajax-api"] {
            router.addRoutes(collection, atPath: "\(prefix)/2.0/mlflow")
            router.addRoutes(rbac, atPath: "\(prefix)/3.0/mlflow")
            router.addRoutes(proxy, atPath: "\(prefix)/2.0/mlflow-artifacts")
        }

        ServerInfoController(artifacts: artifacts.artifacts).addRoutes(to: router)
        CurrentTokenController().addRoutes(to: router)
        OperationsController(metrics: metrics, gate: gate).addRoutes(to: router)
        ServingController(host: host, maxBodyBytes: limits.bodyBytes, maxBatchRows: limits.batchRows, log: predictionLog, logSource: logSource)
            .addRoutes(to: router)
        PredictionsController(log: services.predictionLog, maxBodyBytes: limits.bodyBytes, gate: gate).addRoutes(to: router)
        MonitoringController(
            actuals: services.actuals, performance: PerformanceMonitor(actuals: services.actuals, evaluations: services.evaluations),
            drift: services.driftMonitor, reports: services.driftReports, metrics: MonitoringMetrics(factory: metrics), maxBodyBytes: limits.bodyBytes
        ).addRoutes(to: router)
        MonitorRulesController(rules: services.monitorRules, runner: services.jobRunner, maxBodyBytes: limits.bodyBytes, gate: gate).addRoutes(to: router)
        PromotionController(promotions: services.promotions, promoter: services.promoter, maxBodyBytes: limits.bodyBytes, gate: gate).addRoutes(to: router)
        EvaluationController(evaluator: services.evaluator, evaluations: services.evaluations, maxBodyBytes: limits.bodyBytes).addRoutes(to: router)
        JobsController(jobs: services.jobs, runner: services.jobRunner, artifacts: services.artifacts, maxBodyBytes: limits.bodyBytes, gate: gate).addRoutes(to: router)
        PipelinesController(jobs: services.jobs, runner: services.jobRunner, maxBodyBytes: limits.bodyBytes).addRoutes(to: router)
        DeliveriesController(deliveries: services.deliveries, maxBodyBytes: limits.bodyBytes).addRoutes(to: router)
        EventsController(events: services.events, maxBodyBytes: limits.bodyBytes, gate: gate).addRoutes(to: router)
        RegistryFeedController(changes: services.changes, registry: services.registry, files: services.modelFiles).addRoutes(to: router)
        let overview = Overview(
            registry: services.registry, promotions: services.promotions, jobs: services.jobs, driftReports: services.driftReports,
            monitorRules: services.monitorRules, host: host)
        let monitoring = ModelMonitoring(
            performance: PerformanceMonitor(actuals: services.actuals, evaluations: services.evaluations), reports: services.driftReports,
            rules: services.monitorRules, promotions: services.promotions, evaluations: services.evaluations)
        DashboardController(
            overview: overview, model: ModelOverview(
                overview: overview, evaluations: services.evaluations, events: services.events, deliveries: services.deliveries,
                predictionLog: services.predictionLog, monitoring: monitoring, servingMetrics: { metrics.exposition() }),
            jobs: JobsPage(jobs: services.jobs), runner: services.jobRunner, promoter: services.promoter, gate: gate,
            runs: RunsPages(tracking: services.tracking, artifacts: services.artifacts)
        ).addRoutes(to: router)
        // Last: the document lists every route added before it.
        OpenAPIController(routes: router.routes.map { .init(method: $0.method.rawValue, path: $0.path.description) }).addRoutes(to: router)
        return router
    }

    /// Every experiment's id and artifact location, deleted ones too (their artifacts stay).
    static func experimentLocations(_ tracking: any TrackingStore) async throws -> [(id: String, location: String)] {
        var found: [(id: String, location: String)] = []
        var token: String? = nil
        repeat {
            let page = try await tracking.searchExperiments(
                try EntitySearch(.experiments, filter: nil, maxResults: EntitySearch.Kind.experiments.maxResultsLimit, pageToken: token), viewType: .all)
            found += page.items.map { ($0.id, $0.artifactLocation) }
            token = page.nextPageToken
        } while token != nil
        return found
    }

    /// The routes of `slipway serve`, a serving-only replica: predictions, `/ready`, `/health`, `/metrics`.
    /// With `authenticate` (`--serving-auth`), every route but `/health` and `/ready` needs a
    /// token: `predict` to predict, `read` for `/metrics`, checked as `authenticate` says.
    public static func replica<Context: SlipwayRequestContext>(
        host: ModelHost, predictionLog: PredictionLog?, logSource: String, metrics: PrometheusFactory, limits: RequestLimits,
        authenticate: AuthMiddleware<Context>.Authenticate? = nil, context: Context.Type
    ) -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: HTTPMetricsMiddleware(factory: metrics))
        router.add(middleware: ErrorMiddleware(routes: RouteTable()))
        if let authenticate { router.add(middleware: AuthMiddleware(authenticate: authenticate, settings: AuthSettings(servingAuth: true))) }
        OperationsController(metrics: metrics).addRoutes(to: router)
        ServingController(host: host, maxBodyBytes: limits.bodyBytes, maxBatchRows: limits.batchRows, log: predictionLog, logSource: logSource)
            .addRoutes(to: router)
        return router
    }
}
