/// The legacy model-version stages.
public enum ModelStage: String, Sendable, Codable, CaseIterable {
    case none = "None"
    case staging = "Staging"
    case production = "Production"
    case archived = "Archived"

    /// Parses a stage name case-insensitively, as MLflow does (`production` → `Production`).
    public init?(caseInsensitive name: String) {
        guard let stage = ModelStage.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = stage
    }
}

/// A version of a registered model.
public struct ModelVersion: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var currentStage: ModelStage
    public var description: String
    public var userID: String
    public var source: String
    public var runID: String
    public var runLink: String
    public var status: String
    public var modelID: String?
    public var tags: [KeyValue]
    public var aliases: [String]

    public init(
        name: String, version: Int, creationTimestamp: Int64, lastUpdatedTimestamp: Int64,
        currentStage: ModelStage, description: String, userID: String, source: String, runID: String,
        runLink: String, status: String = "READY", modelID: String? = nil, tags: [KeyValue] = [],
        aliases: [String] = []
    ) {
        self.name = name
        self.version = version
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
        self.currentStage = currentStage
        self.description = description
        self.userID = userID
        self.source = source
        self.runID = runID
        self.runLink = runLink
        self.status = status
        self.modelID = modelID
        self.tags = tags
        self.aliases = aliases
    }
}

/// An alias (such as `production`) pointing at one version of a registered model.
public struct ModelAlias: Sendable, Hashable {
    public var alias: String
    public var version: Int

    public init(alias: String, version: Int) {
        self.alias = alias
        self.version = version
    }
}

/// A named model in the registry with its tags, aliases and latest version per stage.
public struct RegisteredModel: Sendable, Hashable {
    public var name: String
    public var creationTimestamp: Int64
    public var lastUpdatedTimestamp: Int64
    public var description: String?
    public var latestVersions: [ModelVersion]
    public var tags: [KeyValue]
    public var aliases: [ModelAlias]

    public init(
        name: String, creationTimestamp: Int64, lastUpdatedTimestamp: Int64, description: String?,
        latestVersions: [ModelVersion] = [], tags: [KeyValue] = [], aliases: [ModelAlias] = []
    ) {
        self.name = name
        self.creationTimestamp = creationTimestamp
        self.lastUpdatedTimestamp = lastUpdatedTimestamp
        self.description = description
        self.latestVersions = latestVersions
        self.tags = tags
        self.aliases = aliases
    }
}
