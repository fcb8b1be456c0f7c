public import SlipwayCore

/// A model's drift: the rows it served in a window against a reference dataset, feature by
/// feature, plus its own output as one more column (prediction drift).
public struct ModelDriftReport: Sendable {
    public var model: String
    public var version: Int
    public var reference: String
    public var since: Int64
    public var until: Int64
    public var referenceRows: Int
    public var currentRows: Int
    public var drift: DatasetDrift

    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("model", .string(model)), ("version", .string(String(version))), ("reference", .string(reference)),
            ("since", .int(since)), ("until", .int(until)), ("reference_rows", .int(Int64(referenceRows))), ("current_rows", .int(Int64(currentRows))),
        ]
        if case .object(let members) = drift.json { fields += members }
        return .object(fields)
    }
}

/// Drift of what a model serves against a reference dataset, with the data drift preset's tests.
public struct DriftMonitor: Sendable {
    let evaluator: Evaluator
    let registry: any RegistryStore
    let predictionLog: any PredictionLogStore
    let reports: any DriftReportStore
    let now: @Sendable () -> Int64

    public init(
        evaluator: Evaluator, registry: any RegistryStore, predictionLog: any PredictionLogStore, reports: any DriftReportStore,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) {
        self.evaluator = evaluator
        self.registry = registry
        self.predictionLog = predictionLog
        self.reports = reports
        self.now = now
    }

    /// Computes a report (as `report`) and stores it with its reference and window.
    public func run(
        model: String, reference: String, version: Int?, since: Int64, until: Int64, method: DriftMethod? = nil, threshold: Double? = nil,
        share: Double = 0.5
    ) async throws -> (ModelDriftReport, id: String) {
        let result = try await report(model: model, reference: reference, version: version, since: since, until: until, method: method, threshold: threshold, share: share)
        return (result, try await store(result))
    }

    /// Stores a report with its reference and window; returns its id.
    public func store(_ result: ModelDriftReport) async throws -> String {
        let time = now()
        let id = IDGenerator.timeOrdered(time)
        try await reports.record(StoredDriftReport(
            id: id, model: result.model, version: result.version, reference: result.reference, since: result.since, until: result.until, createdAt: time,
            drifted: result.drift.drifted, share: result.drift.share, report: JSONWriter.string(result.json)))
        return id
    }

    /// The drift of `model`'s served rows in `since..<until` (those of `version` when given; the
    /// features and reference predictions are the given version's, else production's).
    /// - Throws: INVALID_PARAMETER_VALUE for a bad reference, or a window without served rows.
    public func report(
        model: String, reference: String, version: Int?, since: Int64, until: Int64, method: DriftMethod? = nil, threshold: Double? = nil,
        share: Double = 0.5
    ) async throws -> ModelDriftReport {
        guard until > since else { throw SlipwayError.invalidParameter("'until' must be after 'since'") }
        let (dataset, datasetVersion) = try EvaluationDataset.parseReference(reference)
        let modelVersion: ModelVersion
        if let version {
            modelVersion = try await registry.getModelVersion(name: model, version: version)
        } else {
            do {
                modelVersion = try await registry.getModelVersion(name: model, alias: "production")
            } catch {
                throw SlipwayError.invalidParameter("Model '\(model)' has no production version: name one with 'version'")
            }
        }
        let ref = try await evaluator.referenceColumns(modelVersion, dataset: dataset, datasetVersion: datasetVersion)
        let current = try await predictionLog.servedRows(model: model, since: since, until: until, version: version, featureCount: ref.columns.count)
        guard current.rows > 0 else {
            throw SlipwayError.invalidParameter("Model '\(model)' served no rows with its \(ref.columns.count) features in this window: nothing to compare")
        }
        let width = ref.columns.count
        var inputs = (0..<width).map { c in
            let column = (0..<current.rows).map { current.features[$0 * width + c] }
            return DataDrift.Input(name: ref.featureNames[c], kind: .infer(current: column), reference: ref.columns[c], current: column)
        }
        inputs.append(Self.predictionColumn(reference: ref.outputs, referenceWidth: ref.outputsPerRow, current: current.outputs, currentWidth: current.outputsPerRow))
        return ModelDriftReport(
            model: model, version: modelVersion.version, reference: ref.dataset.reference, since: since, until: until,
            referenceRows: ref.dataset.rows, currentRows: current.rows,
            drift: DataDrift.dataset(inputs, method: method, threshold: threshold, shareThreshold: share))
    }

    /// The model's output as a column: the value for one output per row, else the most likely class (categories).
    static func predictionColumn(reference: [Double], referenceWidth: Int, current: [Double], currentWidth: Int) -> DataDrift.Input {
        func column(_ values: [Double], _ width: Int) -> [Double] {
            guard width > 1 else { return values }
            return stride(from: 0, to: values.count - width + 1, by: width).map { start in
                Double((0..<width).max { values[start + $0] < values[start + $1] } ?? 0)
            }
        }
        return DataDrift.Input(
            name: "prediction", kind: max(referenceWidth, currentWidth) > 1 ? .categorical : .numerical,
            reference: column(reference, referenceWidth), current: column(current, currentWidth))
    }
}
