import Foundation
public import Logging
public import SlipwayCore
public import SlipwayHTTP
import SlipwayJobs
import SlipwayStore

/// Everything one configuration opens, built once: the stores over one database and the services
/// on top of them (promoter, evaluator, job runner). The server and every CLI command work on it;
/// its members read as `services.registry`, `services.promoter`, ... (the fields of `APIServices`).
@dynamicMemberLookup
public struct AppServices: Sendable {
    let database: StoreDatabase
    /// What the HTTP routes are built on.
    public let api: APIServices

    public subscript<T>(dynamicMember member: KeyPath<APIServices, T>) -> T {
        api[keyPath: member]
    }

    /// Opens (and migrates) the database and the artifact root the configuration names, and builds
    /// the services over them.
    public static func open(_ config: AppConfiguration, logger: Logger) async throws -> AppServices {
        try DataDirectory.prepare(config.dataDirectory)
        let database = try await StoreDatabase.open(config.database, logger: logger)
        let registry = SQLRegistryStore(database: database)
        let tracking = SQLTrackingStore(database: database)
        let events = SQLEventStore(database: database)
        let artifacts: any ArtifactRepository
        do {
            artifacts = try await openArtifacts(config, database: database)
        } catch {
            try? await database.close()
            throw error
        }
        let modelFiles = StoredModelVersionFiles(tracking: tracking, artifacts: artifacts)
        let evaluations = SQLEvaluationStore(database: database, events: events)
        let promotions = SQLPromotionStore(database: database, registry: registry, events: events)
        let jobs = SQLJobStore(database: database)
        let deliveries = SQLDeliveryStore(database: database)
        let evaluator = Evaluator(evaluations: evaluations, registry: registry, tracking: tracking, artifacts: artifacts, modelFiles: modelFiles)
        let promoter = Promoter(registry: registry, tracking: tracking, promotions: promotions, evaluator: evaluator)
        let predictions = PredictJob(
            registry: registry, modelFiles: modelFiles, jobs: jobs, tables: SQLPredictionTableStore(database: database, catalogued: true),
            openDatabase: { url in
                let other = try await PredictionDatabase.open(url: url, logger: logger)
                return (other.tables, { try? await other.close() })
            },
            readSource: { url, query, predictor, idColumn, watermark in
                let source = try await PredictionDatabase.open(url: url, logger: logger)
                do {
                    let rows = try await source.features(
                        query: query, featureNames: predictor.featureNames, featureCount: predictor.featureCount, idColumn: idColumn, watermark: watermark)
                    try? await source.close()
                    return rows
                } catch {
                    try? await source.close()
                    throw error
                }
            })
        let predictionLog = SQLPredictionLogStore(database: database)
        let actuals = SQLActualsStore(database: database)
        let driftReports = SQLDriftReportStore(database: database)
        let monitorRules = SQLMonitorRuleStore(database: database, registry: registry, events: events)
        let monitors = RuleMonitor(
            rules: monitorRules, registry: registry, evaluations: evaluations, actuals: actuals,
            drift: DriftMonitor(evaluator: evaluator, registry: registry, predictionLog: predictionLog, reports: driftReports), promoter: promoter)
        let auth = SQLAuthStore(database: database)
        // On a server with auth, a command's program gets a token made for its run.
        var issueToken: (@Sendable (String, String, Int64) async throws -> CommandJob.RunToken)?
        if config.auth != nil { issueToken = { job, runID, until in try await JobTokens.issue(auth, job: job, runID: runID, until: until) } }
        let commands = CommandJob(
            artifacts: artifacts, tracking: tracking, trackingURI: config.jobTrackingURI, environment: config.jobEnvironment,
            scratchDirectory: config.dataDirectory + "/job-output", issueToken: issueToken)
        let api = APIServices(
            tracking: tracking, registry: registry, artifacts: artifacts, modelFiles: modelFiles, webhooks: SQLWebhookStore(database: database),
            events: events, promotions: promotions, deliveries: deliveries, evaluations: evaluations, jobs: jobs,
            predictionLog: predictionLog, actuals: actuals, driftReports: driftReports, monitorRules: monitorRules,
            auth: auth, changes: registry.changes,
            promoter: promoter, evaluator: evaluator,
            jobRunner: JobRunner(
                jobs: jobs, promoter: promoter, evaluator: evaluator, predictions: predictions, monitors: monitors, commands: commands,
                validations: ValidateJob(evaluations: evaluations, artifacts: artifacts, events: events), events: events,
                slots: JobSlots(limit: config.maxConcurrentJobs), heartbeat: config.jobHeartbeat),
            webhookTester: MLflowWebhookTester())
        return AppServices(database: database, api: api)
    }

    /// The artifact repository the configuration names: S3 (for a server, checked: the bucket must
    /// answer to the credentials before it starts), or files under the artifact root.
    static func openArtifacts(_ config: AppConfiguration, database: StoreDatabase) async throws -> any ArtifactRepository {
        guard let settings = try config.s3Settings() else {
            return try FileArtifactRepository(root: config.artifactRoot, database: database)
        }
        let repository = try S3ArtifactRepository(settings: settings, database: database, cacheDirectory: config.dataDirectory + "/cache/s3")
        if config.checkArtifactStorage { try await repository.checkAccess() }
        return repository
    }

    /// Closes the database.
    public func close() async throws {
        try await database.close()
    }

    /// Prediction tables in this store's database.
    public var predictionTables: any PredictionTableStore {
        SQLPredictionTableStore(database: database, catalogued: true)
    }

}

/// Another database: one that receives prediction tables (`--output-url`), or a source of feature
/// rows (`--source-url`). Opened without Slipway's migrations.
public struct PredictionDatabase: Sendable {
    let database: StoreDatabase

    /// Opens `postgres://...`/`postgresql://...` or `sqlite:PATH`.
    /// - Throws: `INVALID_PARAMETER_VALUE` for another scheme, or a database that cannot be opened.
    public static func open(url: String, logger: Logger) async throws -> PredictionDatabase {
        let configuration: DatabaseConfiguration
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            configuration = .postgres(url: url)
        } else if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw SlipwayError.invalidParameter("'\(url)' names no file: write sqlite:PATH") }
            configuration = .sqliteFile(path: path)
        } else {
            throw SlipwayError.invalidParameter("'\(url)' is not a database URL: write postgres://user:password@host/db or sqlite:PATH")
        }
        do {
            return PredictionDatabase(database: try await StoreDatabase.open(configuration, logger: logger, migrate: false, owned: false))
        } catch let error as SlipwayError {
            throw error
        } catch {
            throw SlipwayError.invalidParameter("Cannot open \(configuration.redacted): \(error)")
        }
    }

    public var tables: any PredictionTableStore {
        SQLPredictionTableStore(database: database, catalogued: false)
    }

    /// Feature rows from a query on this database (a prediction source).
    public func features(query: String, featureNames: [String], featureCount: Int, idColumn: String?, watermark: SourceWatermark? = nil)
        async throws -> SourceRows {
        try await SQLFeatureSource.read(
            database, query: query, featureNames: featureNames, featureCount: featureCount, idColumn: idColumn, watermark: watermark)
    }

    public func close() async throws {
        try await database.close()
    }
}
