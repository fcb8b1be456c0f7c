import Foundation
import SlipwayCore
import SlipwayModels

/// Before a version is served it must predict, with finite results: on the example logged with it
/// (MLflow's `serving_input_example.json`, or `input_example.json` in pandas' split orientation), or
/// on a row of zeros when there is none or it does not fit the model.
enum SmokeTest {
    static func run(_ predictor: any Predictor, directory: String) throws(SlipwayError) {
        let zeros = try FeatureMatrix(rows: 1, columns: predictor.featureCount, values: [Double](repeating: 0, count: predictor.featureCount))
        let features = example(directory, predictor) ?? zeros
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

    static func example(_ directory: String, _ predictor: any Predictor) -> FeatureMatrix? {
        for (file, wrap) in [("serving_input_example.json", false), ("input_example.json", true)] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file),
                  var body = try? JSONParser.parse([UInt8](data)) else { continue }
            if wrap, body["columns"] != nil, body["data"] != nil { body = .object([("dataframe_split", body)]) }
            if let rows = try? PredictionInput.features(body, model: predictor, maxRows: 1000) { return rows }
        }
        return nil
    }
}
