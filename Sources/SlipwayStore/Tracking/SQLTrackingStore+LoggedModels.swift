public import SlipwayCore
import SQLKit

extension SQLTrackingStore {
    public func createLoggedModel(_ request: CreateLoggedModelRequest) async throws -> LoggedModel {
        let experiment = try await getExperiment(id: request.experimentID)
        if let runID = request.sourceRunID, !runID.isEmpty { _ = try await getRun(id: runID) }
        let modelID = IDGenerator.loggedModelID()
        let time = now()
        let name = request.name.flatMap { $0.isEmpty ? nil : $0 } ?? RunNames.generate()
        let model = LoggedModel(
            modelID: modelID, experimentID: experiment.id, name: name,
            artifactURI: "\(experiment.artifactLocation)/models/\(modelID)/artifacts", status: .pending,
            modelType: request.modelType ?? "", sourceRunID: request.sourceRunID.flatMap { $0.isEmpty ? nil : $0 },
            creationTimestamp: time, lastUpdatedTimestamp: time,
            tags: request.tags.sorted { $0.key < $1.key }, params: request.params.sorted { $0.key < $1.key })
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id, creation_timestamp, last_updated_timestamp)
                VALUES (\(bind: modelID), \(bind: Int64(experiment.id)!), \(bind: name), \(bind: model.artifactURI), \(bind: model.status.rawValue),
                        \(bind: model.modelType), \(bind: model.sourceRunID), \(bind: time), \(bind: time))
                """).run()
            for tag in request.tags {
                try await db.raw("""
                    INSERT INTO logged_model_tags (model_id, key, value) VALUES (\(bind: modelID), \(bind: tag.key), \(bind: tag.value))
                    ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                    """).run()
            }
            for param in request.params {
                try await db.raw("""
                    INSERT INTO logged_model_params (model_id, key, value) VALUES (\(bind: modelID), \(bind: param.key), \(bind: param.value))
                    ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                    """).run()
            }
        }
        return model
    }

    public func getLoggedModel(id: String) async throws -> LoggedModel {
        try await database.withConnection { db in
            guard let model = try await fetchLoggedModels(db, where: "model_id = \(bind: id)").first else {
                throw SlipwayError.notFound("Logged Model with ID '\(id)' not found.")
            }
            return model
        }
    }

    public func finalizeLoggedModel(id: String, status: LoggedModelStatus) async throws -> LoggedModel {
        let time = now()
        try await database.transaction { db in
            guard try await db.raw("SELECT 1 AS one FROM logged_models WHERE model_id = \(bind: id)").first() != nil else {
                throw SlipwayError.notFound("Logged Model with ID '\(id)' not found.")
            }
            try await db.raw("UPDATE logged_models SET status = \(bind: status.rawValue), last_updated_timestamp = \(bind: time) WHERE model_id = \(bind: id)").run()
        }
        return try await getLoggedModel(id: id)
    }

    public func setLoggedModelTags(id: String, tags: [KeyValue]) async throws {
        let time = now()
        try await database.transaction { db in
            guard try await db.raw("SELECT 1 AS one FROM logged_models WHERE model_id = \(bind: id)").first() != nil else {
                throw SlipwayError.notFound("Logged Model with ID '\(id)' not found.")
            }
            for tag in tags {
                try await db.raw("""
                    INSERT INTO logged_model_tags (model_id, key, value) VALUES (\(bind: id), \(bind: tag.key), \(bind: tag.value))
                    ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                    """).run()
            }
            try await db.raw("UPDATE logged_models SET last_updated_timestamp = \(bind: time) WHERE model_id = \(bind: id)").run()
        }
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws {
        try await database.transaction { db in
            guard try await db.raw("SELECT 1 AS one FROM logged_model_tags WHERE model_id = \(bind: id) AND key = \(bind: key)").first() != nil else {
                throw SlipwayError.notFound("No tag with key '\(key)' found for logged model '\(id)'.")
            }
            try await db.raw("DELETE FROM logged_model_tags WHERE model_id = \(bind: id) AND key = \(bind: key)").run()
        }
    }

    public func searchLoggedModels(experimentIDs: [String], search: EntitySearch) async throws -> Page<LoggedModel> {
        let offset = try PageToken.decode(search.pageToken)
        let ids = experimentIDs.compactMap { Int64($0) }
        if ids.isEmpty { return Page(items: [], nextPageToken: nil) }
        let filter = FilterSQL { c in
            switch c.entity {
            case .tag:
                return FilterSQL.exists(table: "logged_model_tags", ownerColumn: "model_id", outer: "logged_models.model_id", key: c.key, c.comparator, c.value)
            case .param:
                return FilterSQL.exists(table: "logged_model_params", ownerColumn: "model_id", outer: "logged_models.model_id", key: c.key, c.comparator, c.value)
            case .metric:
                return FilterSQL.exists(table: "metrics", ownerColumn: "model_id", outer: "logged_models.model_id", key: c.key, c.comparator, c.value)
            default:
                return FilterSQL.compare("logged_models.\(Self.loggedModelColumn(c.key))", c.comparator, c.value)
            }
        }
        var order = search.orderBy.filter { $0.entity == .attribute }.map { "\(Self.loggedModelColumn($0.key)) \($0.ascending ? "ASC" : "DESC")" }
        order.append("creation_timestamp DESC")
        order.append("model_id ASC")
        let condition: SQLQueryString = try "experiment_id IN (\(binds: ids)) AND " + filter.condition(search.filter)
            + " ORDER BY \(unsafeRaw: order.joined(separator: ", ")) LIMIT \(bind: search.maxResults + 1) OFFSET \(bind: offset)"
        let rows = try await database.withConnection { db in try await fetchLoggedModels(db, where: condition) }
        return PageToken.page(rows, offset: offset, limit: search.maxResults)
    }

    static let loggedModelAttributes: Set<String> = [
        "model_id", "name", "status", "model_type", "source_run_id", "creation_timestamp", "creation_time",
        "last_updated_timestamp", "experiment_id",
    ]

    static func loggedModelColumn(_ key: String) -> String {
        key == "creation_time" ? "creation_timestamp" : key
    }

    func fetchLoggedModels(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> [LoggedModel] {
        let rows = try await db.raw("""
            SELECT model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id, creation_timestamp, last_updated_timestamp
            FROM logged_models WHERE
            """ + " " + condition).all()
        var models = try rows.map { row in
            LoggedModel(
                modelID: try row.decode(column: "model_id", as: String.self),
                experimentID: String(try row.decode(column: "experiment_id", as: Int64.self)),
                name: try row.decode(column: "name", as: String.self),
                artifactURI: try row.decode(column: "artifact_uri", as: String.self),
                status: LoggedModelStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .unspecified,
                modelType: try row.decode(column: "model_type", as: String.self),
                sourceRunID: try row.decode(column: "source_run_id", as: String?.self),
                creationTimestamp: try row.decode(column: "creation_timestamp", as: Int64.self),
                lastUpdatedTimestamp: try row.decode(column: "last_updated_timestamp", as: Int64.self))
        }
        if models.isEmpty { return models }
        let ids = models.map(\.modelID)
        var index: [String: Int] = [:]
        for (i, m) in models.enumerated() { index[m.modelID] = i }
        for row in try await db.raw("SELECT model_id, key, value FROM logged_model_tags WHERE model_id IN (\(binds: ids)) ORDER BY key").all() {
            guard let i = index[try row.decode(column: "model_id", as: String.self)] else { continue }
            models[i].tags.append(KeyValue(key: try row.decode(column: "key", as: String.self), value: try row.decode(column: "value", as: String.self)))
        }
        for row in try await db.raw("SELECT model_id, key, value FROM logged_model_params WHERE model_id IN (\(binds: ids)) ORDER BY key").all() {
            guard let i = index[try row.decode(column: "model_id", as: String.self)] else { continue }
            models[i].params.append(KeyValue(key: try row.decode(column: "key", as: String.self), value: try row.decode(column: "value", as: String.self)))
        }
        for row in try await db.raw("""
            SELECT run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest
            FROM metrics WHERE model_id IN (\(binds: ids)) ORDER BY key, step, timestamp
            """).all() {
            let metric = try decodeMetric(row)
            guard let modelID = metric.modelID, let i = index[modelID] else { continue }
            models[i].metrics.append(metric)
        }
        return models
    }
}
