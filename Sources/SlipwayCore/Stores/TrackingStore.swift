/// The tracking side of the store: experiments, runs, their logged data, and MLflow 3 logged models.
///
/// `logBatch` is the one write primitive for metrics, params and tags; the singular `logMetric`,
/// `logParam` and `setTag` are extensions that call it (as MLflow's abstract store does).
/// Every method throws ``SlipwayError`` with MLflow's codes for a client's mistakes.
public protocol TrackingStore: Sendable {
    // MARK: Experiments
    /// Creates an experiment and returns its id.
    /// - Parameters:
    ///   - name: unique among experiments, active or deleted.
    ///   - artifactLocation: where its runs' artifacts go; `nil` lets the store choose.
    func createExperiment(name: String, artifactLocation: String?, tags: [KeyValue]) async throws -> String
    func getExperiment(id: String) async throws -> Experiment
    /// The experiment with that name, or `nil`.
    func getExperiment(name: String) async throws -> Experiment?
    func searchExperiments(_ search: EntitySearch, viewType: ViewType) async throws -> Page<Experiment>
    func renameExperiment(id: String, newName: String) async throws
    func setExperimentLifecycle(id: String, _ stage: LifecycleStage) async throws
    func setExperimentTag(id: String, tag: KeyValue) async throws
    func deleteExperimentTag(id: String, key: String) async throws

    // MARK: Runs
    func createRun(_ request: CreateRunRequest) async throws -> Run
    func getRun(id: String) async throws -> Run
    func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo
    func setRunLifecycle(id: String, _ stage: LifecycleStage) async throws
    /// Logs metrics, params and tags to a run atomically: all of it or none of it.
    func logBatch(runID: String, metrics: [Metric], params: [KeyValue], tags: [KeyValue]) async throws
    func deleteTag(runID: String, key: String) async throws
    func logInputs(runID: String, datasets: [DatasetInput], models: [String]) async throws
    func logOutputs(runID: String, models: [ModelOutput]) async throws
    /// Every point of one metric of a run, ordered by step then timestamp.
    func metricHistory(runID: String, key: String, maxResults: Int, pageToken: String?) async throws -> Page<Metric>
    func searchRuns(_ search: RunSearch) async throws -> Page<Run>
    /// Searches runs and turns each into an encoded form (a wire format). A store that keeps runs
    /// in memory may keep each run's encoding, named by `encoding`, until the run changes.
    func searchRuns<Encoded: Sendable>(
        _ search: RunSearch, encoding: String, _ encode: @escaping @Sendable (Run) -> Encoded
    ) async throws -> Page<Encoded>

    // MARK: Logged models (MLflow 3)
    func createLoggedModel(_ request: CreateLoggedModelRequest) async throws -> LoggedModel
    func getLoggedModel(id: String) async throws -> LoggedModel
    func finalizeLoggedModel(id: String, status: LoggedModelStatus) async throws -> LoggedModel
    func setLoggedModelTags(id: String, tags: [KeyValue]) async throws
    func deleteLoggedModelTag(id: String, key: String) async throws
    func searchLoggedModels(experimentIDs: [String], search: EntitySearch) async throws -> Page<LoggedModel>
}

extension TrackingStore {
    public func searchRuns<Encoded: Sendable>(
        _ search: RunSearch, encoding: String, _ encode: @escaping @Sendable (Run) -> Encoded
    ) async throws -> Page<Encoded> {
        let page = try await searchRuns(search)
        return Page(items: page.items.map(encode), nextPageToken: page.nextPageToken)
    }

    /// Logs one metric point.
    public func logMetric(runID: String, _ metric: Metric) async throws {
        try await logBatch(runID: runID, metrics: [metric], params: [], tags: [])
    }

    /// Logs one param; logging a different value for the same key is an error.
    public func logParam(runID: String, _ param: KeyValue) async throws {
        try await logBatch(runID: runID, metrics: [], params: [param], tags: [])
    }

    /// Sets one tag, replacing an earlier value.
    public func setTag(runID: String, _ tag: KeyValue) async throws {
        try await logBatch(runID: runID, metrics: [], params: [], tags: [tag])
    }
}

/// What `runs/create` carries.
public struct CreateRunRequest: Sendable {
    public var experimentID: String
    public var userID: String
    public var runName: String?
    public var startTime: Int64
    public var tags: [KeyValue]

    public init(experimentID: String, userID: String, runName: String?, startTime: Int64, tags: [KeyValue]) {
        self.experimentID = experimentID
        self.userID = userID
        self.runName = runName
        self.startTime = startTime
        self.tags = tags
    }
}

/// What `POST logged-models` carries.
public struct CreateLoggedModelRequest: Sendable {
    public var experimentID: String
    public var name: String?
    public var modelType: String?
    public var sourceRunID: String?
    public var params: [KeyValue]
    public var tags: [KeyValue]

    public init(experimentID: String, name: String?, modelType: String?, sourceRunID: String?, params: [KeyValue], tags: [KeyValue]) {
        self.experimentID = experimentID
        self.name = name
        self.modelType = modelType
        self.sourceRunID = sourceRunID
        self.params = params
        self.tags = tags
    }
}
