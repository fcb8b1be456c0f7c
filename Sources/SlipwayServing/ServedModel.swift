public import SlipwayCore
public import SlipwayModels

/// One loaded model version, immutable: requests hold it while they predict, so a swap never
/// pulls a model out from under a request.
public final class ServedModel: Sendable {
    public let target: ServingTarget
    public let version: ModelVersion
    public let predictor: any Predictor
    public let digest: String
    /// Milliseconds since the Unix epoch.
    public let loadedAt: Int64
    /// Where requests served by this version are counted.
    public let metrics: VersionMetrics

    init(target: ServingTarget, version: ModelVersion, predictor: any Predictor, digest: String, loadedAt: Int64, metrics: VersionMetrics) {
        self.target = target
        self.version = version
        self.predictor = predictor
        self.digest = digest
        self.loadedAt = loadedAt
        self.metrics = metrics
    }
}

/// What the host knows of one target: the version it serves, and the last load that failed.
public struct ServingStatus: Sendable {
    public var target: ServingTarget
    public var served: ServedModel?
    /// The newest failure to load or smoke-test a version, cleared when a version loads.
    public var failure: Failure?
    public var reloads = 0
    public var failedReloads = 0

    public struct Failure: Sendable {
        public var version: Int?
        public var message: String
        /// Milliseconds since the Unix epoch.
        public var at: Int64
    }
}
