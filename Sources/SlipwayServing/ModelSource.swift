public import SlipwayCore

/// A model version's files, on disk and verified against their recorded digests.
public struct FetchedModel: Sendable {
    public var version: ModelVersion
    public var directory: String
    public var digest: String

    public init(version: ModelVersion, directory: String, digest: String) {
        self.version = version
        self.directory = directory
        self.digest = digest
    }
}

/// Where the model host learns which version an alias points at and gets its files: the registry
/// in this process, or (for `slipway serve`) a remote one.
public protocol ModelSource: Sendable {
    /// The version behind the target's alias now.
    func version(for target: ServingTarget) async throws -> ModelVersion
    /// The version's model files, verified.
    func fetch(_ version: ModelVersion) async throws -> FetchedModel
    /// Names of registered models as they change, when the source can push them; `nil` to rely on polling.
    func changes() -> AsyncStream<String>?
    /// The latest value of each metric the version's run logged, for `GET /models/{name}`.
    func runMetrics(_ runID: String) async throws -> [(key: String, value: Double)]
}

/// The registry and artifact store of this process.
public struct RegistryModelSource: ModelSource {
    let registry: any RegistryStore
    let tracking: any TrackingStore
    let artifacts: any ArtifactRepository
    let registryChanges: RegistryChanges?

    public init(registry: any RegistryStore, tracking: any TrackingStore, artifacts: any ArtifactRepository, changes: RegistryChanges?) {
        self.registry = registry
        self.tracking = tracking
        self.artifacts = artifacts
        self.registryChanges = changes
    }

    public func version(for target: ServingTarget) async throws -> ModelVersion {
        try await registry.getModelVersion(name: target.name, alias: target.alias)
    }

    public func fetch(_ version: ModelVersion) async throws -> FetchedModel {
        let (_, tree) = try await verifiedFiles(version)
        return FetchedModel(version: version, directory: tree.directory, digest: "sha256:" + tree.digest)
    }

    public func changes() -> AsyncStream<String>? {
        registryChanges?.watch()
    }

    public func runMetrics(_ runID: String) async throws -> [(key: String, value: Double)] {
        try await tracking.getRun(id: runID).metrics.map { ($0.key, $0.value) }
    }

    /// The version's files checked against their recorded digests, and where they live in the
    /// artifact store (what a replica downloads).
    public func verifiedFiles(_ version: ModelVersion) async throws -> (root: ArtifactPath, tree: VerifiedArtifactTree) {
        let uri = try await artifactURI(version)
        let prefix = "mlflow-artifacts:/"
        guard uri.hasPrefix(prefix) else {
            throw SlipwayError(.invalidState, "Version \(version.version) of '\(version.name)' lives at '\(uri)', outside Slipway's artifact store")
        }
        let root = try ArtifactPath(String(uri.dropFirst(prefix.count)))
        return (root, try await artifacts.verifyTree(root))
    }

    /// The version's artifact root: its logged model's (MLflow 3), else its source (`models:/m-...`,
    /// `runs:/RUN/path`, or an artifact URI).
    func artifactURI(_ version: ModelVersion) async throws -> String {
        if let id = version.modelID, !id.isEmpty { return try await tracking.getLoggedModel(id: id).artifactURI }
        let source = version.source
        if source.hasPrefix("models:/") { return try await tracking.getLoggedModel(id: String(source.dropFirst("models:/".count))).artifactURI }
        if source.hasPrefix("runs:/") {
            let rest = source.dropFirst("runs:/".count)
            let parts = rest.split(separator: "/", maxSplits: 1).map(String.init)
            let run = try await tracking.getRun(id: parts[0])
            return parts.count > 1 ? run.info.artifactURI + "/" + parts[1] : run.info.artifactURI
        }
        return source
    }
}
