import SlipwayCore

/// scikit-learn's linear models as Slipway's `LinearModel`: LinearRegression, Ridge, Lasso and
/// ElasticNet (one target), and LogisticRegression (binary: the probability of the second class;
/// multinomial: one row per class, softmax). Affine preprocessing before them folds in:
/// `w·(a·x + c) + b` is `(w·a)·x + (b + w·c)`.
enum SklearnLinear {
    static let regressors: Set<String> = [
        "sklearn.linear_model._base.LinearRegression", "sklearn.linear_model._ridge.Ridge",
        "sklearn.linear_model._coordinate_descent.Lasso", "sklearn.linear_model._coordinate_descent.ElasticNet",
    ]
    static let classifiers: Set<String> = ["sklearn.linear_model._logistic.LogisticRegression"]
    static let all = regressors.union(classifiers)

    /// - Parameters:
    ///   - steps: the affine steps before the estimator, first first.
    ///   - classes: the number of classes of a classifier, 1 for a regressor.
    static func model(
        _ file: SkopsFile, _ estimator: SkopsFile.Node, steps: [AffineTransform], featureNames: [String], classes: Int
    ) throws(SlipwayError) -> LinearModel {
        let coefficients = try file.numbers(try file.attribute(estimator, "coef_"))
        let width = coefficients.shape.last ?? 0
        let rows = coefficients.shape.count == 2 ? coefficients.shape[0] : 1
        guard coefficients.shape.count == 1 || coefficients.shape.count == 2, width > 0, coefficients.values.count == rows * width else {
            throw file.fail(estimator, "has coefficients of shape \(coefficients.shape)")
        }
        let expected = classes == 1 ? 1 : (classes == 2 ? 1 : classes)
        guard rows == expected else {
            throw file.fail(estimator, classes == 1 ? "predicts \(rows) targets; Slipway serves one" : "has \(rows) coefficient rows for \(classes) classes")
        }
        var weights = (0..<rows).map { Array(coefficients.values[($0 * width)..<(($0 + 1) * width)]) }
        var intercept = try file.numbers(try file.attribute(estimator, "intercept_")).values
        if intercept.count == 1 && rows > 1 { intercept = [Double](repeating: intercept[0], count: rows) }
        guard intercept.count == rows else { throw file.fail(estimator, "has \(intercept.count) intercepts for \(rows) coefficient rows") }
        // Fold the steps in, last first.
        for step in steps.reversed() {
            guard step.scale.count == width else { throw file.fail(estimator, "takes \(width) features where the step before it gives \(step.scale.count)") }
            for k in 0..<rows {
                for i in 0..<width {
                    intercept[k] += weights[k][i] * step.shift[i]
                    weights[k][i] *= step.scale[i]
                }
            }
        }
        let link: LinearModel.Link = classes == 1 ? .identity : (classes == 2 ? .logistic : .softmax)
        do {
            return try LinearModel(featureNames: featureNames, coefficients: weights, intercept: intercept, link: link, source: file.source)
        } catch {
            throw file.fail(estimator, "cannot be served: \(error.message)")
        }
    }
}
