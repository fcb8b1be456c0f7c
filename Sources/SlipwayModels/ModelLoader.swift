import Foundation
public import SlipwayCore

/// Opens a model file by its format. Today: XGBoost JSON (`*.json`).
public enum ModelLoader {
    /// - Throws: `INVALID_PARAMETER_VALUE` naming the file and what is wrong or unsupported.
    public static func load(path: String) throws(SlipwayError) -> any Predictor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidParameter("Cannot read model file '\(path)'")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".json") {
            return try XGBoostModel(json: [UInt8](data), source: path)
        }
        throw .invalidParameter("Model file '\(path)' has a format Slipway does not read yet (supported: XGBoost JSON, *.json)")
    }
}
