import ArgumentParser
import SlipwayCore
import SlipwayModels

/// `slipway predict`: run a model file natively on a CSV or JSON lines file of features, streaming:
/// the file is read a block at a time on every core, each block predicted and written in order.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict with a model file on a CSV (header = feature names) or JSON lines file of features.")

    @Option(help: "Model file (XGBoost .json/.ubj, LightGBM .txt, slipway-linear .json) or MLflow model directory.") var model: String
    @Option(help: "Input: CSV with a header row, or JSON lines (.jsonl/.ndjson: one object or array per line).") var input: String
    @Option(help: "Where to write predictions (default: standard output); .jsonl/.ndjson writes JSON lines, anything else CSV.")
    var output: String?
    @Option(help: "Threads (0 = every core).") var threads = 0

    func run() async throws {
        do {
            try Self.predict(model: model, input: input, output: output, threads: threads)
        } catch {
            printError(error.message)
            throw ExitCode(1)
        }
    }

    static func predict(model: String, input: String, output: String?, threads: Int) throws(SlipwayError) {
        let predictor = try ModelLoader.load(path: model)
        let format = TableFormat(path: input)
        let writer = PredictionWriter(format: output.map(TableFormat.init(path:)) ?? format, width: predictor.outputsPerRow)
        let file = try OutputFile(path: output)
        try file.write(writer.header)
        let transform = { (chunk: TableChunk) throws(SlipwayError) -> [UInt8] in
            var bytes: [UInt8] = []
            if chunk.features.rows > 0 { writer.append(try predictor.predict(chunk.features, threads: 1), to: &bytes) }
            return bytes
        }
        let consume = { (bytes: [UInt8]) throws(SlipwayError) -> Void in try file.write(bytes) }
        _ = try TableReader(format: format, source: input, threads: threads)
            .read(path: input, request: FeatureRequest(model: predictor), transform: transform, consume: consume)
        try file.finish()
    }
}
