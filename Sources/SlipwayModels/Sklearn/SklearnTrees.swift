import SlipwayCore

/// scikit-learn's regression trees (DecisionTreeRegressor, ExtraTreeRegressor, and the trees of
/// RandomForestRegressor and ExtraTreesRegressor) evaluated by the forest XGBoost models use: the
/// prediction is the mean of the trees' leaves.
///
/// scikit-learn casts a row to float32 and goes left when `x <= threshold` (a double); the forest
/// goes left when `x < t` (a float), so `t` is the float just above the largest float at most the
/// threshold. A missing value (NaN) goes where the node's `missing_go_to_left` says.
struct SklearnTreeRegressor: Predictor {
    let forest: XGBoostForest
    let featureNames: [String]
    let featureCount: Int
    var outputKind: OutputKind { .value }
    var outputsPerRow: Int { 1 }

    static let single: Set<String> = ["sklearn.tree._classes.DecisionTreeRegressor", "sklearn.tree._classes.ExtraTreeRegressor"]
    static let ensembles: Set<String> = ["sklearn.ensemble._forest.RandomForestRegressor", "sklearn.ensemble._forest.ExtraTreesRegressor"]

    init(_ file: SkopsFile, _ estimator: SkopsFile.Node, featureNames: [String]) throws(SlipwayError) {
        let width = Int(try file.numbers(try file.attribute(estimator, "n_features_in_")).values.first ?? 0)
        guard width > 0, width <= maximumFeatures else { throw file.fail(estimator, "has \(width) features") }
        let trees: [SkopsFile.Node]
        if Self.ensembles.contains(estimator.qualifiedName) {
            guard let items = try file.attribute(estimator, "estimators_").items, !items.isEmpty else { throw file.fail(estimator, "has no trees") }
            trees = items
        } else {
            trees = [estimator]
        }
        var forest = XGBoostForest(featureCount: width)
        let weight = Float(1) / Float(trees.count)
        for tree in trees {
            guard Self.single.contains(tree.qualifiedName) else { throw SklearnModel.unsupported(file, tree) }
            forest.append(try Self.arrays(file, try file.attribute(tree, "tree_"), width: width), group: 0, weight: weight)
        }
        self.forest = forest
        self.featureNames = featureNames
        self.featureCount = width
    }

    /// One fitted `Tree`: its node records and leaf values, checked (skops does not check them).
    static func arrays(_ file: SkopsFile, _ tree: SkopsFile.Node, width: Int) throws(SlipwayError) -> XGBoostForest.TreeArrays {
        let nodes = try file.records(try file.attribute(tree, "nodes"))
        let values = try file.numbers(try file.attribute(tree, "values"))
        guard let left = nodes.field("left_child"), let right = nodes.field("right_child"), let feature = nodes.field("feature"),
              let threshold = nodes.field("threshold"), let missingLeft = nodes.field("missing_go_to_left") else {
            throw file.fail(tree, "has node records without left_child, right_child, feature, threshold or missing_go_to_left")
        }
        let count = left.count
        guard count > 0, values.shape.count == 3, values.shape[0] == count, values.shape[1] == 1, values.shape[2] == 1 else {
            throw file.fail(tree, "has values of shape \(values.shape) for \(count) nodes; one output per node was expected")
        }
        var arrays = XGBoostForest.TreeArrays(features: [], thresholds: [], left: [], right: [], defaultLeft: [])
        var parents = [Int](repeating: 0, count: count)
        for i in 0..<count {
            if left[i] == -1 && right[i] == -1 {
                arrays.features.append(0)
                arrays.thresholds.append(Float(values.values[i]))
                arrays.left.append(-1)
                arrays.right.append(-1)
                arrays.defaultLeft.append(false)
                continue
            }
            // Children after their parent, each reached once: the nodes form a tree.
            guard left[i] > Double(i), right[i] > Double(i), left[i] < Double(count), right[i] < Double(count), left[i] != right[i],
                  feature[i] >= 0, feature[i] < Double(width) else {
                throw file.fail(tree, "has a node (\(i)) whose children or feature are out of range")
            }
            for child in [Int(left[i]), Int(right[i])] {
                parents[child] += 1
                guard parents[child] == 1 else { throw file.fail(tree, "has a node reached twice (\(child))") }
            }
            arrays.features.append(Int32(feature[i]))
            arrays.thresholds.append(Self.leftBelow(threshold[i]))
            arrays.left.append(Int32(left[i]))
            arrays.right.append(Int32(right[i]))
            arrays.defaultLeft.append(missingLeft[i] != 0)
        }
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
        let columns = featureCount, stride = forest.stride, block = evaluationBlockRows
        let scratch = { (ScratchBuffer<Float>(count: block * stride, repeating: .nan), ScratchBuffer<Float>(count: block, repeating: 0),
                         ScratchBuffer<Int32>(count: block + block * stride, repeating: 0)) }
        return BatchEvaluation.predict(features, width: 1, threads: threads, scratch: scratch) { buffers, input, count, output in
            let (rows, sums, positions) = (buffers.0.pointer, buffers.1.pointer, buffers.2.pointer)
            for r in 0..<count {
                for c in 0..<columns { rows[r * stride + c] = Float(input[r * columns + c]) }
                sums[r] = 0
            }
            forest.accumulate(rows: rows, count: count, margins: sums, groupCount: 1, positions: positions, keys: positions + block)
            for r in 0..<count { output[r] = Double(sums[r]) }
        }
    }

    var summary: ModelSummary {
        ModelSummary(
            format: "sklearn-skops", objective: "regression", featureNames: featureNames, featureCount: featureCount,
            outputKind: .value, outputsPerRow: 1, trees: forest.roots.count, details: [("max depth", "\(forest.maxDepth)")])
    }
}
