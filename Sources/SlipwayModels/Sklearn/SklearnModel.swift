import Foundation
public import SlipwayCore

/// A scikit-learn model saved with skops (MLflow's default format), served natively.
///
/// The estimator, alone or at the end of a `Pipeline` of preprocessing steps:
/// - LinearRegression, Ridge, Lasso, ElasticNet and LogisticRegression (`SklearnLinear`), with
///   scalers before them folded in;
/// - DecisionTree, ExtraTree, RandomForest and ExtraTrees regressors and classifiers
///   (`SklearnTreeEnsemble`), missing values included;
/// - GradientBoosting and HistGradientBoosting regressors and classifiers (`SklearnBoosting`);
/// - IsolationForest (`SklearnIsolationForest`).
/// Preprocessing: StandardScaler and MinMaxScaler (`SklearnPreprocessing`), SimpleImputer,
/// OneHotEncoder and OrdinalEncoder (`SklearnEncoders`, text categories included) and
/// ColumnTransformer over named columns (`SklearnColumnTransformer`). A classifier answers
/// labels or probabilities as the pyfunc's `predict_fn` says (`SklearnClassifier`). Any other
/// class is refused at load time, by name.
public struct SklearnModel: Predictor {
    let inner: any Predictor
    /// The classes the file holds, outermost first (`sklearn.pipeline.Pipeline`, ...).
    let classes: [String]
    public let textCategories: [Int: [String]]

    static let supported = "LinearRegression, Ridge, Lasso, ElasticNet, LogisticRegression, DecisionTree/ExtraTree/RandomForest/ExtraTrees/GradientBoosting/HistGradientBoosting regressors and classifiers, IsolationForest, after StandardScaler/MinMaxScaler/SimpleImputer/OneHotEncoder/OrdinalEncoder/ColumnTransformer steps of a Pipeline"

    /// - Parameter predictFn: MLflow's `predict_fn`: `predict` (labels for a classifier) or `predict_proba`.
    public init(skops bytes: [UInt8], source: String, predictFn: String = "predict") throws(SlipwayError) {
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
        self.classes = classes
        let estimator = steps.removeLast()
        var names: [String] = []
        if let node = (steps.first ?? estimator).attribute("feature_names_in_") { names = try file.strings(node) }
        let vocabulary = TextVocabulary()
        var transforms: [any SklearnTransform] = []
        for (i, step) in steps.enumerated() where step.value?.stringValue != "passthrough" {
            transforms.append(try Self.transform(file, step, inputs: i == 0 ? .raw(vocabulary) : InputColumns.raw(vocabulary).numeric))
        }
        textCategories = vocabulary.columns

        let isClassifier = Self.classifiers.contains(estimator.qualifiedName)
        let isOutlierDetector = estimator.qualifiedName == SklearnIsolationForest.className
        guard let answer = SklearnClassifier.Answer(rawValue: predictFn) ?? (isOutlierDetector ? .labels : nil), isClassifier || answer == .labels else {
            throw .invalidParameter("The scikit-learn model in '\(source)' is served with predict_fn '\(predictFn)'; Slipway serves predict\(isClassifier ? " and predict_proba" : " for a regressor")")
        }
        var labels: (text: [String], numbers: [Double]?) = ([], nil)
        if isClassifier {
            labels = try file.labels(try file.attribute(estimator, "classes_"))
            guard labels.text.count >= 2 else { throw file.fail(estimator, "has \(labels.text.count) classes") }
        }
        let outputs = isClassifier ? labels.text.count : 1

        var scorer: any Predictor
        var remaining = transforms
        if SklearnLinear.all.contains(estimator.qualifiedName) {
            let affine = transforms.compactMap { $0 as? AffineTransform }.filter { $0.clip == nil }
            if affine.count == transforms.count { remaining = [] }
            scorer = try SklearnLinear.model(file, estimator, steps: remaining.isEmpty ? affine : [], featureNames: remaining.isEmpty ? names : [], classes: outputs)
        } else if SklearnTreeEnsemble.all.contains(estimator.qualifiedName) {
            scorer = try SklearnTreeEnsemble(file, estimator, featureNames: remaining.isEmpty ? names : [], classes: outputs)
        } else if SklearnGradientBoosting.classNames.contains(estimator.qualifiedName) {
            scorer = try SklearnGradientBoosting(file, estimator, featureNames: remaining.isEmpty ? names : [], classes: outputs)
        } else if SklearnHistGradientBoosting.classNames.contains(estimator.qualifiedName) {
            scorer = try SklearnHistGradientBoosting(file, estimator, featureNames: remaining.isEmpty ? names : [], classes: outputs)
        } else if isOutlierDetector {
            scorer = try SklearnIsolationForest(file, estimator, featureNames: remaining.isEmpty ? names : [], predictFn: predictFn)
        } else {
            throw Self.unsupported(file, estimator)
        }
        if !remaining.isEmpty {
            for (step, next) in zip(remaining, remaining.dropFirst().map(\.inputWidth) + [scorer.featureCount]) where step.outputWidth != next {
                throw .invalidParameter("The scikit-learn model in '\(source)': a step gives \(step.outputWidth) columns where the next takes \(next)")
            }
            scorer = SklearnPipeline(steps: remaining, estimator: scorer, featureNames: names)
        }
        guard names.isEmpty || names.count == scorer.featureCount else {
            throw .invalidParameter("The scikit-learn model in '\(source)' names \(names.count) features but takes \(scorer.featureCount)")
        }
        inner = isClassifier ? SklearnClassifier(scorer: scorer, classes: labels.text, numericClasses: labels.numbers, answer: answer) : scorer
    }

    static let classifiers: Set<String> = SklearnTreeEnsemble.classifiers.union(SklearnLinear.classifiers).union([
        "sklearn.ensemble._gb.GradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    ])

    /// A preprocessing step of a Pipeline (or of a ColumnTransformer's branch).
    static func transform(_ file: SkopsFile, _ step: SkopsFile.Node, inputs: InputColumns) throws(SlipwayError) -> any SklearnTransform {
        switch step.qualifiedName {
        case _ where AffineTransform.classes.contains(step.qualifiedName): return try AffineTransform(file, step)
        case SimpleImputerTransform.className: return try SimpleImputerTransform(file, step, inputs: inputs)
        case OneHotTransform.className: return try OneHotTransform(file, step, inputs: inputs)
        case OrdinalTransform.className: return try OrdinalTransform(file, step, inputs: inputs)
        case ColumnTransformerStep.className: return try ColumnTransformerStep(file, step, inputs: inputs)
        default: throw unsupported(file, step)
        }
    }

    static func unsupported(_ file: SkopsFile, _ node: SkopsFile.Node) -> SlipwayError {
        .invalidParameter("The scikit-learn model in '\(file.source)' uses \(node.qualifiedName), which Slipway does not serve natively yet (natively: \(supported))")
    }

    public var featureNames: [String] { inner.featureNames }
    public var featureCount: Int { inner.featureCount }
    public var outputKind: OutputKind { inner.outputKind }
    public var outputsPerRow: Int { inner.outputsPerRow }
    public var classLabels: [String] { inner.classLabels }

    public func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try inner.predict(features, threads: threads)
    }

    public var summary: ModelSummary {
        var summary = inner.summary
        summary.format = "sklearn-skops"
        summary.details.insert(("classes", classes.map { String($0.split(separator: ".").last ?? "") }.joined(separator: " > ")), at: 0)
        return summary
    }
}
