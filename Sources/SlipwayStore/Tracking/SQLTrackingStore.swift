import Foundation
public import SlipwayCore
import SQLKit

/// The tracking store over SQL (SQLite or PostgreSQL): experiments here, runs, search and logged
/// models in the `SQLTrackingStore+…` files beside it.
public struct SQLTrackingStore: TrackingStore {
    let database: StoreDatabase
    /// Milliseconds since the Unix epoch; injected so tests can fix time.
    let now: @Sendable () -> Int64
    /// Whole experiments' runs in memory for fast searches (SQLite only; see `RunCache`).
    let cache: RunCache?

    /// - Parameters:
    ///   - database: an open, migrated database.
    ///   - now: the clock, in milliseconds since the Unix epoch.
    ///   - cacheRuns: search runs in memory on SQLite (off to exercise the SQL path in tests).
    public init(database: StoreDatabase, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds, cacheRuns: Bool = true) {
        self.database = database
        self.now = now
        self.cache = cacheRuns && !database.isPostgres ? RunCache() : nil
    }

    // MARK: - Experiments

    public func createExperiment(name: String, artifactLocation: String?, tags: [KeyValue]) async throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw SlipwayError.invalidParameter("Invalid experiment name: '\(name)'. Experiment name must be a non-empty string.")
        }
        for tag in tags { try TrackingValidation.validateName(tag.key, kind: "tag") }
        let time = now()
        // Ids are MAX + 1 under a table lock on PostgreSQL; a unique violation (a race with another
        // process on an older schema, say) is retried.
        for attempt in 0..<8 {
            do {
                return try await database.transaction { [database] db in
                    try await database.lockForIDAllocation(db, table: "experiments")
                    if try await database.first(db, "SELECT 1 AS one FROM experiments WHERE name = \(bind: name)") != nil {
                        throw SlipwayError.alreadyExists("Experiment(name=\(name)) already exists.")
                    }
                    let row = try await database.first(db, "SELECT COALESCE(MAX(experiment_id), -1) + 1 AS next FROM experiments")
                    let id = try row?.int64("next") ?? 1
                    let location = artifactLocation.flatMap { $0.isEmpty ? nil : $0 } ?? "mlflow-artifacts:/\(id)"
                    try await database.run(db, """
                        INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                        VALUES (\(bind: id), \(bind: name), \(bind: location), 'active', \(bind: time), \(bind: time))
                        """)
                    for tag in tags {
                        try await database.run(db, """
                            INSERT INTO experiment_tags (experiment_id, key, value) VALUES (\(bind: id), \(bind: tag.key), \(bind: tag.value))
                            ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value
                            """)
                    }
                    return String(id)
                }
            } catch where isUniqueViolation(error) && attempt < 7 {
                continue
            }
        }
        throw SlipwayError(.internalError, "Could not allocate an experiment id")
    }

    public func getExperiment(id: String) async throws -> Experiment {
        guard let numeric = Int64(id) else {
            throw SlipwayError.notFound("No Experiment with id=\(id) exists")
        }
        return try await database.withConnection { db in
            guard let experiment = try await fetchExperiments(db, where: "experiment_id = \(bind: numeric)").first else {
                throw SlipwayError.notFound("No Experiment with id=\(id) exists")
            }
            return experiment
        }
    }

    public func getExperiment(name: String) async throws -> Experiment? {
        try await database.withConnection { db in
            try await fetchExperiments(db, where: "name = \(bind: name)").first
        }
    }

    public func searchExperiments(_ search: EntitySearch, viewType: ViewType) async throws -> Page<Experiment> {
        let offset = try PageToken.decode(search.pageToken)
        let filter = FilterSQL { c in
            switch c.entity {
            case .tag:
                return FilterSQL.exists(table: "experiment_tags", ownerColumn: "experiment_id", outer: "experiments.experiment_id", key: c.key, c.comparator, c.value)
            default:
                let column = c.key == "id" || c.key == "experiment_id" ? "experiments.experiment_id" : "experiments.\(c.key)"
                return FilterSQL.compare(column, c.comparator, c.value)
            }
        }
        let stages = viewType.stages.map(\.rawValue)
        var order: [String] = search.orderBy.map { term in
            let column = term.key == "experiment_id" || term.key == "id" ? "experiment_id" : term.key
            return "\(column) \(term.ascending ? "ASC" : "DESC")"
        }
        if order.isEmpty { order = ["creation_time DESC"] }
        order.append("experiment_id ASC")
        let condition: SQLQueryString = try "lifecycle_stage IN (\(binds: stages)) AND " + filter.condition(search.filter)
            + " ORDER BY \(unsafeRaw: order.joined(separator: ", ")) LIMIT \(bind: search.maxResults + 1) OFFSET \(bind: offset)"
        let rows = try await database.withConnection { db in try await fetchExperiments(db, where: condition) }
        return PageToken.page(rows, offset: offset, limit: search.maxResults)
    }

    public func renameExperiment(id: String, newName: String) async throws {
        guard !newName.isEmpty else { throw SlipwayError.invalidParameter("Invalid experiment name: ''. Experiment name must be a non-empty string.") }
        let experiment = try await getExperiment(id: id)
        guard experiment.lifecycleStage == .active else {
            throw SlipwayError.invalidParameter("Cannot rename a non-active experiment.")
        }
        let time = now()
        try await database.transaction { db in
            if try await database.first(db, "SELECT 1 AS one FROM experiments WHERE name = \(bind: newName) AND experiment_id <> \(bind: Int64(id)!)") != nil {
                throw SlipwayError.alreadyExists("Experiment(name=\(newName)) already exists.")
            }
            try await database.run(db, "UPDATE experiments SET name = \(bind: newName), last_update_time = \(bind: time) WHERE experiment_id = \(bind: Int64(id)!)")
        }
    }

    public func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws {
        let experiment = try await getExperiment(id: id)
        if stage == .deleted, experiment.id == Experiment.defaultID {
            throw SlipwayError.invalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
        }
        let time = now()
        cache?.invalidate(id)
        defer { cache?.invalidate(id) }
        try await database.transaction { db in
            try await database.run(db, "UPDATE experiments SET lifecycle_stage = \(bind: stage.rawValue), last_update_time = \(bind: time) WHERE experiment_id = \(bind: Int64(id)!)")
            try await database.run(db, "UPDATE runs SET lifecycle_stage = \(bind: stage.rawValue), deleted_time = \(bind: stage == .deleted ? time : nil) WHERE experiment_id = \(bind: Int64(id)!)")
        }
    }

    public func setExperimentTag(id: String, tag: KeyValue) async throws {
        try TrackingValidation.validateName(tag.key, kind: "tag")
        let experiment = try await getExperiment(id: id)
        guard experiment.lifecycleStage == .active else {
            throw SlipwayError.invalidParameter("The experiment \(id) must be in the 'active' state. Current state is \(experiment.lifecycleStage.rawValue).")
        }
        try await database.transaction { db in
            try await database.run(db, """
                INSERT INTO experiment_tags (experiment_id, key, value) VALUES (\(bind: Int64(id)!), \(bind: tag.key), \(bind: tag.value))
                ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value
                """)
        }
    }

    public func deleteExperimentTag(id: String, key: String) async throws {
        _ = try await getExperiment(id: id)
        try await database.transaction { db in
            try await database.run(db, "DELETE FROM experiment_tags WHERE experiment_id = \(bind: Int64(id)!) AND key = \(bind: key)")
        }
    }

    func fetchExperiments(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> [Experiment] {
        let rows = try await database.rows(db, """
            SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
            FROM experiments WHERE
            """ + " " + condition)
        var experiments = try rows.map { row in
            Experiment(
                id: String(try row.int64("experiment_id")),
                name: try row.string("name"),
                artifactLocation: try row.string("artifact_location"),
                lifecycleStage: LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active,
                creationTime: try row.int64("creation_time"),
                lastUpdateTime: try row.int64("last_update_time"))
        }
        if experiments.isEmpty { return experiments }
        let ids = experiments.compactMap { Int64($0.id) }
        let tags = try await database.keyValues(db, table: "experiment_tags", owner: "experiment_id", in: ids)
        for i in experiments.indices { experiments[i].tags = tags[experiments[i].id] ?? [] }
        return experiments
    }
}
