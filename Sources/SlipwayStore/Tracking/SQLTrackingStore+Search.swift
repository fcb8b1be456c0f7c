public import SlipwayCore
import SQLKit

extension SQLTrackingStore {
    static let runColumns = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage"

    /// Pages are keyset pages (``RunKeyset``): the token names the last run's sort key and the next
    /// page is the runs after it, so deep pages cost what the first one does. Offset tokens still read.
    public func searchRuns(_ search: RunSearch) async throws -> Page<Run> {
        let cursor = try RunKeyset.cursor(search.pageToken, order: search.orderBy)
        let experimentIDs = search.experimentIDs.compactMap { Int64($0) }
        if experimentIDs.isEmpty { return Page(items: [], nextPageToken: nil) }
        if let page = try await searchCachedRuns(search, cursor: cursor, encoding: nil, { $0 }) { return page }
        let query = RunQuery(
            experimentIDs: experimentIDs, stages: search.viewType.stages.map(\.rawValue),
            filter: try FilterSQL { c in try Self.runCondition(c) }.condition(search.filter), order: search.orderBy, limit: search.maxResults + 1)
        return try await database.withConnection { db in
            let ids = try await runIDs(db, query, cursor)
            let runs = try await fetchRuns(db, ids: Array(ids.prefix(search.maxResults)))
            let next = ids.count > search.maxResults ? runs.last.map { RunKeyset(run: $0, order: search.orderBy).token } : nil
            return Page(items: runs, nextPageToken: next)
        }
    }

    public func searchRuns<Encoded: Sendable>(
        _ search: RunSearch, encoding: String, _ encode: @escaping @Sendable (Run) -> Encoded
    ) async throws -> Page<Encoded> {
        let cursor = try RunKeyset.cursor(search.pageToken, order: search.orderBy)
        if !search.experimentIDs.compactMap({ Int64($0) }).isEmpty,
           let page = try await searchCachedRuns(search, cursor: cursor, encoding: encoding, encode) {
            return page
        }
        let page = try await searchRuns(search)
        return Page(items: page.items.map(encode), nextPageToken: page.nextPageToken)
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
        let infoRows = try await database.rows(db, "SELECT \(unsafeRaw: Self.runColumns) FROM runs WHERE run_uuid IN (\(binds: ids))")
        var runs: [String: Run] = [:]
        for row in infoRows {
            let info = try decodeRunInfo(row)
            runs[info.runID] = Run(info: info)
        }
        for row in try await database.rows(db, "SELECT run_uuid, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_uuid IN (\(binds: ids)) ORDER BY key") {
            let id = try row.string("run_uuid")
            runs[id]?.metrics.append(try decodeMetric(row))
        }
        let params = try await database.keyValues(db, table: "params", owner: "run_uuid", in: ids)
        let tags = try await database.keyValues(db, table: "tags", owner: "run_uuid", in: ids)
        for id in ids {
            runs[id]?.params = params[id] ?? []
            runs[id]?.tags = tags[id] ?? []
        }
        for row in try await database.rows(db, """
            SELECT run_uuid, dataset_name, dataset_digest, source_type, source, dataset_schema, profile, tags_json
            FROM run_inputs WHERE run_uuid IN (\(binds: ids)) ORDER BY position
            """) {
            let id = try row.string("run_uuid")
            let dataset = Dataset(
                name: try row.string("dataset_name"),
                digest: try row.string("dataset_digest"),
                sourceType: try row.string("source_type"),
                source: try row.string("source"),
                schema: try row.optionalString("dataset_schema"),
                profile: try row.optionalString("profile"))
            let tagsJSON = try row.string("tags_json")
            let tags = ((try? JSONParser.parse(tagsJSON))?.arrayValue ?? []).compactMap { item -> KeyValue? in
                guard let key = item["key"]?.stringValue, let value = item["value"]?.stringValue else { return nil }
                return KeyValue(key: key, value: value)
            }
            runs[id]?.inputs.append(DatasetInput(dataset: dataset, tags: tags))
        }
        for row in try await database.rows(db, "SELECT run_uuid, model_id FROM run_model_inputs WHERE run_uuid IN (\(binds: ids))") {
            let id = try row.string("run_uuid")
            runs[id]?.modelInputs.append(try row.string("model_id"))
        }
        for row in try await database.rows(db, "SELECT run_uuid, model_id, step FROM run_outputs WHERE run_uuid IN (\(binds: ids)) ORDER BY step, model_id") {
            let id = try row.string("run_uuid")
            runs[id]?.outputs.append(ModelOutput(modelID: try row.string("model_id"), step: try row.int64("step")))
        }
        return ids.compactMap { runs[$0] }
    }

    func decodeRunInfo(_ row: StoreRow) throws -> RunInfo {
        RunInfo(
            runID: try row.string("run_uuid"),
            experimentID: String(try row.int64("experiment_id")),
            runName: try row.string("name"),
            userID: try row.string("user_id"),
            status: RunStatus(rawValue: try row.string("status")) ?? .running,
            startTime: try row.int64("start_time"),
            endTime: try row.optionalInt64("end_time"),
            artifactURI: try row.string("artifact_uri"),
            lifecycleStage: LifecycleStage(rawValue: try row.string("lifecycle_stage")) ?? .active)
    }

    /// A metric from a `latest_metrics` row.
    func decodeMetric(_ row: StoreRow) throws -> Metric {
        let isNaN = try row.int64("is_nan") != 0
        return Metric(
            key: try row.string("key"), value: isNaN ? .nan : try row.double("value"),
            timestamp: try row.int64("timestamp"), step: try row.int64("step"))
    }
}
