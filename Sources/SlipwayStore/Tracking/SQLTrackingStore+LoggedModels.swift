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
            try await database.run(db, """
                INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id, creation_timestamp, last_updated_timestamp)
                VALUES (\(bind: modelID), \(bind: Int64(experiment.id)!), \(bind: name), \(bind: model.artifactURI), \(bind: model.status.rawValue),
                        \(bind: model.modelType), \(bind: model.sourceRunID), \(bind: time), \(bind: time))
                """)
            for tag in request.tags {
                try await database.run(db, """
                    INSERT INTO logged_model_tags (model_id, key, value) VALUES (\(bind: modelID), \(bind: tag.key), \(bind: tag.value))
                    ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                    """)
            }
            for param in request.params {
                try await database.run(db, """
                    INSERT INTO logged_model_params (model_id, key, value) VALUES (\(bind: modelID), \(bind: param.key), \(bind: param.value))
                    ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                    """)
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
            guard try await database.first(db, "SELECT 1 AS one FROM logged_models WHERE model_id = \(bind: id)") != nil else {
                throw SlipwayError.notFound("Logged Model with ID '\(id)' not found.")
            }
            try await database.run(db, "UPDATE logged_models SET status = \(bind: status.rawValue), last_updated_timestamp = \(bind: time) WHERE model_id = \(bind: id)")
        }
        return try await getLoggedModel(id: id)
    }

    public func setLoggedModelTags(id: String, tags: [KeyValue]) async throws {
        let time = now()
        try await database.transaction { db in
            guard try await database.first(db, "SELECT 1 AS one FROM logged_models WHERE model_id = \(bind: id)") != nil else {
                throw SlipwayError.notFound("Logged Model with ID '\(id)' not found.")
            }
            for tag in tags {
                try await database.run(db, """
                    INSERT INTO logged_model_tags (model_id, key, value) VALUES (\(bind: id), \(bind: tag.key), \(bind: tag.value))
                    ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value
                    """)
            }
            try await database.run(db, "UPDATE logged_models SET last_updated_timestamp = \(bind: time) WHERE model_id = \(bind: id)")
        }
    }

    public func deleteLoggedModelTag(id: String, key: String) async throws {
        try await database.transaction { db in
            guard try await database.first(db, "SELECT 1 AS one FROM logged_model_tags WHERE model_id = \(bind: id) AND key = \(bind: key)") != nil else {
                throw SlipwayError.notFound("No tag with key '\(key)' found for logged model '\(id)'.")
            }
            try await database.run(db, "DELETE FROM logged_model_tags WHERE model_id = \(bind: id) AND key = \(bind: key)")
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
                return FilterSQL.exists(table: "latest_model_metrics", ownerColumn: "model_id", outer: "logged_models.model_id", key: c.key, extra: " AND x.is_nan = 0", c.comparator, c.value)
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

    static func loggedModelColumn(_ key: String) -> String {
        key == "creation_time" ? "creation_timestamp" : key
    }

    func fetchLoggedModels(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> [LoggedModel] {
        let rows = try await database.rows(db, """
            SELECT model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id, creation_timestamp, last_updated_timestamp
            FROM logged_models WHERE
            """ + " " + condition)
        var models = try rows.map { row in
            LoggedModel(
                modelID: try row.string("model_id"),
                experimentID: String(try row.int64("experiment_id")),
                name: try row.string("name"),
                artifactURI: try row.string("artifact_uri"),
                status: LoggedModelStatus(rawValue: try row.string("status")) ?? .unspecified,
                modelType: try row.string("model_type"),
                sourceRunID: try row.optionalString("source_run_id"),
                creationTimestamp: try row.int64("creation_timestamp"),
                lastUpdatedTimestamp: try row.int64("last_updated_timestamp"))
        }
        if models.isEmpty { return models }
        let ids = models.map(\.modelID)
        var index: [String: Int] = [:]
        for (i, m) in models.enumerated() { index[m.modelID] = i }
        let tags = try await database.keyValues(db, table: "logged_model_tags", owner: "model_id", in: ids)
        let params = try await database.keyValues(db, table: "logged_model_params", owner: "model_id", in: ids)
        for i in models.indices {
            models[i].tags = tags[models[i].modelID] ?? []
            models[i].params = params[models[i].modelID] ?? []
        }
        let points = try await metricPoints(db, where: "model_id IN (\(binds: ids))")
        for metric in points.sorted(by: { ($0.key, $0.step, $0.timestamp) < ($1.key, $1.step, $1.timestamp) }) {
            guard let modelID = metric.modelID, let i = index[modelID] else { continue }
            models[i].metrics.append(metric)
        }
        return models
    }
}
