public import SlipwayCore

/// What a model's outputs mean.
public enum OutputKind: String, Sendable {
    /// One real value per row (regression, raw margins).
    case value
    /// One probability per row (binary classification).
    case probability
    /// One probability per class per row (multiclass).
    case classProbabilities
    /// The predicted class index per row.
    case classIndex
}

/// Rows of features, row-major, missing values as NaN.
public struct FeatureMatrix: Sendable {
    public let rows: Int
    public let columns: Int
    public var values: [Double]

    /// - Throws: `INVALID_PARAMETER_VALUE` when `values` is not `rows * columns` long.
    public init(rows: Int, columns: Int, values: [Double]) throws(SlipwayError) {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw .invalidParameter("A feature matrix of \(rows) x \(columns) needs \(rows * columns) values, got \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }
}

/// A model that predicts natively, with no Python.
public protocol Predictor: Sendable {
    /// Feature names in column order (empty when the model file has none).
    var featureNames: [String] { get }
    /// How many features a row must have.
    var featureCount: Int { get }
    var outputKind: OutputKind { get }
    /// Outputs per row: 1, or the number of classes for class probabilities.
    var outputsPerRow: Int { get }
    /// Predicts every row; the result holds `rows * outputsPerRow` values, row-major.
    func predict(_ features: FeatureMatrix) throws(SlipwayError) -> [Double]
}
