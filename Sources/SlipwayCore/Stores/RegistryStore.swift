/// The model registry: registered models, their versions, tags, stages and aliases.
public protocol RegistryStore: Sendable {
    // MARK: Registered models
    func createRegisteredModel(name: String, tags: [KeyValue], description: String?) async throws -> RegisteredModel
    func getRegisteredModel(name: String) async throws -> RegisteredModel
    func updateRegisteredModel(name: String, description: String) async throws -> RegisteredModel
    func renameRegisteredModel(name: String, newName: String) async throws -> RegisteredModel
    /// Deletes a model with its versions, tags and aliases.
    func deleteRegisteredModel(name: String) async throws
    func searchRegisteredModels(_ search: EntitySearch) async throws -> Page<RegisteredModel>
    /// The latest version in each of the given stages (all stages when empty).
    func latestVersions(name: String, stages: [ModelStage]) async throws -> [ModelVersion]
    func setRegisteredModelTag(name: String, tag: KeyValue) async throws
    func deleteRegisteredModelTag(name: String, key: String) async throws

    // MARK: Versions
    func createModelVersion(_ request: CreateModelVersionRequest) async throws -> ModelVersion
    func getModelVersion(name: String, version: Int) async throws -> ModelVersion
    func updateModelVersion(name: String, version: Int, description: String) async throws -> ModelVersion
    func deleteModelVersion(name: String, version: Int) async throws
    /// Moves a version to a stage; with `archiveExisting`, other versions in that stage go to Archived.
    func transitionStage(name: String, version: Int, stage: ModelStage, archiveExisting: Bool) async throws -> ModelVersion
    func setModelVersionTag(name: String, version: Int, tag: KeyValue) async throws
    func deleteModelVersionTag(name: String, version: Int, key: String) async throws
    func searchModelVersions(_ search: EntitySearch) async throws -> Page<ModelVersion>

    // MARK: Aliases
    func setAlias(name: String, alias: String, version: Int) async throws
    func deleteAlias(name: String, alias: String) async throws
    func getModelVersion(name: String, alias: String) async throws -> ModelVersion
}

/// What `model-versions/create` carries, once the source has been checked.
public struct CreateModelVersionRequest: Sendable {
    public var name: String
    public var source: String
    public var runID: String
    public var runLink: String
    public var description: String
    public var userID: String
    public var modelID: String?
    public var tags: [KeyValue]

    public init(name: String, source: String, runID: String, runLink: String = "", description: String = "", userID: String = "", modelID: String?, tags: [KeyValue]) {
        self.name = name
        self.source = source
        self.runID = runID
        self.runLink = runLink
        self.description = description
        self.userID = userID
        self.modelID = modelID
        self.tags = tags
    }
}
