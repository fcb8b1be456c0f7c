import ArgumentParser
import Foundation
import SlipwayApp
import SlipwayCore
import SlipwayJobs
import SlipwayModels
import SlipwayServing

/// `slipway predict`: run a model file or a registered model version natively on CSV or JSON lines
/// files, streaming: each file is read a block at a time on every core, each block predicted and
/// written in order, to a file or into a prediction table.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a model file or a registered model on CSV (header = feature names) or JSON lines files.",
        discussion: """
            --model takes a model file, or a registered model: NAME@ALIAS, NAME/VERSION or models:/NAME@ALIAS.
            --output-table writes into a table of Slipway's database (or --output-url's) with columns
            id, model, version, prediction (or p0, p1, ...), predicted_at (ms since the epoch), job_run;
            a row already there for the same id, model and version is kept, so running again adds nothing.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var python: PythonOptions
    @Option(help: "Model file (XGBoost .json/.ubj, LightGBM .txt, slipway-linear .json), MLflow model directory, or NAME@ALIAS / NAME/VERSION.")
    var model: String
    @Option(help: "Input: CSV with a header row, or JSON lines (.jsonl/.ndjson); a glob ('incoming/*.csv') reads every match in name order.")
    var input: String?
    @Option(name: .customLong("source-url"), help: "Input from a database instead: postgres://... or sqlite:PATH, with --query.") var sourceURL: String?
    @Option(help: "The SELECT whose rows are predicted (columns named as the model's features).") var query: String?
    @Option(help: "Where to write predictions (default: standard output); .jsonl/.ndjson writes JSON lines, anything else CSV.")
    var output: String?
    @Option(name: .customLong("output-table"), help: "Write into this table instead (needs a registered model).") var outputTable: String?
    @Option(name: .customLong("output-url"), help: "The database of --output-table: postgres://... or sqlite:PATH (default: Slipway's own).")
    var outputURL: String?
    @Option(help: "Column holding each row's key (CSV); without it a row's key is its file's digest and row number.") var id: String?
    @Option(help: "The same as --server (kept for scripts written before it).") var registry: String?
    @OptionGroup var remote: RemoteOptions
    @Option(help: "Threads (0 = every core).") var threads = 0

    /// `--registry`, else `--server` or SLIPWAY_SERVER, with the token and CA file.
    var server: (server: String, token: String?, certificateAuthority: String?)? {
        if let registry { return (registry, remote.credentials.token, remote.credentials.certificateAuthority) }
        return remote.resolved
    }

    func validate() throws {
        guard (input == nil) != (sourceURL == nil) else { throw ValidationError("Give --input, or --source-url with --query") }
        if (sourceURL == nil) != (query == nil) { throw ValidationError("--source-url and --query go together") }
        if sourceURL != nil, outputTable == nil { throw ValidationError("--source-url needs --output-table") }
        if outputTable != nil, output != nil { throw ValidationError("Give --output or --output-table, not both") }
        if outputURL != nil, outputTable == nil { throw ValidationError("--output-url needs --output-table") }
        if id != nil, outputTable == nil { throw ValidationError("--id needs --output-table") }
        if server != nil, outputTable != nil, outputURL == nil {
            throw ValidationError("With --server, --output-table needs --output-url (the server's own database is not reachable from here)")
        }
    }

    func run() async throws {
        try python.apply()
        guard let reference = RegisteredModelReference(model) else {
            guard outputTable == nil else {
                printError("--output-table needs a registered model (NAME@ALIAS or NAME/VERSION), not a model file")
                throw ExitCode(1)
            }
            do {
                try Self.predict(predictor: try ModelLoader.load(path: model), input: input ?? "", output: output, threads: threads)
            } catch {
                printError(error.message)
                throw ExitCode(1)
            }
            return
        }
        if let server {
            do {
                // The version's files come through the server's artifact proxy, checked against their recorded digests.
                let source = try RemoteModelSource(
                    registry: server.server, token: server.token, certificateAuthority: server.certificateAuthority,
                    cacheDirectory: store.dataDirectory + "/replica-cache", logger: commandLogger())
                let fetched: (ModelVersion, FetchedModel)
                do {
                    let version = try await reference.resolve(source)
                    fetched = (version, try await source.fetch(version))
                    await source.shutdown()
                } catch {
                    await source.shutdown()
                    throw error
                }
                let predictor = try ModelLoader.load(path: fetched.1.directory)
                if let outputTable, let outputURL {
                    try await predictIntoTable(predictor, version: fetched.0, table: outputTable, url: outputURL)
                } else {
                    try Self.predict(predictor: predictor, input: input ?? "", output: output, threads: threads)
                }
            } catch {
                printError(describe(error))
                throw ExitCode(1)
            }
            return
        }
        try await withServices(store) { services in
            let version = try await reference.resolve(services.registry)
            let directory = try await services.modelFiles.verifiedFiles(version).tree.directory
            let predictor = try ModelLoader.load(path: directory)
            guard let outputTable else {
                try Self.predict(predictor: predictor, input: input ?? "", output: output, threads: threads)
                return
            }
            if let outputURL {
                try await predictIntoTable(predictor, version: version, table: outputTable, url: outputURL)
            } else {
                try await predictIntoTable(predictor, version: version, table: outputTable, store: services.predictionTables)
            }
        }
    }

    /// Predicts the input into a prediction table of another database (`--output-url`).
    func predictIntoTable(_ predictor: any Predictor, version: ModelVersion, table: String, url: String) async throws {
        let target = try await PredictionDatabase.open(url: url, logger: commandLogger())
        do {
            try await predictIntoTable(predictor, version: version, table: table, store: target.tables)
            try? await target.close()
        } catch {
            try? await target.close()
            throw error
        }
    }

    /// Predicts the input (files, or a source query) into a prediction table and says what it did.
    func predictIntoTable(_ predictor: any Predictor, version: ModelVersion, table: String, store: any PredictionTableStore) async throws {
        var batch = BatchPrediction(
            predictor: predictor, provenance: PredictionProvenance(model: version.name, version: version.version, predictedAt: nowMilliseconds()),
            idColumn: id)
        batch.threads = threads
        if let sourceURL, let query {
            let source = try await PredictionDatabase.open(url: sourceURL, logger: commandLogger())
            let read: SourceRows
            do {
                read = try await source.features(query: query, featureNames: predictor.featureNames, featureCount: predictor.featureCount, idColumn: id)
                try? await source.close()
            } catch {
                try? await source.close()
                throw error
            }
            // Without an id column, a row's key is the query's digest and the row's number.
            let key = String(FileDigest.sha256(Array(query.utf8)).prefix(16)) + ":"
            let ids = id == nil ? (0..<read.rows).map { key + String($0 + 1) } : read.ids
            let features = try FeatureMatrix(rows: read.rows, columns: predictor.featureCount, values: read.values)
            let outcome = try await batch.run(features: features, ids: ids, into: table, store: store)
            print("\(version.name) v\(version.version): \(outcome.rowsRead) rows read from the source query, \(outcome.rowsWritten) new rows in table \(table)")
            return
        }
        let files = try InputFiles.expand(input ?? "")
        let progress = ProgressLine(totalBytes: files.reduce(0) { $0 + FileDigest.size(path: $1) })
        let outcome = try await batch.run(files: files, into: table, store: store, progress: progress?.update)
        progress?.finish()
        print("\(version.name) v\(version.version): \(outcome.rowsRead) rows read from \(outcome.files) file\(outcome.files == 1 ? "" : "s"), "
            + "\(outcome.rowsWritten) new rows in table \(table)")
    }

    /// Predicts every row of a file (or glob) into an output file or standard output.
    static func predict(predictor: any Predictor, input: String, output: String?, threads: Int) throws(SlipwayError) {
        let files = try InputFiles.expand(input)
        let format = output.map(TableFormat.init(path:)) ?? TableFormat(path: files[0])
        let writer = PredictionWriter(format: format, width: predictor.outputsPerRow)
        let file = try OutputFile(path: output)
        try file.write(writer.header)
        let transform = { (chunk: TableChunk) throws(SlipwayError) -> [UInt8] in
            var bytes: [UInt8] = []
            guard chunk.features.rows > 0 else { return bytes }
            let outputs = try predictor.predict(chunk.features, threads: 1)
            // Text classes, read after predicting: a Python worker's are numbered as they are first seen.
            PredictionWriter(format: format, width: predictor.outputsPerRow, labels: predictor.classLabels).append(outputs, to: &bytes)
            return bytes
        }
        let consume = { (bytes: [UInt8]) throws(SlipwayError) -> Void in try file.write(bytes) }
        for path in files {
            _ = try TableReader(format: TableFormat(path: path), source: path, threads: threads)
                .read(path: path, request: FeatureRequest(model: predictor), transform: transform, consume: consume)
        }
        try file.finish()
    }
}

/// `NAME@ALIAS`, `NAME/VERSION`, or either behind `models:/`: a registered model version to use.
struct RegisteredModelReference: CustomStringConvertible {
    var name: String
    var alias: String?
    var version: Int?

    /// `nil` when `text` names an existing file or directory, or is not of these forms (a model file then).
    init?(_ text: String) {
        if FileManager.default.fileExists(atPath: text) { return nil }
        let body = text.hasPrefix("models:/") ? String(text.dropFirst("models:/".count)) : text
        if let at = body.firstIndex(of: "@"), !body[..<at].isEmpty, !body[body.index(after: at)...].isEmpty, !body.contains("/") {
            name = String(body[..<at])
            alias = String(body[body.index(after: at)...])
            return
        }
        let parts = body.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, !parts[0].isEmpty, let number = Int(parts[1]), number > 0 {
            name = String(parts[0])
            version = number
            return
        }
        return nil
    }

    /// The version the reference names now. - Throws: the registry's error, naming the reference.
    func resolve(_ registry: any RegistryStore) async throws -> ModelVersion {
        try await named {
            if let alias { return try await registry.getModelVersion(name: name, alias: alias) }
            return try await registry.getModelVersion(name: name, version: version ?? 1)
        }
    }

    /// The version the reference names now, asked of a running server.
    func resolve(_ source: RemoteModelSource) async throws -> ModelVersion {
        try await named {
            if let alias { return try await source.version(for: ServingTarget(name: name, alias: alias)) }
            return try await source.version(name: name, number: version ?? 1)
        }
    }

    private func named(_ body: () async throws -> ModelVersion) async throws -> ModelVersion {
        do {
            return try await body()
        } catch var error as SlipwayError {
            error.message = "Cannot use model \(self): \(error.message)"
            throw error
        }
    }

    var description: String { alias.map { "\(name)@\($0)" } ?? "\(name)/\(version ?? 1)" }
}

func nowMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
