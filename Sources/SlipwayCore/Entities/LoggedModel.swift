/// The state of an MLflow 3 logged model.
public enum LoggedModelStatus: String, Sendable, Codable {
    case pending = "LOGGED_MODEL_PENDING"
    case ready = "LOGGED_MODEL_READY"
    case failed = "LOGGED_MODEL_UPLOAD_FAILED"
    case unspecified = "LOGGED_MODEL_STATUS_UNSPECIFIED"
}

/// An MLflow 3 logged model: the model files live under its own artifact root.
public struct LoggedModel: Sendable, Hashable {
    public var modelID: String
    public var experimentID: String
    public var name: String
    public var artifactURI: String
    public var status: LoggedModelStatus
    public var modelType: String
    public var sourceRunID: String?
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var tags: [KeyValue]
    public var params: [KeyValue]
    public var metrics: [Metric]

    public init(
        modelID: String, experimentID: String, name: String, artifactURI: String, status: LoggedModelStatus,
        modelType: String, sourceRunID: String?, creationTimestamp: Int64, lastUpdatedTimestamp: Int64,
        tags: [KeyValue] = [], params: [KeyValue] = [], metrics: [Metric] = []
    ) {
        self.modelID = modelID
        self.experimentID = experimentID
        self.name = name
        self.artifactURI = artifactURI
        self.status = status
        self.modelType = modelType
        self.sourceRunID = sourceRunID
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
        self.tags = tags
        self.params = params
        self.metrics = metrics
    }
}
