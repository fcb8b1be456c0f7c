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
    /// The latest value of each metric the version's run logged, read once when it loaded.
    public let runMetrics: [(key: String, value: Double)]
    /// Where requests served by this version are counted.
    public let metrics: VersionMetrics

    init(
        target: ServingTarget, version: ModelVersion, predictor: any Predictor, digest: String, loadedAt: Int64,
        runMetrics: [(key: String, value: Double)], metrics: VersionMetrics
    ) {
        self.target = target
        self.version = version
        self.predictor = predictor
        self.digest = digest
        self.loadedAt = loadedAt
        self.runMetrics = runMetrics
        self.metrics = metrics
    }
}

/// What the host knows of one target: the version it serves, and the last load that failed.
public struct ServingStatus: Sendable {
    public var target: ServingTarget
    public var served: ServedModel?
    /// The newest problem (a version that failed to load or smoke-test, or an alias that could not be
    /// resolved), cleared when a version loads or the alias comes back to the one served.
    public var failure: Failure?
    /// The version that failed to load and waits for its next try; kept while the registry cannot be
    /// reached, so its backoff goes on growing.
    public var retrying: Failure?
    public var reloads = 0
    public var failedReloads = 0

    public struct Failure: Sendable {
        /// The version that failed to load, or `nil` when the alias could not be resolved.
        public var version: Int?
        public var message: String
        /// Milliseconds since the Unix epoch.
        public var at: Int64
        /// Failures of this version in a row.
        public var attempts = 1
        /// When the version is tried again (milliseconds since the Unix epoch); `nil` when the
        /// alias could not be resolved (tried again at every poll).
        public var retryAt: Int64?
    }
}
