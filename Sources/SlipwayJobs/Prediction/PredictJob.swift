import Foundation
public import SlipwayCore
public import SlipwayModels

/// The `predict` job kind: what no earlier run has read, predicted by the version behind the job's
/// alias now, into its table. From files, that is the files whose path was never read, or whose
/// size or modification time changed and so did their digest; from a SQL source, the rows whose
/// watermark column is above the highest value read before. What was read is recorded only after
/// its rows are committed, so a failed run is simply run again (the table keeps one row per id,
/// model and version whatever happens).
public struct PredictJob: Sendable {
    let registry: any RegistryStore
    let modelFiles: any ModelVersionFiles
    let jobs: any JobStore
    let tables: any PredictionTableStore
    /// Opens another database's prediction tables (a spec's `output_url`), and the closing of it.
    let openDatabase: @Sendable (String) async throws -> (any PredictionTableStore, @Sendable () async -> Void)
    /// Reads a SQL source's rows for a predictor: URL, query, the predictor, the id column, the watermark.
    let readSource: @Sendable (String, String, any Predictor, String?, SourceWatermark) async throws -> SourceRows

    public init(
        registry: any RegistryStore, modelFiles: any ModelVersionFiles, jobs: any JobStore, tables: any PredictionTableStore,
        openDatabase: @escaping @Sendable (String) async throws -> (any PredictionTableStore, @Sendable () async -> Void),
        readSource: @escaping @Sendable (String, String, any Predictor, String?, SourceWatermark) async throws -> SourceRows
    ) {
        self.readSource = readSource
        self.registry = registry
        self.modelFiles = modelFiles
        self.jobs = jobs
        self.tables = tables
        self.openDatabase = openDatabase
    }

    /// Runs `job` as run `runID` (over a `backfill` range when given); returns what the run did, in a line.
    public func run(_ job: Job, runID: String, now: Int64, backfill: Backfill? = nil) async throws -> String {
        let spec = try PredictJobSpec(json: job.argument)
        let (name, alias) = Self.target(job.model)
        let version = try await registry.getModelVersion(name: name, alias: alias)
        if let sourceURL = spec.sourceURL, let query = spec.query, let column = spec.watermark {
            return try await runSource(
                job, spec: spec, version: version, url: sourceURL, query: query, watermark: column, runID: runID, now: now, backfill: backfill)
        }
        let fresh = try await newFiles(job: job.name, input: spec.input, backfill: backfill, now: now)
        guard !fresh.isEmpty else { return "v\(version.version): no new files in \(spec.input)" }
        let predictor = try ModelLoader.load(path: try await modelFiles.verifiedFiles(version).tree.directory)
        let batch = BatchPrediction(
            predictor: predictor, provenance: PredictionProvenance(model: name, version: version.version, predictedAt: now, jobRun: runID),
            idColumn: spec.idColumn)
        let paths = fresh.map(\.path), digests = fresh.map(\.digest)
        let outcome = try await withTables(spec) { store in
            try await batch.run(files: paths, digests: digests, into: spec.outputTable, store: store)
        }
        let read = zip(fresh, outcome.rowsPerFile).map { file, rows in
            var file = file
            file.rows = rows
            file.runID = runID
            return file
        }
        if backfill == nil { try await jobs.recordProcessed(job: job.name, files: read, at: now) }
        return "v\(version.version): \(outcome.rowsRead) rows read from \(outcome.files) new file\(outcome.files == 1 ? "" : "s"), "
            + "\(outcome.rowsWritten) new rows in table \(spec.outputTable)"
    }

    /// A run over a SQL source: the rows above the last watermark, then the new watermark.
    func runSource(
        _ job: Job, spec: PredictJobSpec, version: ModelVersion, url: String, query: String, watermark column: String, runID: String, now: Int64,
        backfill: Backfill?
    ) async throws -> String {
        let after = backfill == nil ? try await jobs.watermark(job: job.name) : nil
        let predictor = try ModelLoader.load(path: try await modelFiles.verifiedFiles(version).tree.directory)
        let range = SourceWatermark(column: column, after: after, from: backfill?.since, until: backfill?.until)
        let source = try await readSource(url, query, predictor, spec.idColumn, range)
        guard source.rows > 0, let last = source.lastWatermark else {
            return "v\(version.version): no new rows (\(column) > \(after ?? "-"))"
        }
        let batch = BatchPrediction(
            predictor: predictor, provenance: PredictionProvenance(model: version.name, version: version.version, predictedAt: now, jobRun: runID),
            idColumn: spec.idColumn)
        // Without an id column, a row's key is the query's digest, the watermark read after, and the row's number.
        let key = String(FileDigest.sha256(Array((query + "\u{0}" + (after ?? "") + "\u{0}" + (backfill?.since ?? "")).utf8)).prefix(16)) + ":"
        let ids = spec.idColumn == nil ? (0..<source.rows).map { key + String($0 + 1) } : source.ids
        let features = try FeatureMatrix(rows: source.rows, columns: predictor.featureCount, values: source.values)
        let outcome = try await withTables(spec) { store in
            try await batch.run(features: features, ids: ids, into: spec.outputTable, store: store)
        }
        if backfill == nil { try await jobs.recordWatermark(job: job.name, value: last, runID: runID, at: now) }
        return "v\(version.version): \(outcome.rowsRead) rows read (\(column) up to \(last)), \(outcome.rowsWritten) new rows in table \(spec.outputTable)"
    }

    /// Runs `body` on the job's prediction tables: Slipway's own, or the spec's other database (closed after).
    func withTables(_ spec: PredictJobSpec, _ body: (any PredictionTableStore) async throws -> BatchPrediction.Outcome) async throws
        -> BatchPrediction.Outcome {
        guard let url = spec.outputURL else { return try await body(tables) }
        let (store, close) = try await openDatabase(url)
        do {
            let outcome = try await body(store)
            await close()
            return outcome
        } catch {
            await close()
            throw error
        }
    }

    /// The input's files that no run has read yet (a glob that matches nothing has none); for a
    /// backfill, every file modified in its range (`since`/`until` as ``TimeBound`` texts).
    func newFiles(job: String, input: String, backfill: Backfill?, now: Int64) async throws -> [ProcessedFile] {
        let isGlob = input.contains(where: { "*?[".contains($0) })
        let files: [String]
        if isGlob {
            guard let matched = try? InputFiles.expand(input) else { return [] }
            files = matched
        } else {
            files = try InputFiles.expand(input)
        }
        let since = try backfill?.since.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "since") }
        let until = try backfill?.until.map { text throws(SlipwayError) in try TimeBound.parse(text, now: now, what: "until") }
        var known: [String: ProcessedFile] = [:]
        if backfill == nil { for file in try await jobs.processedFiles(job: job) { known[file.path] = file } }
        var fresh: [ProcessedFile] = []
        for path in files {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
            let modified = ((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970).map { Int64(($0 * 1000).rounded()) } ?? -1
            if let since, modified < since { continue }
            if let until, modified >= until { continue }
            if let seen = known[path], seen.size == size, seen.modifiedAt == modified { continue }
            let digest = try FileDigest.sha256(path: path)
            if let seen = known[path], seen.digest == digest { continue }
            fresh.append(ProcessedFile(path: path, size: size, modifiedAt: modified, digest: digest, rows: 0, runID: ""))
        }
        return fresh
    }

    /// `NAME@ALIAS`, or `NAME` for `NAME@production`.
    static func target(_ model: String) -> (name: String, alias: String) {
        guard let at = model.firstIndex(of: "@") else { return (model, "production") }
        return (String(model[..<at]), String(model[model.index(after: at)...]))
    }
}
