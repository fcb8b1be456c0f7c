import Foundation
public import SlipwayCore
import SQLKit

/// Evaluation datasets and evaluations over SQL.
public struct SQLEvaluationStore: EvaluationStore {
    let database: StoreDatabase
    let events: SQLEventStore
    let now: @Sendable () -> Int64

    public init(database: StoreDatabase, events: SQLEventStore, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.database = database
        self.events = events
        self.now = now
    }

    public func addDataset(name: String, digest: String, target: String, columns: [String], rows: Int, artifactPath path: String) async throws -> (EvaluationDataset, created: Bool) {
        try EvaluationDataset.validateName(name)
        let time = now()
        let columnsJSON = JSONWriter.string(.array(columns.map { .string($0) }))
        return try await database.transaction { db in
            let newest = try await database.first(db, "SELECT * FROM evaluation_datasets WHERE name = \(bind: name) ORDER BY version DESC LIMIT 1\(unsafeRaw: database.forUpdate)")
            if let newest, try newest.string("digest") == digest, try newest.string("target") == target {
                return (try Self.dataset(newest), false)
            }
            let version = (try newest?.int("version") ?? 0) + 1
            try await database.run(db, """
                INSERT INTO evaluation_datasets (name, version, digest, target, columns, row_count, artifact_path, created_at)
                VALUES (\(bind: name), \(bind: Int64(version)), \(bind: digest), \(bind: target), \(bind: columnsJSON), \(bind: Int64(rows)), \(bind: path), \(bind: time))
                """)
            return (EvaluationDataset(name: name, version: version, digest: digest, target: target, columns: columns, rows: rows, artifactPath: path, createdAt: time), true)
        }
    }

    public func getDataset(name: String, version: Int?) async throws -> EvaluationDataset {
        let row = try await database.withConnection { db in
            if let version {
                return try await database.first(db, "SELECT * FROM evaluation_datasets WHERE name = \(bind: name) AND version = \(bind: Int64(version))")
            }
            return try await database.first(db, "SELECT * FROM evaluation_datasets WHERE name = \(bind: name) ORDER BY version DESC LIMIT 1")
        }
        guard let row else { throw SlipwayError.notFound("No dataset '\(name)'\(version.map { " version \($0)" } ?? "")") }
        return try Self.dataset(row)
    }

    public func listDatasets() async throws -> [EvaluationDataset] {
        try await database.withConnection { db in
            try await database.rows(db, "SELECT * FROM evaluation_datasets ORDER BY name, version DESC").map(Self.dataset)
        }
    }

    public func recordEvaluation(_ evaluation: Evaluation, event: Event) async throws {
        let metrics = JSONWriter.string(.object(evaluation.metricValues.map { ($0.key, .number($0.value)) }))
        try await database.transaction { db in
            try await database.run(db, """
                INSERT INTO evaluations (evaluation_id, name, version, dataset, dataset_version, dataset_digest, task, metrics, row_count, created_at)
                VALUES (\(bind: evaluation.id), \(bind: evaluation.model), \(bind: Int64(evaluation.version)), \(bind: evaluation.dataset),
                        \(bind: Int64(evaluation.datasetVersion)), \(bind: evaluation.datasetDigest), \(bind: evaluation.task.rawValue), \(bind: metrics),
                        \(bind: Int64(evaluation.rows)), \(bind: evaluation.createdAt))
                """)
            try event.validate()
            try await events.insert(db, event)
        }
    }

    public func listEvaluations(model: String, version: Int?) async throws -> [Evaluation] {
        let rows = try await database.withConnection { db in
            if let version {
                return try await database.rows(db, "SELECT * FROM evaluations WHERE name = \(bind: model) AND version = \(bind: Int64(version)) ORDER BY created_at DESC, evaluation_id DESC")
            }
            return try await database.rows(db, "SELECT * FROM evaluations WHERE name = \(bind: model) ORDER BY created_at DESC, evaluation_id DESC")
        }
        return try rows.map { row in
            let parsed = try JSONParser.parse(try row.string("metrics"))
            guard case .object(let members) = parsed else { throw SlipwayError(.internalError, "Stored evaluation metrics are not an object") }
            return Evaluation(
                id: try row.string("evaluation_id"), model: try row.string("name"), version: try row.int("version"), dataset: try row.string("dataset"),
                datasetVersion: try row.int("dataset_version"), datasetDigest: try row.string("dataset_digest"),
                task: EvaluationMetrics.Task(rawValue: try row.string("task")) ?? .regression,
                metrics: members.compactMap { key, value in value.numberValue.map { (key, $0) } },
                rows: try row.int("row_count"), createdAt: try row.int64("created_at"))
        }
    }

    static func dataset(_ row: StoreRow) throws -> EvaluationDataset {
        EvaluationDataset(
            name: try row.string("name"), version: try row.int("version"), digest: try row.string("digest"), target: try row.string("target"),
            columns: (try JSONParser.parse(try row.string("columns")).arrayValue ?? []).compactMap(\.stringValue), rows: try row.int("row_count"),
            artifactPath: try row.string("artifact_path"), createdAt: try row.int64("created_at"))
    }
}
