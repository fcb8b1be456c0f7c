/// A named, versioned evaluation dataset: a CSV of features and a target column, stored as an
/// artifact with its SHA-256. Adding the same bytes again gives back the same version.
public struct EvaluationDataset: Sendable, Hashable {
    public var name: String
    public var version: Int
    /// SHA-256 of the CSV file, hex.
    public var digest: String
    public var target: String
    public var columns: [String]
    public var rows: Int
    /// Where the CSV is in the artifact store.
    public var artifactPath: String
    public var createdAt: Int64

    public init(name: String, version: Int, digest: String, target: String, columns: [String], rows: Int, artifactPath: String, createdAt: Int64) {
        self.name = name
        self.version = version
        self.digest = digest
        self.target = target
        self.columns = columns
        self.rows = rows
        self.artifactPath = artifactPath
        self.createdAt = createdAt
    }

    /// `NAME@VERSION`, as `parseReference` reads it.
    public var reference: String { "\(name)@\(version)" }

    /// `NAME` or `NAME@VERSION`.
    public static func parseReference(_ text: String) throws(SlipwayError) -> (name: String, version: Int?) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard !parts[0].isEmpty, parts.count == 1 || Int(parts[1]).map({ $0 > 0 }) == true else {
            throw .invalidParameter("'\(text)' is not a dataset: write NAME or NAME@VERSION, e.g. holdout@2")
        }
        return (parts[0], parts.count > 1 ? Int(parts[1]) : nil)
    }

    /// - Throws: INVALID_PARAMETER_VALUE for a name that cannot be a path segment.
    public static func validateName(_ name: String) throws(SlipwayError) {
        guard !name.isEmpty, name.utf8.count <= 200, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), name != ".", name != ".." else {
            throw .invalidParameter("Dataset names use letters, digits, '-', '_' and '.' (at most 200), got '\(name)'")
        }
    }
}

/// One model version scored on one dataset version.
public struct Evaluation: Sendable, Hashable {
    public var id: String
    public var model: String
    public var version: Int
    public var dataset: String
    public var datasetVersion: Int
    public var datasetDigest: String
    public var task: EvaluationMetrics.Task
    /// Metric name and value, in the order they were computed.
    public var metrics: [KeyValue]
    public var rows: Int
    public var createdAt: Int64

    public init(id: String, model: String, version: Int, dataset: String, datasetVersion: Int, datasetDigest: String, task: EvaluationMetrics.Task, metrics: [(String, Double)], rows: Int, createdAt: Int64) {
        self.id = id
        self.model = model
        self.version = version
        self.dataset = dataset
        self.datasetVersion = datasetVersion
        self.datasetDigest = datasetDigest
        self.task = task
        self.metrics = metrics.map { KeyValue(key: $0.0, value: JSONWriter.string(.number($0.1))) }
        self.rows = rows
        self.createdAt = createdAt
    }

    /// A metric's value, if this evaluation computed it (NaN and infinities included: ROC AUC of one
    /// class, MAPE with a zero target).
    public func value(_ metric: String) -> Double? {
        metrics.first { $0.key == metric }.flatMap { Self.number($0.value) }
    }

    /// Every metric as a number.
    public var metricValues: [(key: String, value: Double)] {
        metrics.compactMap { metric in Self.number(metric.value).map { (metric.key, $0) } }
    }

    /// A metric as it is kept: JSON text of a number (NaN and the infinities quoted, as JSONWriter writes them).
    static func number(_ text: String) -> Double? {
        Double(text) ?? (try? JSONParser.parse(text))?.numberValue
    }
}

extension EvaluationDataset {
    /// The dataset version as the API returns it (`GET /api/v1/datasets`) and the CLI prints it.
    public var json: JSONValue {
        .object([
            ("name", .string(name)), ("version", .string(String(version))), ("digest", .string("sha256:" + digest)), ("target", .string(target)),
            ("columns", .array(columns.map { .string($0) })), ("rows", .int(rows)), ("created_at", .int(createdAt)),
        ])
    }
}

extension Evaluation {
    /// The evaluation as the API returns it and the CLI prints it.
    public var json: JSONValue {
        .object([
            ("id", .string(id)), ("model", .string(model)), ("version", .string(String(version))), ("dataset", .string(dataset)),
            ("dataset_version", .string(String(datasetVersion))), ("dataset_digest", .string("sha256:" + datasetDigest)),
            ("task", .string(task.rawValue)), ("rows", .int(rows)), ("created_at", .int(createdAt)),
            ("metrics", .object(metricValues.map { ($0.key, JSONValue.number($0.value)) })),
        ])
    }
}
