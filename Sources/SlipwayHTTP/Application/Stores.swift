import Foundation
public import Logging
public import SlipwayJobs
import SlipwayServing
public import SlipwayStore

/// The opened stores of one configuration: what the server and the CLI commands work on.
public struct Stores: Sendable {
    public let database: StoreDatabase
    public let tracking: SQLTrackingStore
    public let registry: SQLRegistryStore
    public let artifacts: FileArtifactRepository
    public let webhooks: SQLWebhookStore
    public let events: SQLEventStore
    public let promotions: SQLPromotionStore
    public let deliveries: SQLDeliveryStore
    public let evaluations: SQLEvaluationStore
    public let jobs: SQLJobStore

    /// Runs promotion policies, approvals and rollbacks against these stores.
    public var promoter: Promoter {
        Promoter(registry: registry, tracking: tracking, promotions: promotions, evaluator: evaluator)
    }

    /// Runs a job now and records the run.
    public var jobRunner: JobRunner {
        JobRunner(jobs: jobs, promoter: promoter, evaluator: evaluator)
    }

    /// Evaluates model versions on stored datasets, reading model files verified against their digests.
    public var evaluator: Evaluator {
        let source = RegistryModelSource(registry: registry, tracking: tracking, artifacts: artifacts, changes: nil)
        return Evaluator(
            evaluations: evaluations, registry: registry, tracking: tracking, artifacts: artifacts,
            modelFiles: { try await source.verifiedFiles($0).tree.directory })
    }

    /// Opens (and migrates) the database and the artifact root the configuration names.
    public static func open(_ config: AppConfiguration, logger: Logger) async throws -> Stores {
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let database = try await StoreDatabase.open(config.database, logger: logger)
        let registry = SQLRegistryStore(database: database)
        let events = SQLEventStore(database: database)
        return Stores(
            database: database,
            tracking: SQLTrackingStore(database: database),
            registry: registry,
            artifacts: try FileArtifactRepository(root: config.artifactRoot, database: database),
            webhooks: SQLWebhookStore(database: database),
            events: events,
            promotions: SQLPromotionStore(database: database, registry: registry, events: events),
            deliveries: SQLDeliveryStore(database: database),
            evaluations: SQLEvaluationStore(database: database, events: events),
            jobs: SQLJobStore(database: database))
    }
}
