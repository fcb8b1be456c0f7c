import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayModels

/// `slipway predict`: run a model file natively on a CSV or JSON lines file of features.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict with a model file on a CSV (header = feature names) or JSON lines file of features.")

    @Option(help: "Model file (XGBoost .json/.ubj, LightGBM .txt, slipway-linear .json) or MLflow model directory.") var model: String
    @Option(help: "Input: CSV with a header row, or JSON lines (.jsonl/.ndjson: one object or array per line).") var input: String
    @Option(help: "Where to write predictions (default: standard output); .jsonl/.ndjson writes JSON lines, anything else CSV.")
    var output: String?
    @Option(help: "Threads for large batches (0 = every core).") var threads = 0

    func run() async throws {
        do {
            let predictor = try ModelLoader.load(path: model)
            guard let text = try? String(contentsOfFile: input, encoding: .utf8) else {
                throw SlipwayError.invalidParameter("Cannot read input file '\(input)'")
            }
            let jsonInput = Self.isJSONLines(input)
            let features = jsonInput
                ? try JSONLinesTable(text: text, source: input).features(for: predictor)
                : try CSVTable(text: text, source: input).features(for: predictor)
            let predictions = try predictor.predict(features, threads: threads)
            let jsonOutput = output.map(Self.isJSONLines) ?? jsonInput
            let rendered = jsonOutput
                ? Self.jsonLines(predictions, rows: features.rows, predictor: predictor)
                : Self.csv(predictions, rows: features.rows, width: predictor.outputsPerRow)
            if let output {
                try rendered.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                print(rendered, terminator: "")
            }
        } catch let error as SlipwayError {
            printError(error.message)
            throw ExitCode(1)
        }
    }

    static func isJSONLines(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson")
    }

    static func csv(_ predictions: [Double], rows: Int, width: Int) -> String {
        var lines = [width == 1 ? "prediction" : (0..<width).map { "p\($0)" }.joined(separator: ",")]
        lines.reserveCapacity(rows + 1)
        for r in 0..<rows {
            lines.append((0..<width).map { formatPrediction(predictions[r * width + $0]) }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"prediction": 0.25}`, or `{"probabilities": [0.1, 0.9]}` for class probabilities.
    static func jsonLines(_ predictions: [Double], rows: Int, predictor: any Predictor) -> String {
        let width = predictor.outputsPerRow
        var out = ""
        for r in 0..<rows {
            let value: JSONValue = width == 1
                ? .object([("prediction", .number(predictions[r]))])
                : .object([("probabilities", .array((0..<width).map { .number(predictions[r * width + $0]) }))])
            out += JSONWriter.string(value) + "\n"
        }
        return out
    }
}

/// Enough digits to round-trip a Double.
func formatPrediction(_ value: Double) -> String {
    "\(value)"
}
