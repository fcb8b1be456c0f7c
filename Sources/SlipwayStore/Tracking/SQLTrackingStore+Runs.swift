import Foundation
public import SlipwayCore
import SQLKit

extension SQLTrackingStore {
    public func createRun(_ request: CreateRunRequest) async throws -> Run {
        try TrackingValidation.validateBatch(metrics: [], params: [], tags: request.tags)
        guard let experimentID = Int64(request.experimentID) else {
            throw SlipwayError.notFound("No Experiment with id=\(request.experimentID) exists")
        }
        let runID = IDGenerator.runID()
        var tags = request.tags
        // The run name lives in the `mlflow.runName` tag too; either one names the run.
        let tagName = tags.first(where: { $0.key == "mlflow.runName" })?.value
        let name = request.runName.flatMap { $0.isEmpty ? nil : $0 } ?? tagName ?? RunNames.generate()
        if tagName == nil { tags.append(KeyValue(key: "mlflow.runName", value: name)) }
        let allTags = tags
        let experiment = String(experimentID)
        cache?.invalidate(experiment)
        defer { cache?.invalidate(experiment) }
        let info = try await database.transaction { db in
            guard let row = try await database.first(db, "SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = \(bind: experimentID)") else {
                throw SlipwayError.notFound("No Experiment with id=\(request.experimentID) exists")
            }
            let stage = try row.string("lifecycle_stage")
            guard stage == LifecycleStage.active.rawValue else {
                throw SlipwayError.invalidParameter("The experiment \(experiment) must be in the 'active' state. Current state is \(stage).")
            }
            let info = RunInfo(
                runID: runID, experimentID: experiment, runName: name, userID: request.userID, status: .running,
                startTime: request.startTime, endTime: nil, artifactURI: "\(try row.string("artifact_location"))/\(runID)/artifacts",
                lifecycleStage: .active)
            try await database.run(db, """
                INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
                VALUES (\(bind: runID), \(bind: experimentID), \(bind: name), \(bind: info.userID), 'RUNNING',
                        \(bind: info.startTime), NULL, \(bind: info.artifactURI), 'active')
                """)
            try await upsertTags(db, runID: runID, allTags, updatesName: false)
            return info
        }
        return Run(info: info, tags: allTags.sorted { $0.key < $1.key })
    }

    public func getRun(id: String) async throws -> Run {
        try await database.withConnection { db in
            guard let run = try await fetchRuns(db, ids: [id]).first else {
                throw SlipwayError.notFound("Run with id=\(id) not found")
            }
            return run
        }
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo {
        try await writingRun(id) { db, info in
            var updated = info
            if let status { updated.status = status }
            if let endTime { updated.endTime = endTime }
            if let runName, !runName.isEmpty { updated.runName = runName }
            try await database.run(db, """
                UPDATE runs SET status = \(bind: updated.status.rawValue), end_time = \(bind: updated.endTime), name = \(bind: updated.runName)
                WHERE run_uuid = \(bind: id)
                """)
            if let runName, !runName.isEmpty {
                try await upsertTags(db, runID: id, [KeyValue(key: "mlflow.runName", value: runName)])
            }
            return updated
        }
    }

    public func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws {
        let time = now()
        let cache = self.cache
        let experimentID = try await database.transaction { db in
            guard let row = try await database.first(db, "SELECT experiment_id FROM runs WHERE run_uuid = \(bind: id)") else {
                throw SlipwayError.notFound("Run with id=\(id) not found")
            }
            let experimentID = String(try row.int64("experiment_id"))
            cache?.invalidate(experimentID)
            try await database.run(db, """
                UPDATE runs SET lifecycle_stage = \(bind: stage.rawValue), deleted_time = \(bind: stage == .deleted ? time : nil)
                WHERE run_uuid = \(bind: id)
                """)
            return experimentID
        }
        cache?.invalidate(experimentID)
    }

    public func logBatch(runID: String, metrics: [Metric], params: [KeyValue], tags: [KeyValue]) async throws {
        try TrackingValidation.validateBatch(metrics: metrics, params: params, tags: tags)
        // The same key twice in one batch with different values is a conflict, as in MLflow.
        var seen: [String: String] = [:]
        for param in params {
            if let earlier = seen[param.key], earlier != param.value {
                throw SlipwayError.invalidParameter("Duplicate parameter keys have been submitted: '\(param.key)' with values '\(earlier)' and '\(param.value)'.")
            }
            seen[param.key] = param.value
        }
        try await writingRun(runID) { db, _ in
            if !params.isEmpty { try await insertParams(db, runID: runID, params) }
            if !metrics.isEmpty { try await insertMetrics(db, runID: runID, metrics) }
            if !tags.isEmpty { try await upsertTags(db, runID: runID, tags) }
        }
    }

    public func deleteTag(runID: String, key: String) async throws {
        try await writingRun(runID) { db, _ in
            guard try await database.first(db, "SELECT 1 AS one FROM tags WHERE run_uuid = \(bind: runID) AND key = \(bind: key)") != nil else {
                throw SlipwayError.notFound("No tag with name: \(key) in run with id \(runID)")
            }
            try await database.run(db, "DELETE FROM tags WHERE run_uuid = \(bind: runID) AND key = \(bind: key)")
        }
    }

    public func logInputs(runID: String, datasets: [DatasetInput], models: [String]) async throws {
        try await writingRun(runID) { db, _ in
            let base = try await database.first(db, "SELECT COUNT(*) AS n FROM run_inputs WHERE run_uuid = \(bind: runID)")?
                .int64("n") ?? 0
            for (i, input) in datasets.enumerated() {
                let d = input.dataset
                let context = input.tags.first(where: { $0.key == "mlflow.data.context" })?.value
                let tagsJSON = JSONWriter.string(.array(input.tags.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) }))
                try await database.run(db, """
                    INSERT INTO run_inputs (run_uuid, position, dataset_name, dataset_digest, source_type, source, dataset_schema, profile, context, tags_json)
                    VALUES (\(bind: runID), \(bind: base + Int64(i)), \(bind: d.name), \(bind: d.digest), \(bind: d.sourceType), \(bind: d.source),
                            \(bind: d.schema), \(bind: d.profile), \(bind: context), \(bind: tagsJSON))
                    ON CONFLICT (run_uuid, dataset_name, dataset_digest) DO UPDATE SET context = excluded.context, tags_json = excluded.tags_json
                    """)
            }
            for model in models {
                try await database.run(db, "INSERT INTO run_model_inputs (run_uuid, model_id) VALUES (\(bind: runID), \(bind: model)) ON CONFLICT DO NOTHING")
            }
        }
    }

    public func logOutputs(runID: String, models: [ModelOutput]) async throws {
        try await writingRun(runID) { db, _ in
            for output in models {
                try await database.run(db, """
                    INSERT INTO run_outputs (run_uuid, model_id, step) VALUES (\(bind: runID), \(bind: output.modelID), \(bind: output.step))
                    ON CONFLICT (run_uuid, model_id) DO UPDATE SET step = excluded.step
                    """)
            }
        }
    }

    public func metricHistory(runID: String, key: String, maxResults: Int, pageToken: String?) async throws -> Page<Metric> {
        let offset = try PageToken.decode(pageToken)
        let limit = min(max(maxResults, 1), 100_000)
        let points = try await database.withConnection { db in
            guard try await database.first(db, "SELECT 1 AS one FROM runs WHERE run_uuid = \(bind: runID)") != nil else {
                throw SlipwayError.notFound("Run with id=\(runID) not found")
            }
            return try await metricPoints(db, where: "run_uuid = \(bind: runID) AND key = \(bind: key)")
        }
        let sorted = points.sorted(by: MetricChunk.historyOrder)
        let window = offset < sorted.count ? Array(sorted[offset..<min(sorted.count, offset + limit + 1)]) : []
        return PageToken.page(window, offset: offset, limit: limit)
    }

    /// Every point of the chunks that match, each with its run, model and dataset.
    func metricPoints(_ db: any SQLDatabase, where condition: SQLQueryString) async throws -> [Metric] {
        var points: [Metric] = []
        for row in try await database.rows(db, "SELECT run_uuid, key, model_id, dataset_name, dataset_digest, points FROM metric_chunks WHERE " + condition) {
            let template = Metric(
                key: try row.string("key"), value: 0, timestamp: 0, step: 0, modelID: try row.optionalString("model_id"),
                datasetName: try row.optionalString("dataset_name"), datasetDigest: try row.optionalString("dataset_digest"),
                runID: try row.string("run_uuid"))
            points += try MetricChunk.decode(try row.bytes("points"), template: template)
        }
        return points
    }

    // MARK: - Pieces shared by the writes

    /// The run's info, or RESOURCE_DOES_NOT_EXIST; INVALID_PARAMETER_VALUE when it is deleted.
    func activeRunInfo(_ db: any SQLDatabase, id: String) async throws -> RunInfo {
        guard let row = try await database.first(db, "SELECT \(unsafeRaw: Self.runColumns) FROM runs WHERE run_uuid = \(bind: id)") else {
            throw SlipwayError.notFound("Run with id=\(id) not found")
        }
        let info = try decodeRunInfo(row)
        guard info.lifecycleStage == .active else {
            throw SlipwayError.invalidParameter("The run \(id) must be in the 'active' state. Current state is \(info.lifecycleStage.rawValue).")
        }
        return info
    }

    /// Sets tags; `mlflow.runName` also renames the run unless `updatesName` is off (a new run
    /// already carries its name).
    func upsertTags(_ db: any SQLDatabase, runID: String, _ tags: [KeyValue], updatesName: Bool = true) async throws {
        // The last value of a key in the batch wins.
        var latest: [String: String] = [:]
        var order: [String] = []
        for tag in tags {
            if latest[tag.key] == nil { order.append(tag.key) }
            latest[tag.key] = tag.value
        }
        try await database.insert(
            db, into: "tags", columns: ["run_uuid", "key", "value"],
            rows: order.sorted().map { [.text(runID), .text($0), .text(latest[$0]!)] },  // key order: no deadlock between batches
            suffix: " ON CONFLICT (run_uuid, key) DO UPDATE SET value = excluded.value")
        if updatesName, let name = latest["mlflow.runName"] {
            try await database.run(db, "UPDATE runs SET name = \(bind: name) WHERE run_uuid = \(bind: runID)")
        }
    }

    func insertParams(_ db: any SQLDatabase, runID: String, _ params: [KeyValue]) async throws {
        let keys = params.map(\.key)
        let existing = try await database.rows(db, "SELECT key, value FROM params WHERE run_uuid = \(bind: runID) AND key IN (\(binds: keys))")
        var stored: [String: String] = [:]
        for row in existing { stored[try row.string("key")] = try row.string("value") }
        var fresh: [KeyValue] = []
        for param in params {
            if let old = stored[param.key] {
                if old != param.value {
                    throw SlipwayError.invalidParameter(
                        "Changing param values is not allowed. Param with key='\(param.key)' was already logged with value='\(old)' for run ID='\(runID)'. Attempted logging new value '\(param.value)'.")
                }
            } else if !fresh.contains(where: { $0.key == param.key }) {
                fresh.append(param)
            }
        }
        try await database.insert(db, into: "params", columns: ["run_uuid", "key", "value"],
                                  rows: fresh.map { [.text(runID), .text($0.key), .text($0.value)] })
    }

    func insertMetrics(_ db: any SQLDatabase, runID: String, _ metrics: [Metric]) async throws {
        // One chunk per key, model and dataset, in the order they first appear.
        struct ChunkKey: Hashable { let key: String, model: String?, datasetName: String?, datasetDigest: String? }
        var order: [ChunkKey] = []
        var groups: [ChunkKey: [Metric]] = [:]
        var run: (key: ChunkKey, points: [Metric])?
        // Consecutive points usually share a chunk: gather runs of them, hash once per run.
        func flush() {
            guard let current = run else { return }
            if groups[current.key] == nil { order.append(current.key) }
            groups[current.key, default: []] += current.points
        }
        for m in metrics {
            if let current = run, current.key.key == m.key, current.key.model == m.modelID,
               current.key.datasetName == m.datasetName, current.key.datasetDigest == m.datasetDigest {
                run!.points.append(m)
                continue
            }
            flush()
            run = (ChunkKey(key: m.key, model: m.modelID, datasetName: m.datasetName, datasetDigest: m.datasetDigest), [m])
        }
        flush()
        try await database.insert(
            db, into: "metric_chunks",
            columns: ["run_uuid", "key", "model_id", "dataset_name", "dataset_digest", "point_count", "points"],
            rows: order.map { c in
                let points = groups[c]!
                return [.text(runID), .text(c.key), .text(c.model), .text(c.datasetName), .text(c.datasetDigest),
                        .int(Int64(points.count)), .blob(MetricChunk.encode(points))]
            })
        try await upsertLatest(db, table: "latest_metrics", owner: "run_uuid", metrics) { _ in runID }
        if metrics.contains(where: { $0.modelID != nil }) {
            try await upsertLatest(db, table: "latest_model_metrics", owner: "model_id", metrics) { $0.modelID }
        }
    }

    /// Keeps the latest point per owner and key: highest step, then timestamp, then value.
    /// - Parameter ownerOf: the owner of a point, or `nil` to skip it.
    func upsertLatest(
        _ db: any SQLDatabase, table: String, owner: String, _ metrics: [Metric], ownerOf: (Metric) -> String?
    ) async throws {
        struct Slot: Hashable { let owner: String, key: String }
        // Indices of the latest points, found without copying points around.
        var latestIndex: [Slot: Int] = [:]
        metrics.withUnsafeBufferPointer { points in
            for i in points.indices {
                guard let ownerID = ownerOf(points[i]) else { continue }
                let slot = Slot(owner: ownerID, key: points[i].key)
                if let current = latestIndex[slot], !Self.isLater(points[i], than: points[current]) { continue }
                latestIndex[slot] = i
            }
        }
        // In key order: two batches upserting the same keys of one run take their row locks in the same
        // order, so they wait for each other instead of deadlocking (PostgreSQL; a dictionary's order is not fixed).
        let latest = latestIndex.sorted { ($0.key.owner, $0.key.key) < ($1.key.owner, $1.key.key) }.map { ($0.key.owner, metrics[$0.value]) }
        try await database.insert(
            db, into: table, columns: [owner, "key", "value", "is_nan", "timestamp", "step"],
            rows: latest.map { ownerID, m in
                [.text(ownerID), .text(m.key), .double(m.value.isNaN ? 0 : m.value), .int(m.value.isNaN ? 1 : 0), .int(m.timestamp), .int(m.step)]
            },
            suffix: """
                 ON CONFLICT (\(owner), key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan,
                   timestamp = excluded.timestamp, step = excluded.step
                 WHERE excluded.step > \(table).step
                    OR (excluded.step = \(table).step AND excluded.timestamp > \(table).timestamp)
                    OR (excluded.step = \(table).step AND excluded.timestamp = \(table).timestamp AND excluded.value > \(table).value)
                """)
    }

    static func isLater(_ a: Metric, than b: Metric) -> Bool {
        if a.step != b.step { return a.step > b.step }
        if a.timestamp != b.timestamp { return a.timestamp > b.timestamp }
        return (a.value.isNaN ? 0 : a.value) > (b.value.isNaN ? 0 : b.value)
    }
}
