/// A run's status, as MLflow spells it.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running = "RUNNING"
    case scheduled = "SCHEDULED"
    case finished = "FINISHED"
    case failed = "FAILED"
    case killed = "KILLED"
}

/// The identity and state of a run, without its logged data.
public struct RunInfo: Sendable, Hashable {
    public var runID: String
    public var experimentID: String
    public var runName: String
    public var userID: String
    public var status: RunStatus
    public var startTime: Int64
    public var endTime: Int64?
    public var artifactURI: String
    public var lifecycleStage: LifecycleStage

    public init(
        runID: String, experimentID: String, runName: String, userID: String, status: RunStatus,
        startTime: Int64, endTime: Int64?, artifactURI: String, lifecycleStage: LifecycleStage
    ) {
        self.runID = runID
        self.experimentID = experimentID
        self.runName = runName
        self.userID = userID
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.artifactURI = artifactURI
        self.lifecycleStage = lifecycleStage
    }
}

/// One point of a metric's history.
public struct Metric: Sendable, Hashable {
    public var key: String
    public var value: Double
    /// Milliseconds since the Unix epoch.
    public var timestamp: Int64
    public var step: Int64
    /// The logged model this point is linked to (MLflow 3), if any.
    public var modelID: String?
    public var datasetName: String?
    public var datasetDigest: String?
    /// Set when the point is read back in a context that needs it (logged-model metrics).
    public var runID: String?

    public init(
        key: String, value: Double, timestamp: Int64, step: Int64 = 0, modelID: String? = nil,
        datasetName: String? = nil, datasetDigest: String? = nil, runID: String? = nil
    ) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.step = step
        self.modelID = modelID
        self.datasetName = datasetName
        self.datasetDigest = datasetDigest
        self.runID = runID
    }
}

/// A dataset as MLflow's `log_input` describes it.
public struct Dataset: Sendable, Hashable {
    public var name: String
    public var digest: String
    public var sourceType: String
    public var source: String
    public var schema: String?
    public var profile: String?

    public init(name: String, digest: String, sourceType: String, source: String, schema: String?, profile: String?) {
        self.name = name
        self.digest = digest
        self.sourceType = sourceType
        self.source = source
        self.schema = schema
        self.profile = profile
    }
}

/// A dataset used by a run, with the input's tags (such as `mlflow.data.context`).
public struct DatasetInput: Sendable, Hashable {
    public var dataset: Dataset
    public var tags: [KeyValue]

    public init(dataset: Dataset, tags: [KeyValue]) {
        self.dataset = dataset
        self.tags = tags
    }
}

/// A logged model a run produced, at a step.
public struct ModelOutput: Sendable, Hashable {
    public var modelID: String
    public var step: Int64

    public init(modelID: String, step: Int64) {
        self.modelID = modelID
        self.step = step
    }
}

/// A run with everything logged to it: latest metric values, params, tags, inputs and outputs.
public struct Run: Sendable, Hashable {
    public var info: RunInfo
    /// The latest value of each metric key (highest step, then latest timestamp).
    public var metrics: [Metric]
    public var params: [KeyValue]
    public var tags: [KeyValue]
    public var inputs: [DatasetInput]
    public var modelInputs: [String]
    public var outputs: [ModelOutput]

    public init(
        info: RunInfo, metrics: [Metric] = [], params: [KeyValue] = [], tags: [KeyValue] = [],
        inputs: [DatasetInput] = [], modelInputs: [String] = [], outputs: [ModelOutput] = []
    ) {
        self.info = info
        self.metrics = metrics
        self.params = params
        self.tags = tags
        self.inputs = inputs
        self.modelInputs = modelInputs
        self.outputs = outputs
    }
}
