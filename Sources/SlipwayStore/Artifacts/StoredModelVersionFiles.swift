public import SlipwayCore

/// A model version's files in this store's artifact repository: the directory its logged model
/// (MLflow 3) or its source names, verified file by file against the recorded digests.
public struct StoredModelVersionFiles: ModelVersionFiles {
    let tracking: any TrackingStore
    let artifacts: any ArtifactRepository

    public init(tracking: any TrackingStore, artifacts: any ArtifactRepository) {
        self.tracking = tracking
        self.artifacts = artifacts
    }

    public func verifiedFiles(_ version: ModelVersion) async throws -> VerifiedModelFiles {
        let uri = try await artifactURI(version)
        let prefix = "mlflow-artifacts:/"
        guard uri.hasPrefix(prefix) else {
            throw SlipwayError(.invalidState, "Version \(version.version) of '\(version.name)' lives at '\(uri)', outside Slipway's artifact store")
        }
        let root = try ArtifactPath(String(uri.dropFirst(prefix.count)))
        return VerifiedModelFiles(root: root, tree: try await artifacts.verifyTree(root))
    }

    /// The version's artifact root: its logged model's (MLflow 3), else its source (`models:/m-...`,
    /// `runs:/RUN/path`, or an artifact URI).
    func artifactURI(_ version: ModelVersion) async throws -> String {
        if let id = version.modelID, !id.isEmpty { return try await tracking.getLoggedModel(id: id).artifactURI }
        let source = version.source
        if source.hasPrefix("models:/") { return try await tracking.getLoggedModel(id: String(source.dropFirst("models:/".count))).artifactURI }
        if source.hasPrefix("runs:/") {
            let parts = source.dropFirst("runs:/".count).split(separator: "/", maxSplits: 1).map(String.init)
            guard let runID = parts.first else { throw SlipwayError.invalidParameter("Version \(version.version) of '\(version.name)' has source '\(source)' without a run id") }
            let run = try await tracking.getRun(id: runID)
            return parts.count > 1 ? run.info.artifactURI + "/" + parts[1] : run.info.artifactURI
        }
        return source
    }
}
