import Foundation
import SlipwayCore
import SlipwayModels

/// Before a version is served it must predict: on the input example logged with it
/// (`input_example.json`), or on a row of zeros, with finite results.
enum SmokeTest {
    static func run(_ predictor: any Predictor, directory: String) throws(SlipwayError) {
        var features = try FeatureMatrix(rows: 1, columns: predictor.featureCount, values: [Double](repeating: 0, count: predictor.featureCount))
        if let data = FileManager.default.contents(atPath: directory + "/input_example.json"),
           let example = try? JSONParser.parse([UInt8](data)),
           let rows = try? PredictionInput.features(example, model: predictor, maxRows: 1000) {
            features = rows
        }
        let outputs: [Double]
        do {
            outputs = try predictor.predict(features, threads: 1)
        } catch {
            throw SlipwayError(.invalidState, "The smoke prediction failed: \(error.message)")
        }
        guard outputs.count == features.rows * predictor.outputsPerRow, outputs.allSatisfy(\.isFinite) else {
            throw SlipwayError(.invalidState, "The smoke prediction gave non-finite or missing outputs")
        }
    }
}
