import Crypto
import Foundation
public import SlipwayCore
import SlipwayModels

/// A reference dataset seen through a model version: its feature columns and the version's outputs.
public struct ReferenceColumns: Sendable {
    /// What the rows are: `holdout@2`, or a window of the prediction log.
    public var reference: String
    public var rows: Int
    public var featureNames: [String]
    public var columns: [[Double]]
    public var outputs: [Double]
    public var outputsPerRow: Int
}

/// Standardized evaluation: a model version run natively on a pinned dataset version, scored with
/// the one implementation of the standard metrics (`EvaluationMetrics`). The result is stored with
/// the dataset's digest, logged on the version's run as `<dataset>_<metric>`, and announced with an
/// `ml.evaluation.completed.v1` event; `score` computes it without recording anything.
public struct Evaluator: Sendable {
    let evaluations: any EvaluationStore
    let registry: any RegistryStore
    let tracking: any TrackingStore
    let artifacts: any ArtifactRepository
    /// A model version's files, verified against their recorded digests (as serving reads them).
    let modelFiles: any ModelVersionFiles
    let now: @Sendable () -> Int64

    public init(
        evaluations: any EvaluationStore, registry: any RegistryStore, tracking: any TrackingStore, artifacts: any ArtifactRepository,
        modelFiles: any ModelVersionFiles, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.evaluations = evaluations
        self.registry = registry
        self.tracking = tracking
        self.artifacts = artifacts
        self.modelFiles = modelFiles
        self.now = now
    }

    /// Stores a CSV (features and a numeric target column) as the next version of a dataset, or
    /// returns the version that already has these bytes.
    public func addDataset(name: String, csv: [UInt8], target: String) async throws -> (EvaluationDataset, created: Bool) {
        try EvaluationDataset.validateName(name)
        // Every row is read, so a dataset with a bad cell or a target that is not a number is refused now.
        let (_, table) = try TableReader(format: .csv, source: name, threads: 2)
            .readAll(bytes: csv, request: FeatureRequest(featureNames: [], featureCount: 0, target: target))
        guard table.rows > 0 else { throw SlipwayError.invalidParameter("Dataset '\(name)' has a header but no rows") }
        let digest = ArtifactManifest.hex(SHA256.hash(data: csv))
        let path = try ArtifactPath("datasets/\(name)/\(digest)/data.csv")
        let upload = try artifacts.beginUpload(path)
        do {
            try await upload.append(Array(csv))
            _ = try await artifacts.commit(upload)
        } catch {
            await artifacts.abort(upload)
            throw error
        }
        return try await evaluations.addDataset(
            name: name, digest: digest, target: target, columns: table.header.filter { $0 != target }, rows: table.rows, artifactPath: path.description)
    }

    /// Evaluates a version on a dataset (its newest version unless one is named) and records it.
    public func evaluate(model name: String, version number: Int, dataset: String, datasetVersion: Int? = nil) async throws -> Evaluation {
        try await evaluate(try await registry.getModelVersion(name: name, version: number), dataset: dataset, datasetVersion: datasetVersion)
    }

    /// Evaluates a version on a dataset and records it.
    public func evaluate(_ version: ModelVersion, dataset: String, datasetVersion: Int? = nil) async throws -> Evaluation {
        let evaluation = try await score(version, dataset: dataset, datasetVersion: datasetVersion)
        try await record(evaluation, runID: version.runID)
        return evaluation
    }

    /// Scores a version on a dataset and changes nothing: what a dry run of a promotion uses.
    public func score(_ version: ModelVersion, dataset: String, datasetVersion: Int? = nil) async throws -> Evaluation {
        let data = try await evaluations.getDataset(name: dataset, version: datasetVersion)
        let csv = try await datasetBytes(data)
        let predictor = try ModelLoader.load(path: try await modelFiles.verifiedFiles(version).tree.directory)
        var outputs: [Double] = [], target: [Double] = []
        _ = try TableReader(format: .csv, source: dataset, threads: 2).read(
            bytes: csv, request: FeatureRequest(model: predictor, target: data.target)
        ) { chunk throws(SlipwayError) in
            (chunk.features.rows > 0 ? try predictor.predict(chunk.features, threads: 1) : [], chunk.target)
        } consume: { chunk throws(SlipwayError) in
            outputs.append(contentsOf: chunk.0)
            target.append(contentsOf: chunk.1)
        }
        let (task, metrics) = try Self.score(kind: predictor.outputKind, classes: predictor.outputsPerRow, target: target, outputs: outputs)
        let time = now()
        return Evaluation(
            id: IDGenerator.timeOrdered(time), model: version.name, version: version.version, dataset: data.name, datasetVersion: data.version,
            datasetDigest: data.digest, task: task, metrics: metrics, rows: target.count, createdAt: time)
    }

    /// A dataset's feature columns in the version's feature order, and the version's outputs on
    /// its rows: the reference that drift compares live rows with.
    public func referenceColumns(_ version: ModelVersion, dataset: String, datasetVersion: Int? = nil) async throws -> ReferenceColumns {
        let data = try await evaluations.getDataset(name: dataset, version: datasetVersion)
        let csv = try await datasetBytes(data)
        let predictor = try ModelLoader.load(path: try await modelFiles.verifiedFiles(version).tree.directory)
        var columns = [[Double]](repeating: [], count: predictor.featureCount)
        var outputs: [Double] = []
        _ = try TableReader(format: .csv, source: dataset, threads: 2).read(
            bytes: csv, request: FeatureRequest(model: predictor)
        ) { chunk throws(SlipwayError) in
            (chunk.features, chunk.features.rows > 0 ? try predictor.predict(chunk.features, threads: 1) : [])
        } consume: { chunk throws(SlipwayError) in
            let (features, predicted) = chunk
            for c in 0..<features.columns { columns[c].append(contentsOf: (0..<features.rows).map { features.values[$0 * features.columns + c] }) }
            outputs.append(contentsOf: predicted)
        }
        return ReferenceColumns(
            reference: data.reference, rows: data.rows, featureNames: Self.featureNames(predictor), columns: columns, outputs: outputs,
            outputsPerRow: predictor.outputsPerRow)
    }

    /// A version's feature names (`f0`, `f1`, ... when its model names none) and how many outputs it gives per row.
    public func shape(_ version: ModelVersion) async throws -> (featureNames: [String], outputsPerRow: Int) {
        let predictor = try ModelLoader.load(path: try await modelFiles.verifiedFiles(version).tree.directory)
        return (Self.featureNames(predictor), predictor.outputsPerRow)
    }

    static func featureNames(_ predictor: any Predictor) -> [String] {
        predictor.featureNames.count == predictor.featureCount ? predictor.featureNames : (0..<predictor.featureCount).map { "f\($0)" }
    }

    /// Stores an evaluation with its `ml.evaluation.completed.v1` event, and logs its metrics on the
    /// version's run as `<dataset>_<metric>`.
    func record(_ evaluation: Evaluation, runID: String) async throws {
        let metrics = evaluation.metricValues
        let event = Event(
            type: .evaluationCompleted, source: "/slipway/evaluation", subject: "models/\(evaluation.model)/versions/\(evaluation.version)",
            time: evaluation.createdAt,
            data: .object([
                ("model_name", .string(evaluation.model)), ("version", .string(String(evaluation.version))), ("run_id", .string(runID)),
                ("dataset", .string(evaluation.dataset)), ("dataset_version", .string(String(evaluation.datasetVersion))),
                ("dataset_digest", .string(evaluation.datasetDigest)), ("task", .string(evaluation.task.rawValue)), ("rows", .int(evaluation.rows)),
                ("metrics", .object(metrics.map { ($0.0, .number($0.1)) })), ("timestamp", .int(evaluation.createdAt)),
            ]))
        try await evaluations.recordEvaluation(evaluation, event: event)
        if !runID.isEmpty, (try? await tracking.getRun(id: runID)) != nil {
            try await tracking.logBatch(
                runID: runID, metrics: metrics.map { Metric(key: "\(evaluation.dataset)_\($0.0)", value: $0.1, timestamp: evaluation.createdAt, step: 0) },
                params: [], tags: [])
        }
    }

    /// The dataset's CSV, checked against its digest.
    func datasetBytes(_ data: EvaluationDataset) async throws -> [UInt8] {
        guard let file = try await artifacts.localFile(try ArtifactPath(data.artifactPath)), let bytes = FileManager.default.contents(atPath: file) else {
            throw SlipwayError(.invalidState, "The file of dataset \(data.name)@\(data.version) is missing from the artifact store")
        }
        guard ArtifactManifest.hex(SHA256.hash(data: bytes)) == data.digest else {
            throw SlipwayError(.invalidState, "The file of dataset \(data.name)@\(data.version) no longer matches its recorded SHA-256")
        }
        return Array(bytes)
    }

    /// Which metrics a model's output calls for, computed.
    static func score(kind: OutputKind, classes: Int, target: [Double], outputs: [Double]) throws(SlipwayError) -> (EvaluationMetrics.Task, [(String, Double)]) {
        switch kind {
        case .value:
            return (.regression, EvaluationMetrics.regression(truth: target, predicted: outputs))
        case .probability:
            return (.binary, EvaluationMetrics.binary(truth: try labels(target, classes: 2), probability: outputs))
        case .classProbabilities:
            return (.multiclass, EvaluationMetrics.multiclass(truth: try labels(target, classes: classes), probabilities: outputs, classes: classes))
        case .classIndex:
            let truth = try labels(target, classes: Int.max)
            let predicted = outputs.map { Int(exactly: $0) ?? -1 }  // a class index, or -1 (never right) for a non-integral output
            return (.multiclass, EvaluationMetrics.labelScores(truth: truth, predicted: predicted, labels: Array(Set(truth).union(predicted)).sorted()))
        }
    }

    /// Class labels from the target column: integers from 0 to `classes - 1`.
    static func labels(_ target: [Double], classes: Int) throws(SlipwayError) -> [Int] {
        try target.enumerated().map { (r, value) throws(SlipwayError) in
            guard value == value.rounded(), value >= 0, value < Double(classes) else {
                throw .invalidParameter("Row \(r + 2): a classifier's target must be a class index from 0 to \(classes == Int.max ? "n" : String(classes - 1)), got \(value)")
            }
            return Int(value)
        }
    }
}
