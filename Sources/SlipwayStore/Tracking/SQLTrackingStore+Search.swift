public import SlipwayCore
import SQLKit

extension SQLTrackingStore {
    static let runColumns = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage"

    public func searchRuns(_ search: RunSearch) async throws -> Page<Run> {
        let offset = try PageToken.decode(search.pageToken)
        let experimentIDs = search.experimentIDs.compactMap { Int64($0) }
        if experimentIDs.isEmpty { return Page(items: [], nextPageToken: nil) }
        let filter = FilterSQL { c in try Self.runCondition(c) }
        var query: SQLQueryString = "SELECT run_uuid FROM runs WHERE experiment_id IN (\(binds: experimentIDs)) AND lifecycle_stage IN (\(binds: search.viewType.stages.map(\.rawValue))) AND "
        query += try filter.condition(search.filter)
        query += " ORDER BY "
        var orderParts: [SQLQueryString] = []
        for term in search.orderBy {
            let direction = term.ascending ? "ASC" : "DESC"
            let expression: SQLQueryString
            switch term.entity {
            case .metric:
                expression = "(SELECT CASE WHEN m.is_nan = 1 THEN NULL ELSE m.value END FROM latest_metrics m WHERE m.run_uuid = runs.run_uuid AND m.key = \(bind: term.key))"
            case .param:
                expression = "(SELECT p.value FROM params p WHERE p.run_uuid = runs.run_uuid AND p.key = \(bind: term.key))"
            case .tag:
                expression = "(SELECT t.value FROM tags t WHERE t.run_uuid = runs.run_uuid AND t.key = \(bind: term.key))"
            case .attribute, .dataset:
                expression = "runs.\(unsafeRaw: Self.runColumn(term.key))"
            }
            // Runs without the value sort last in either direction, as in MLflow.
            orderParts.append("(CASE WHEN " + expression + " IS NULL THEN 1 ELSE 0 END), " + expression + " \(unsafeRaw: direction)")
        }
        orderParts.append("runs.start_time DESC, runs.run_uuid ASC")
        query += orderParts.joined(separator: ", ")
        query += " LIMIT \(bind: search.maxResults + 1) OFFSET \(bind: offset)"
        let finalQuery = query
        return try await database.withConnection { db in
            let ids = try await db.raw(finalQuery).all().map { try $0.decode(column: "run_uuid", as: String.self) }
            let page = PageToken.page(ids, offset: offset, limit: search.maxResults)
            let runs = try await fetchRuns(db, ids: page.items)
            return Page(items: runs, nextPageToken: page.nextPageToken)
        }
    }

    static func runColumn(_ attribute: String) -> String {
        switch attribute {
        case "run_id": return "run_uuid"
        case "run_name": return "name"
        case "created": return "start_time"
        default: return attribute
        }
    }

    static func runCondition(_ c: FilterComparison) throws -> SQLQueryString {
        switch c.entity {
        case .metric:
            return FilterSQL.exists(table: "latest_metrics", ownerColumn: "run_uuid", outer: "runs.run_uuid", key: c.key, extra: " AND x.is_nan = 0", c.comparator, c.value)
        case .param:
            return FilterSQL.exists(table: "params", ownerColumn: "run_uuid", outer: "runs.run_uuid", key: c.key, c.comparator, c.value)
        case .tag:
            return FilterSQL.exists(table: "tags", ownerColumn: "run_uuid", outer: "runs.run_uuid", key: c.key, c.comparator, c.value)
        case .attribute:
            return FilterSQL.compare("runs.\(runColumn(c.key))", c.comparator, c.value)
        case .dataset:
            let column = c.key == "name" ? "dataset_name" : c.key == "digest" ? "dataset_digest" : "context"
            return "EXISTS (SELECT 1 FROM run_inputs x WHERE x.run_uuid = runs.run_uuid AND " + FilterSQL.compare("x.\(column)", c.comparator, c.value) + ")"
        }
    }

    /// Loads whole runs (info, latest metrics, params, tags, inputs, outputs), in the order of `ids`.
    func fetchRuns(_ db: any SQLDatabase, ids: [String]) async throws -> [Run] {
        if ids.isEmpty { return [] }
        let infoRows = try await db.raw("SELECT \(unsafeRaw: Self.runColumns) FROM runs WHERE run_uuid IN (\(binds: ids))").all()
        var runs: [String: Run] = [:]
        for row in infoRows {
            let info = try decodeRunInfo(row)
            runs[info.runID] = Run(info: info)
        }
        for row in try await db.raw("SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_uuid IN (\(binds: ids)) ORDER BY key").all() {
            let id = try row.decode(column: "run_uuid", as: String.self)
            runs[id]?.metrics.append(try decodeMetric(row))
        }
        for row in try await db.raw("SELECT run_uuid, key, value FROM params WHERE run_uuid IN (\(binds: ids)) ORDER BY key").all() {
            let id = try row.decode(column: "run_uuid", as: String.self)
            runs[id]?.params.append(KeyValue(key: try row.decode(column: "key", as: String.self), value: try row.decode(column: "value", as: String.self)))
        }
        for row in try await db.raw("SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (\(binds: ids)) ORDER BY key").all() {
            let id = try row.decode(column: "run_uuid", as: String.self)
            runs[id]?.tags.append(KeyValue(key: try row.decode(column: "key", as: String.self), value: try row.decode(column: "value", as: String.self)))
        }
        for row in try await db.raw("""
            SELECT run_uuid, dataset_name, dataset_digest, source_type, source, dataset_schema, profile, tags_json
            FROM run_inputs WHERE run_uuid IN (\(binds: ids)) ORDER BY position
            """).all() {
            let id = try row.decode(column: "run_uuid", as: String.self)
            let dataset = Dataset(
                name: try row.decode(column: "dataset_name", as: String.self),
                digest: try row.decode(column: "dataset_digest", as: String.self),
                sourceType: try row.decode(column: "source_type", as: String.self),
                source: try row.decode(column: "source", as: String.self),
                schema: try row.decode(column: "dataset_schema", as: String?.self),
                profile: try row.decode(column: "profile", as: String?.self))
            let tagsJSON = try row.decode(column: "tags_json", as: String.self)
            let tags = ((try? JSONParser.parse(tagsJSON))?.arrayValue ?? []).compactMap { item -> KeyValue? in
                guard let key = item["key"]?.stringValue, let value = item["value"]?.stringValue else { return nil }
                return KeyValue(key: key, value: value)
            }
            runs[id]?.inputs.append(DatasetInput(dataset: dataset, tags: tags))
        }
        for row in try await db.raw("SELECT run_uuid, model_id FROM run_model_inputs WHERE run_uuid IN (\(binds: ids))").all() {
            let id = try row.decode(column: "run_uuid", as: String.self)
            runs[id]?.modelInputs.append(try row.decode(column: "model_id", as: String.self))
        }
        for row in try await db.raw("SELECT run_uuid, model_id, step FROM run_outputs WHERE run_uuid IN (\(binds: ids)) ORDER BY step, model_id").all() {
            let id = try row.decode(column: "run_uuid", as: String.self)
            runs[id]?.outputs.append(ModelOutput(modelID: try row.decode(column: "model_id", as: String.self), step: try row.decode(column: "step", as: Int64.self)))
        }
        return ids.compactMap { runs[$0] }
    }

    func decodeRunInfo(_ row: any SQLRow) throws -> RunInfo {
        RunInfo(
            runID: try row.decode(column: "run_uuid", as: String.self),
            experimentID: String(try row.decode(column: "experiment_id", as: Int64.self)),
            runName: try row.decode(column: "name", as: String.self),
            userID: try row.decode(column: "user_id", as: String.self),
            status: RunStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .running,
            startTime: try row.decode(column: "start_time", as: Int64.self),
            endTime: try row.decode(column: "end_time", as: Int64?.self),
            artifactURI: try row.decode(column: "artifact_uri", as: String.self),
            lifecycleStage: LifecycleStage(rawValue: try row.decode(column: "lifecycle_stage", as: String.self)) ?? .active)
    }

    func decodeMetric(_ row: any SQLRow) throws -> Metric {
        let isNaN = try row.decode(column: "is_nan", as: Int64.self) != 0
        var metric = Metric(
            key: try row.decode(column: "key", as: String.self),
            value: isNaN ? .nan : try row.decode(column: "value", as: Double.self),
            timestamp: try row.decode(column: "timestamp", as: Int64.self),
            step: try row.decode(column: "step", as: Int64.self))
        if row.contains(column: "model_id") {
            metric.modelID = try row.decode(column: "model_id", as: String?.self)
            metric.datasetName = try row.decode(column: "dataset_name", as: String?.self)
            metric.datasetDigest = try row.decode(column: "dataset_digest", as: String?.self)
        }
        if row.contains(column: "run_uuid") {
            metric.runID = try row.decode(column: "run_uuid", as: String.self)
        }
        return metric
    }
}
