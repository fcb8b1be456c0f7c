import Foundation
public import Logging
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
        let artifacts = try FileArtifactRepository(root: config.artifactRoot, database: database)
        let modelFiles = StoredModelVersionFiles(tracking: tracking, artifacts: artifacts)
        let evaluations = SQLEvaluationStore(database: database, events: events)
        let promotions = SQLPromotionStore(database: database, registry: registry, events: events)
        let jobs = SQLJobStore(database: database)
        let deliveries = SQLDeliveryStore(database: database)
        let evaluator = Evaluator(evaluations: evaluations, registry: registry, tracking: tracking, artifacts: artifacts, modelFiles: modelFiles)
        let promoter = Promoter(registry: registry, tracking: tracking, promotions: promotions, evaluator: evaluator)
        let api = APIServices(
            tracking: tracking, registry: registry, artifacts: artifacts, modelFiles: modelFiles, webhooks: SQLWebhookStore(database: database),
            events: events, promotions: promotions, deliveries: deliveries, evaluations: evaluations, jobs: jobs, changes: registry.changes,
            promoter: promoter, evaluator: evaluator, jobRunner: JobRunner(jobs: jobs, promoter: promoter, evaluator: evaluator),
            webhookTester: MLflowWebhookTester())
        return AppServices(database: database, api: api)
    }

    /// Closes the database.
    public func close() async throws {
        try await database.close()
    }
}
