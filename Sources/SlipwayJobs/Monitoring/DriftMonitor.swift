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
    /// features and reference predictions are the given version's, else production's). The
    /// reference is a stored dataset (`holdout@2`, run through the version for its predictions) or
    /// a past window of the prediction log, every version's rows (`log:SINCE..UNTIL`: `log:14d..7d`,
    /// `log:2026-11-01T00:00:00Z..2026-11-08T00:00:00Z`).
    /// - Throws: INVALID_PARAMETER_VALUE for a bad reference, or a window without served rows.
    public func report(
        model: String, reference: String, version: Int?, since: Int64, until: Int64, method: DriftMethod? = nil, threshold: Double? = nil,
        share: Double = 0.5
    ) async throws -> ModelDriftReport {
        guard until > since else { throw SlipwayError.invalidParameter("'until' must be after 'since'") }
        let logWindow = try Self.logWindow(reference, now: now())
        let dataset = try logWindow == nil ? EvaluationDataset.parseReference(reference) : nil
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
        let ref: ReferenceColumns
        if let (referenceSince, referenceUntil) = logWindow {
            ref = try await logReference(model: model, version: modelVersion, since: referenceSince, until: referenceUntil)
        } else {
            ref = try await evaluator.referenceColumns(modelVersion, dataset: dataset!.0, datasetVersion: dataset!.1)
        }
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
            model: model, version: modelVersion.version, reference: ref.reference, since: since, until: until,
            referenceRows: ref.rows, currentRows: current.rows,
            drift: DataDrift.dataset(inputs, method: method, threshold: threshold, shareThreshold: share))
    }

    /// `log:SINCE..UNTIL` as times; `nil` for a dataset reference.
    /// - Throws: INVALID_PARAMETER_VALUE for a log window that is not `log:SINCE..UNTIL` with SINCE before UNTIL.
    static func logWindow(_ reference: String, now: Int64) throws(SlipwayError) -> (Int64, Int64)? {
        guard reference.hasPrefix("log:") else { return nil }
        let bounds = reference.dropFirst(4).components(separatedBy: "..")
        guard bounds.count == 2, !bounds[0].isEmpty else {
            throw .invalidParameter("A prediction log reference is log:SINCE..UNTIL (log:14d..7d, or times in ISO 8601), got '\(reference)'")
        }
        let since = try TimeBound.parse(bounds[0], now: now, what: "the reference's since")
        let until = bounds[1].isEmpty ? now + 1 : try TimeBound.parse(bounds[1], now: now, what: "the reference's until")
        guard until > since else { throw .invalidParameter("The reference window '\(reference)' ends before it starts") }
        return (since, until)
    }

    /// The rows every version of `model` served in a past window, with `version`'s features.
    func logReference(model: String, version: ModelVersion, since: Int64, until: Int64) async throws -> ReferenceColumns {
        let (names, _) = try await evaluator.shape(version)
        let rows = try await predictionLog.servedRows(model: model, since: since, until: until, version: nil, featureCount: names.count)
        let label = "log:\(WallClock.rfc3339(milliseconds: since))..\(WallClock.rfc3339(milliseconds: until))"
        guard rows.rows > 0 else {
            throw SlipwayError.invalidParameter("The reference \(label) holds no served rows of '\(model)' with its \(names.count) features")
        }
        let columns = (0..<names.count).map { c in (0..<rows.rows).map { rows.features[$0 * names.count + c] } }
        return ReferenceColumns(reference: label, rows: rows.rows, featureNames: names, columns: columns, outputs: rows.outputs, outputsPerRow: rows.outputsPerRow)
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
