import ArgumentParser
import Foundation
import SlipwayCore
import SlipwayModels

/// `slipway predict`: run a model file natively on a CSV of features.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Predict with a model file on a CSV of features (header = feature names).")

    @Option(help: "Model file (XGBoost JSON).") var model: String
    @Option(help: "CSV input with a header row.") var input: String
    @Option(help: "Where to write predictions as CSV (default: standard output).") var output: String?

    func run() async throws {
        do {
            let predictor = try ModelLoader.load(path: model)
            guard let text = try? String(contentsOfFile: input, encoding: .utf8) else {
                throw SlipwayError.invalidParameter("Cannot read input file '\(input)'")
            }
            let features = try CSVTable(text: text, source: input).features(for: predictor)
            let predictions = try predictor.predict(features)
            let width = predictor.outputsPerRow
            let header = width == 1 ? "prediction" : (0..<width).map { "p\($0)" }.joined(separator: ",")
            var lines = [header]
            lines.reserveCapacity(features.rows + 1)
            for r in 0..<features.rows {
                lines.append((0..<width).map { formatPrediction(predictions[r * width + $0]) }.joined(separator: ","))
            }
            let csv = lines.joined(separator: "\n") + "\n"
            if let output {
                try csv.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                print(csv, terminator: "")
            }
        } catch let error as SlipwayError {
            printError(error.message)
            throw ExitCode(1)
        }
    }
}

/// Enough digits to round-trip a Double.
func formatPrediction(_ value: Double) -> String {
    "\(value)"
}
