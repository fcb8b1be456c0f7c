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
    /// The latest value of each metric the version's run logged; read once when the version loads (`GET /models/{name}` shows them).
    func runMetrics(_ runID: String) async throws -> [(key: String, value: Double)]
}

/// The registry and artifact store of this process.
public struct RegistryModelSource: ModelSource {
    let registry: any RegistryStore
    let files: any ModelVersionFiles
    let tracking: any TrackingStore
    let registryChanges: RegistryChanges?

    public init(registry: any RegistryStore, files: any ModelVersionFiles, tracking: any TrackingStore, changes: RegistryChanges?) {
        self.registry = registry
        self.files = files
        self.tracking = tracking
        self.registryChanges = changes
    }

    public func version(for target: ServingTarget) async throws -> ModelVersion {
        try await registry.getModelVersion(name: target.name, alias: target.alias)
    }

    public func fetch(_ version: ModelVersion) async throws -> FetchedModel {
        let tree = try await files.verifiedFiles(version).tree
        return FetchedModel(version: version, directory: tree.directory, digest: "sha256:" + tree.digest)
    }

    public func changes() -> AsyncStream<String>? {
        registryChanges?.watch()
    }

    public func runMetrics(_ runID: String) async throws -> [(key: String, value: Double)] {
        try await tracking.getRun(id: runID).metrics.map { ($0.key, $0.value) }
    }
}
