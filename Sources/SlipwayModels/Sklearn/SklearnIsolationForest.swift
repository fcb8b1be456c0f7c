import Foundation
import SlipwayCore

/// IsolationForest: how deep a row lands in each tree, averaged and normalised as scikit-learn's
/// `score_samples` does: `-2^(-D / (trees · c(max_samples)))`, with D the sum over trees of the
/// leaf's depth plus `c(samples at the leaf) - 1` (both stored per node in the file). Answers
/// `predict` (-1 for an outlier, 1 otherwise), `decision_function` (the score minus `offset_`) or
/// `score_samples`. Each tree reads its own columns (`estimators_features_`); missing values go
/// where the trees send them.
struct SklearnIsolationForest: Predictor {
    enum Answer: String { case predict, decision_function, score_samples }

    let forest: XGBoostForest
    let normaliser: Double
    let offset: Double
    let answer: Answer
    let featureNames: [String]
    let featureCount: Int
    var outputKind: OutputKind { .value }
    var outputsPerRow: Int { 1 }

    static let className = "sklearn.ensemble._iforest.IsolationForest"

    init(_ file: SkopsFile, _ estimator: SkopsFile.Node, featureNames: [String], predictFn: String) throws(SlipwayError) {
        guard let answer = Answer(rawValue: predictFn) else {
            throw .invalidParameter("The IsolationForest in '\(file.source)' is served with predict_fn '\(predictFn)'; Slipway serves predict, decision_function and score_samples")
        }
        let width = try file.count(estimator, "n_features_in_")
        guard width > 0, width <= maximumFeatures else { throw file.fail(estimator, "has \(width) features") }
        guard let trees = try file.attribute(estimator, "estimators_").items, !trees.isEmpty,
              let subsets = try file.attribute(estimator, "estimators_features_").items, subsets.count == trees.count,
              let depths = try file.attribute(estimator, "_decision_path_lengths").items, depths.count == trees.count,
              let averages = try file.attribute(estimator, "_average_path_length_per_tree").items, averages.count == trees.count else {
            throw file.fail(estimator, "has no trees, or feature subsets and path lengths that do not match them")
        }
        var forest = XGBoostForest(featureCount: width)
        for t in trees.indices {
            guard trees[t].qualifiedName == "sklearn.tree._classes.ExtraTreeRegressor" else { throw SklearnModel.unsupported(file, trees[t]) }
            let columns = try file.numbers(subsets[t]).values.map { Int(exactly: $0) ?? -1 }
            let depth = try file.numbers(depths[t]).values, average = try file.numbers(averages[t]).values
            guard depth.count == average.count else { throw file.fail(depths[t], "has \(depth.count) depths for \(average.count) path lengths") }
            let path = zip(depth, average).map { $0 + $1 - 1 }
            forest.append(
                try SklearnTreeEnsemble.arrays(file, try file.attribute(trees[t], "tree_"), width: width, outputs: 1, columns: columns, leafValues: path),
                group: 0, weight: 1)
        }
        let samples = try file.numbers(try file.attribute(estimator, "_max_samples")).values.first ?? 0
        self.normaliser = Double(trees.count) * Self.averagePathLength(samples)
        self.offset = try file.numbers(try file.attribute(estimator, "offset_")).values.first ?? .nan
        guard offset.isFinite else { throw file.fail(estimator, "has no finite offset_") }
        self.forest = forest
        self.answer = answer
        self.featureNames = featureNames
        self.featureCount = width
    }

    /// c(n), the average path length of an unsuccessful search in a binary search tree of n points.
    static func averagePathLength(_ n: Double) -> Double {
        if n <= 1 { return 0 }
        if n <= 2 { return 1 }
        return 2 * (Foundation.log(n - 1) + 0.5772156649015329) - 2 * (n - 1) / n
    }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        let normaliser = normaliser, offset = offset, answer = answer
        return forest.predict(features, groups: 1, threads: threads, base: [0]) { depth, out in
            let score = -Foundation.pow(2, normaliser == 0 ? -1 : -Double(depth[0]) / normaliser)
            switch answer {
            case .score_samples: out[0] = score
            case .decision_function: out[0] = score - offset
            case .predict: out[0] = score - offset < 0 ? -1 : 1
            }
        }
    }

    var summary: ModelSummary {
        ModelSummary(
            format: "sklearn-skops", objective: "outlier detection (\(answer.rawValue))", featureNames: featureNames, featureCount: featureCount,
            outputKind: .value, outputsPerRow: 1, trees: forest.roots.count, details: [("max depth", "\(forest.maxDepth)")])
    }
}
