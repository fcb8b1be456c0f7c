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

/// The widest model Slipway loads: evaluation keeps a block of rows of this many features in memory.
public let maximumFeatures = 1 << 20

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
    /// - Parameter threads: how many threads a large batch may use; 0 means every core.
    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double]
    /// What the model is, for `slipway model inspect` and the serving API's model metadata.
    var summary: ModelSummary { get }
    /// For a `.classIndex` output whose classes are text: the class each index names. Answers
    /// written out (serving, `slipway predict`) carry the text; evaluation and the prediction log
    /// keep the index. Empty when the outputs are the classes themselves.
    var classLabels: [String] { get }
    /// Feature slots whose values are text categories, with the text each code stands for: input
    /// readers read such a cell as its index in the list (-1 for text not in it; missing cells
    /// NaN). Empty for a model of numbers only.
    var textCategories: [Int: [String]] { get }
    /// Predicts a request's rows without holding a thread while it waits (a Python worker's
    /// answer); native models compute in place on one thread.
    func predictAsync(_ features: FeatureMatrix) async throws(SlipwayError) -> [Double]
}

extension Predictor {
    public var classLabels: [String] { [] }
    public var textCategories: [Int: [String]] { [:] }

    public func predictAsync(_ features: FeatureMatrix) async throws(SlipwayError) -> [Double] {
        try predict(features, threads: 1)
    }

    /// Predicts every row, using every core for large batches.
    public func predict(_ features: FeatureMatrix) throws(SlipwayError) -> [Double] {
        try predict(features, threads: 0)
    }

    func checkWidth(_ features: FeatureMatrix) throws(SlipwayError) {
        guard features.columns == featureCount else {
            throw .invalidParameter("The model expects \(featureCount) features per row, got \(features.columns)")
        }
    }
}

/// A model's description: its format, objective and size.
public struct ModelSummary: Sendable {
    /// `xgboost`, `lightgbm`, `linear` or `sklearn-skops`.
    public var format: String
    public var objective: String
    public var featureNames: [String]
    public var featureCount: Int
    public var outputKind: OutputKind
    public var outputsPerRow: Int
    /// Trees in the model (0 for a linear model).
    public var trees: Int
    /// Format-specific facts, in display order (booster, classes, max depth, categorical splits...).
    public var details: [(String, String)]
}
