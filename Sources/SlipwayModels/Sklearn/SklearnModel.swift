import Foundation
public import SlipwayCore

/// A scikit-learn model saved with skops (MLflow's default format), served natively.
///
/// Supported so far:
/// - LinearRegression, Ridge, Lasso and ElasticNet (one target), alone or at the end of a
///   `Pipeline` whose earlier steps are StandardScaler or MinMaxScaler (without `clip`). Those
///   scalers are affine, so the pipeline folds into one linear model: `w·((x − m)/s) + b` is
///   `(w/s)·x + (b − Σ w·m/s)`.
/// - DecisionTreeRegressor, ExtraTreeRegressor, RandomForestRegressor, ExtraTreesRegressor
///   (`SklearnTreeRegressor`), missing values included.
/// Any other class is refused at load time, by name.
public struct SklearnModel: Predictor {
    let inner: any Predictor
    /// The classes the file holds, outermost first (`sklearn.pipeline.Pipeline`, ...).
    let classes: [String]

    static let regressors: Set<String> = [
        "sklearn.linear_model._base.LinearRegression", "sklearn.linear_model._ridge.Ridge",
        "sklearn.linear_model._coordinate_descent.Lasso", "sklearn.linear_model._coordinate_descent.ElasticNet",
    ]
    static let supported = "LinearRegression, Ridge, Lasso, ElasticNet, Pipelines of StandardScaler/MinMaxScaler steps ending in one, DecisionTreeRegressor, ExtraTreeRegressor, RandomForestRegressor, ExtraTreesRegressor"

    public init(skops bytes: [UInt8], source: String) throws(SlipwayError) {
        let file = try SkopsFile(bytes: bytes, source: source)
        var steps = [file.root]
        var classes = [file.root.qualifiedName]
        if file.root.qualifiedName == "sklearn.pipeline.Pipeline" {
            guard let items = try file.attribute(file.root, "steps").items, !items.isEmpty else { throw file.fail(file.root, "has no steps") }
            steps = []
            for item in items {
                guard let pair = item.items, pair.count == 2 else { throw file.fail(item, "is not a (name, estimator) pair") }
                steps.append(pair[1])
                classes.append(pair[1].qualifiedName)
            }
        }
        let estimator = steps.removeLast()
        let first = steps.first ?? estimator
        var names: [String] = []
        if let node = first.attribute("feature_names_in_") { names = try file.strings(node) }
        self.classes = classes
        if steps.isEmpty, SklearnTreeRegressor.single.union(SklearnTreeRegressor.ensembles).contains(estimator.qualifiedName) {
            inner = try SklearnTreeRegressor(file, estimator, featureNames: names)
            return
        }
        guard Self.regressors.contains(estimator.qualifiedName) else { throw Self.unsupported(file, estimator) }
        let coefficients = try file.numbers(try file.attribute(estimator, "coef_"))
        guard coefficients.shape.count == 1 || (coefficients.shape.count == 2 && coefficients.shape[0] == 1) else {
            throw file.fail(estimator, "predicts \(coefficients.shape.first ?? 0) targets; Slipway serves one")
        }
        var weights = coefficients.values
        var intercept = try file.numbers(try file.attribute(estimator, "intercept_")).values.first ?? 0
        // Fold the scalers in, last first: each maps x to a·x + c per feature.
        for step in steps.reversed() {
            let (scale, shift) = try Self.affine(file, step)
            guard scale.count == weights.count else { throw file.fail(step, "scales \(scale.count) features where the next step takes \(weights.count)") }
            for i in weights.indices {
                intercept += weights[i] * shift[i]
                weights[i] *= scale[i]
            }
        }
        do {
            inner = try LinearModel(featureNames: names, coefficients: [weights], intercept: [intercept], link: .identity, source: source)
        } catch {
            throw file.fail(estimator, "cannot be served: \(error.message)")
        }
    }

    /// A scaler as `x' = scale·x + shift` per feature.
    static func affine(_ file: SkopsFile, _ step: SkopsFile.Node) throws(SlipwayError) -> (scale: [Double], shift: [Double]) {
        switch step.qualifiedName {
        case "sklearn.preprocessing._data.StandardScaler":
            let withMean = step.attribute("with_mean")?.value != .bool(false), withStd = step.attribute("with_std")?.value != .bool(false)
            let width = Int(try file.numbers(try file.attribute(step, "n_features_in_")).values.first ?? 0)
            let mean = withMean ? try file.numbers(try file.attribute(step, "mean_")).values : [Double](repeating: 0, count: width)
            let deviation = withStd ? try file.numbers(try file.attribute(step, "scale_")).values : [Double](repeating: 1, count: width)
            guard mean.count == width, deviation.count == width, deviation.allSatisfy({ $0 != 0 }) else { throw file.fail(step, "has inconsistent mean_/scale_") }
            return (deviation.map { 1 / $0 }, zip(mean, deviation).map { -$0 / $1 })
        case "sklearn.preprocessing._data.MinMaxScaler":
            guard step.attribute("clip")?.value != .bool(true) else { throw file.fail(step, "clips (clip=True), which Slipway does not serve natively yet") }
            let scale = try file.numbers(try file.attribute(step, "scale_")).values, shift = try file.numbers(try file.attribute(step, "min_")).values
            guard scale.count == shift.count else { throw file.fail(step, "has inconsistent scale_/min_") }
            return (scale, shift)
        default:
            throw unsupported(file, step)
        }
    }

    static func unsupported(_ file: SkopsFile, _ node: SkopsFile.Node) -> SlipwayError {
        .invalidParameter("The scikit-learn model in '\(file.source)' uses \(node.qualifiedName), which Slipway does not serve natively yet (natively: \(supported))")
    }

    public var featureNames: [String] { inner.featureNames }
    public var featureCount: Int { inner.featureCount }
    public var outputKind: OutputKind { inner.outputKind }
    public var outputsPerRow: Int { inner.outputsPerRow }

    public func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try inner.predict(features, threads: threads)
    }

    public var summary: ModelSummary {
        var summary = inner.summary
        summary.format = "sklearn-skops"
        summary.objective = "regression"
        summary.details.insert(("classes", classes.map { String($0.split(separator: ".").last ?? "") }.joined(separator: " > ")), at: 0)
        return summary
    }
}
