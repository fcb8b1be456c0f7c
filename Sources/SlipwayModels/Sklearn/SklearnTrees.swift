import SlipwayCore

/// scikit-learn's trees and forests of trees (DecisionTree, ExtraTree, RandomForest and
/// ExtraTrees, regressors and classifiers) evaluated by the forest XGBoost models use. A regressor
/// predicts the mean of its trees' leaf values; a classifier the mean of its trees' class fractions
/// (`predict_proba`), one vector leaf per tree.
///
/// scikit-learn casts a row to float32 and goes left when `x <= threshold` (a double); the forest
/// goes left when `x < t` (a float), so `t` is the float just above the largest float at most the
/// threshold. A missing value (NaN) goes where the node's `missing_go_to_left` says.
struct SklearnTreeEnsemble: Predictor {
    let forest: XGBoostForest
    let featureNames: [String]
    let featureCount: Int
    /// 1 for a regressor, the number of classes for a classifier.
    let outputsPerRow: Int
    var outputKind: OutputKind { outputsPerRow == 1 ? .value : .classProbabilities }

    static let singleRegressors: Set<String> = ["sklearn.tree._classes.DecisionTreeRegressor", "sklearn.tree._classes.ExtraTreeRegressor"]
    static let singleClassifiers: Set<String> = ["sklearn.tree._classes.DecisionTreeClassifier", "sklearn.tree._classes.ExtraTreeClassifier"]
    static let forestRegressors: Set<String> = ["sklearn.ensemble._forest.RandomForestRegressor", "sklearn.ensemble._forest.ExtraTreesRegressor"]
    static let forestClassifiers: Set<String> = ["sklearn.ensemble._forest.RandomForestClassifier", "sklearn.ensemble._forest.ExtraTreesClassifier"]
    static let classifiers = singleClassifiers.union(forestClassifiers)
    static let all = singleRegressors.union(singleClassifiers).union(forestRegressors).union(forestClassifiers)

    /// - Parameter classes: the number of classes of a classifier (its `classes_`), 1 for a regressor.
    init(_ file: SkopsFile, _ estimator: SkopsFile.Node, featureNames: [String], classes: Int) throws(SlipwayError) {
        let width = try file.count(estimator, "n_features_in_")
        guard width > 0, width <= maximumFeatures else { throw file.fail(estimator, "has \(width) features") }
        let trees: [SkopsFile.Node]
        let treeClasses: Set<String>
        if Self.forestRegressors.contains(estimator.qualifiedName) || Self.forestClassifiers.contains(estimator.qualifiedName) {
            guard let items = try file.attribute(estimator, "estimators_").items, !items.isEmpty else { throw file.fail(estimator, "has no trees") }
            trees = items
            treeClasses = classes == 1 ? Self.singleRegressors : Self.singleClassifiers
        } else {
            trees = [estimator]
            treeClasses = [estimator.qualifiedName]
        }
        var forest = XGBoostForest(featureCount: width)
        forest.leafWidth = classes
        let weight = Float(1) / Float(trees.count)
        for tree in trees {
            guard treeClasses.contains(tree.qualifiedName) else { throw SklearnModel.unsupported(file, tree) }
            forest.append(try Self.arrays(file, try file.attribute(tree, "tree_"), width: width, outputs: classes), group: 0, weight: weight)
        }
        self.forest = forest
        self.featureNames = featureNames
        self.featureCount = width
        self.outputsPerRow = classes
    }

    /// One fitted `Tree`: its node records and leaf values, checked (skops does not check them).
    /// - Parameters:
    ///   - columns: the row column each of the tree's features is (a tree fitted on a subset of them).
    ///   - leafValues: a value per node to use at the leaves in place of the tree's own.
    static func arrays(
        _ file: SkopsFile, _ tree: SkopsFile.Node, width: Int, outputs: Int, columns: [Int]? = nil, leafValues: [Double]? = nil
    ) throws(SlipwayError) -> XGBoostForest.TreeArrays {
        let nodes = try file.records(try file.attribute(tree, "nodes"))
        let values = try file.numbers(try file.attribute(tree, "values"))
        guard let left = nodes.field("left_child"), let right = nodes.field("right_child"), let feature = nodes.field("feature"),
              let threshold = nodes.field("threshold"), let missingLeft = nodes.field("missing_go_to_left") else {
            throw file.fail(tree, "has node records without left_child, right_child, feature, threshold or missing_go_to_left")
        }
        let count = left.count
        guard count > 0, values.shape.count == 3, values.shape[0] == count, values.shape[1] == 1, values.shape[2] == outputs else {
            throw file.fail(tree, "has values of shape \(values.shape) for \(count) nodes; \(outputs) per node were expected")
        }
        guard leafValues.map({ $0.count == count }) ?? true else { throw file.fail(tree, "has \(leafValues?.count ?? 0) path lengths for \(count) nodes") }
        let featureWidth = columns?.count ?? width
        var arrays = XGBoostForest.TreeArrays(features: [], thresholds: [], left: [], right: [], defaultLeft: [])
        arrays.reserveCapacity(count)
        if outputs > 1 { arrays.leafVectors = values.values.map { Float($0) } }
        var parents = [Int](repeating: 0, count: count)
        for i in 0..<count {
            if left[i] == -1 && right[i] == -1 {
                arrays.features.append(0)
                arrays.thresholds.append(Float(leafValues?[i] ?? values.values[i * outputs]))
                arrays.left.append(-1)
                arrays.right.append(-1)
                arrays.defaultLeft.append(false)
                continue
            }
            // Children after their parent, each reached once: the nodes form a tree.
            guard left[i] > Double(i), right[i] > Double(i), left[i] < Double(count), right[i] < Double(count), left[i] != right[i],
                  feature[i] >= 0, feature[i] < Double(featureWidth) else {
                throw file.fail(tree, "has a node (\(i)) whose children or feature are out of range")
            }
            let (leftChild, rightChild) = (Int(left[i]), Int(right[i]))
            parents[leftChild] += 1
            parents[rightChild] += 1
            guard parents[leftChild] == 1, parents[rightChild] == 1 else {
                throw file.fail(tree, "has a node reached twice (\(parents[leftChild] > 1 ? leftChild : rightChild))")
            }
            let column = columns.map { $0[Int(feature[i])] } ?? Int(feature[i])
            guard column >= 0, column < width else { throw file.fail(tree, "reads column \(column) of \(width)") }
            arrays.features.append(Int32(column))
            arrays.thresholds.append(Self.leftBelow(threshold[i]))
            arrays.left.append(Int32(left[i]))
            arrays.right.append(Int32(right[i]))
            arrays.defaultLeft.append(missingLeft[i] != 0)
        }
        guard parents.dropFirst().allSatisfy({ $0 == 1 }) else { throw file.fail(tree, "has a node no split reaches") }
        return arrays
    }

    /// The float `t` with `Float(x) < t` exactly when `Double(Float(x)) <= threshold`.
    static func leftBelow(_ threshold: Double) -> Float {
        if threshold.isNaN { return .nan }
        var floor = Float(threshold)
        if Double(floor) > threshold { floor = floor.nextDown }
        return floor.nextUp
    }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        return forest.predict(features, groups: outputsPerRow, threads: threads, base: [Float](repeating: 0, count: outputsPerRow)) { margins, out in
            for k in 0..<outputsPerRow { out[k] = Double(margins[k]) }
        }
    }

    var summary: ModelSummary {
        ModelSummary(
            format: "sklearn-skops", objective: outputsPerRow == 1 ? "regression" : "classification", featureNames: featureNames,
            featureCount: featureCount, outputKind: outputKind, outputsPerRow: outputsPerRow, trees: forest.roots.count,
            details: [("max depth", "\(forest.maxDepth)")])
    }
}
