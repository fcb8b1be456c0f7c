/// The files of a registered model version, read from the artifact store and checked against the
/// SHA-256 each file was recorded with at upload: what serving loads and what evaluation scores,
/// through the same check.
public protocol ModelVersionFiles: Sendable {
    /// Finds the version's artifact directory (its logged model's, or its source's) and verifies
    /// every file in it.
    /// - Throws: `RESOURCE_DOES_NOT_EXIST` when the directory is missing or empty; `INVALID_STATE`
    ///   when the version lives outside the artifact store or a file differs from its record.
    func verifiedFiles(_ version: ModelVersion) async throws -> VerifiedModelFiles
}

/// A model version's directory in the artifact store, every file verified.
public struct VerifiedModelFiles: Sendable, Hashable {
    /// Where the version's files are, relative to the artifact root (what a replica downloads).
    public var root: ArtifactPath
    public var tree: VerifiedArtifactTree

    public init(root: ArtifactPath, tree: VerifiedArtifactTree) {
        self.root = root
        self.tree = tree
    }
}
