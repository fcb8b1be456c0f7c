import Foundation
import SlipwayCore

/// How a boosted model's raw scores become its outputs (scikit-learn's `_loss.link` inverted).
enum SklearnBoostingLink: Sendable {
    case identity, exp, logistic, softmax

    var outputKind: OutputKind {
        switch self {
        case .identity, .exp: return .value
        case .logistic: return .probability
        case .softmax: return .classProbabilities
        }
    }

    @inline(__always)
    func apply(_ raw: (Int) -> Double, count: Int, to out: UnsafeMutablePointer<Double>) {
        switch self {
        case .identity: out[0] = raw(0)
        case .exp: out[0] = Foundation.exp(raw(0))
        case .logistic: out[0] = 1 / (1 + Foundation.exp(-raw(0)))
        case .softmax:
            var top = raw(0)
            for k in 1..<count where raw(k) > top { top = raw(k) }
            var total = 0.0
            for k in 0..<count { total += Foundation.exp(raw(k) - top) }
            for k in 0..<count { out[k] = Foundation.exp(raw(k) - top) / total }
        }
    }

    /// The link of a fitted `_loss` object (`HalfSquaredError` → `IdentityLink`...).
    init(_ file: SkopsFile, _ estimator: SkopsFile.Node, classes: Int) throws(SlipwayError) {
        guard classes == 1 else {
            self = classes == 2 ? .logistic : .softmax
            return
        }
        let link = try file.attribute(try file.attribute(estimator, "_loss"), "link")
        switch link.className {
        case "IdentityLink": self = .identity
        case "LogLink": self = .exp
        default: throw file.fail(link, "is a \(link.className), which Slipway does not serve natively yet")
        }
    }
}

/// GradientBoostingRegressor and GradientBoostingClassifier: the initial estimator's raw score plus
/// `learning_rate` times each stage's regression tree, one tree per class and stage for more than
/// two classes. Trees as `SklearnTreeEnsemble` reads them; scikit-learn refuses missing values here.
struct SklearnGradientBoosting: Predictor {
    let forest: XGBoostForest
    let base: [Float]
    let link: SklearnBoostingLink
    let featureNames: [String]
    let featureCount: Int
    var outputKind: OutputKind { link.outputKind }
    var outputsPerRow: Int { link == .softmax ? base.count : 1 }

    static let classNames: Set<String> = ["sklearn.ensemble._gb.GradientBoostingRegressor", "sklearn.ensemble._gb.GradientBoostingClassifier"]

    init(_ file: SkopsFile, _ estimator: SkopsFile.Node, featureNames: [String], classes: Int) throws(SlipwayError) {
        let width = try file.count(estimator, "n_features_in_")
        guard width > 0, width <= maximumFeatures else { throw file.fail(estimator, "has \(width) features") }
        let perStage = classes > 2 ? classes : 1
        let stages = try file.attribute(estimator, "estimators_")
        guard stages.json["type"]?.stringValue == "json", let rows = stages.json["content"]?.arrayValue, !rows.isEmpty else {
            throw file.fail(stages, "is not an array of trees")
        }
        let rate = try file.numbers(try file.attribute(estimator, "learning_rate")).values.first ?? .nan
        guard rate.isFinite else { throw file.fail(estimator, "has no finite learning_rate") }
        var forest = XGBoostForest(featureCount: width)
        for (i, row) in rows.enumerated() {
            let stage = SkopsFile.Node(json: row, path: "\(stages.path)[\(i)]")
            guard let trees = stage.items, trees.count == perStage else { throw file.fail(stage, "does not hold \(perStage) trees") }
            for (k, tree) in trees.enumerated() {
                guard tree.qualifiedName == "sklearn.tree._classes.DecisionTreeRegressor" else { throw SklearnModel.unsupported(file, tree) }
                let arrays = try SklearnTreeEnsemble.arrays(file, try file.attribute(tree, "tree_"), width: width, outputs: 1)
                forest.append(arrays, group: Int32(k), weight: Float(rate))
            }
        }
        self.forest = forest
        self.base = try Self.initialScores(file, estimator, classes: classes, perStage: perStage).map(Float.init)
        self.link = try SklearnBoostingLink(file, estimator, classes: classes)
        self.featureNames = featureNames
        self.featureCount = width
    }

    /// The raw score before the first stage: `init_`'s prediction through the loss's link.
    static func initialScores(_ file: SkopsFile, _ estimator: SkopsFile.Node, classes: Int, perStage: Int) throws(SlipwayError) -> [Double] {
        let initial = try file.attribute(estimator, "init_")
        if initial.value?.stringValue == "zero" { return [Double](repeating: 0, count: perStage) }
        switch initial.qualifiedName {
        case "sklearn.dummy.DummyRegressor":
            let constant = try file.numbers(try file.attribute(initial, "constant_")).values
            guard constant.count == 1 else { throw file.fail(initial, "predicts \(constant.count) targets") }
            return constant
        case "sklearn.dummy.DummyClassifier":
            // scikit-learn clips the priors to [eps, 1 - eps] with float32's eps, then applies the link.
            let eps = Double(Float.ulpOfOne)
            let prior = try file.numbers(try file.attribute(initial, "class_prior_")).values.map { min(max($0, eps), 1 - eps) }
            guard prior.count == classes else { throw file.fail(initial, "has \(prior.count) class priors for \(classes) classes") }
            if classes == 2 { return [Foundation.log(prior[1] / (1 - prior[1]))] }
            let logs = prior.map { Foundation.log($0) }
            let mean = logs.reduce(0, +) / Double(logs.count)
            return logs.map { $0 - mean }
        default:
            throw file.fail(initial, "is a \(initial.qualifiedName) initial estimator; Slipway serves the default (init=None) or \"zero\"")
        }
    }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        if let missing = features.values.firstIndex(where: \.isNaN) {
            throw .invalidParameter("Row \(missing / featureCount + 1) has a missing value; gradient boosting (like scikit-learn's) needs every feature")
        }
        let link = link, groups = base.count
        return forest.predict(features, groups: groups, width: outputsPerRow, threads: threads, base: base) { margins, out in
            link.apply({ Double(margins[$0]) }, count: groups, to: out)
        }
    }

    var summary: ModelSummary {
        ModelSummary(
            format: "sklearn-skops", objective: outputsPerRow == 1 && link != .logistic ? "regression" : "classification",
            featureNames: featureNames, featureCount: featureCount, outputKind: outputKind, outputsPerRow: outputsPerRow,
            trees: forest.roots.count, details: [("max depth", "\(forest.maxDepth)")])
    }
}

/// HistGradientBoostingRegressor and HistGradientBoostingClassifier on numeric features: the
/// baseline plus each iteration's tree (leaf values already scaled by the learning rate), walked
/// as scikit-learn does in double precision (`x <= threshold` goes left, NaN by
/// `missing_go_to_left`), by the forest LightGBM models use.
struct SklearnHistGradientBoosting: Predictor {
    let forest: LightGBMForest
    let baseline: [Double]
    let link: SklearnBoostingLink
    let featureNames: [String]
    let featureCount: Int
    var outputKind: OutputKind { link.outputKind }
    var outputsPerRow: Int { link == .softmax ? baseline.count : 1 }

    static let classNames: Set<String> = [
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    ]

    init(_ file: SkopsFile, _ estimator: SkopsFile.Node, featureNames: [String], classes: Int) throws(SlipwayError) {
        let width = try file.count(estimator, "n_features_in_")
        guard width > 0, width <= maximumFeatures else { throw file.fail(estimator, "has \(width) features") }
        if let categorical = estimator.attribute("is_categorical_"), categorical.value != .null {
            throw file.fail(estimator, "has categorical features, which Slipway does not serve natively yet")
        }
        let perIteration = classes > 2 ? classes : 1
        guard let iterations = try file.attribute(estimator, "_predictors").items, !iterations.isEmpty else { throw file.fail(estimator, "has no trees") }
        var forest = LightGBMForest()
        for iteration in iterations {
            guard let trees = iteration.items, trees.count == perIteration else { throw file.fail(iteration, "does not hold \(perIteration) trees") }
            for tree in trees {
                guard tree.qualifiedName == "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor" else { throw SklearnModel.unsupported(file, tree) }
                forest.append(try Self.arrays(file, tree, width: width))
            }
        }
        let baseline = try file.numbers(try file.attribute(estimator, "_baseline_prediction")).values
        guard baseline.count == perIteration, baseline.allSatisfy(\.isFinite) else { throw file.fail(estimator, "has a baseline of \(baseline.count) values for \(perIteration) outputs") }
        self.forest = forest
        self.baseline = baseline
        self.link = try SklearnBoostingLink(file, estimator, classes: classes)
        self.featureNames = featureNames
        self.featureCount = width
    }

    /// A `TreePredictor`'s packed node records as LightGBM's arrays: internal nodes numbered first,
    /// leaf k as child `~k`, missing values by the `NaN` rule with the node's default direction.
    static func arrays(_ file: SkopsFile, _ tree: SkopsFile.Node, width: Int) throws(SlipwayError) -> LightGBMForest.TreeArrays {
        let nodes = try file.records(try file.attribute(tree, "nodes"))
        guard let value = nodes.field("value"), let feature = nodes.field("feature_idx"), let threshold = nodes.field("num_threshold"),
              let missingLeft = nodes.field("missing_go_to_left"), let left = nodes.field("left"), let right = nodes.field("right"),
              let isLeaf = nodes.field("is_leaf"), let categorical = nodes.field("is_categorical") else {
            throw file.fail(tree, "has node records without value, feature_idx, num_threshold, missing_go_to_left, left, right, is_leaf or is_categorical")
        }
        let count = value.count
        guard count > 0 else { throw file.fail(tree, "has no nodes") }
        var slot = [Int32](repeating: 0, count: count)
        var internalCount: Int32 = 0, leafCount: Int32 = 0
        for i in 0..<count {
            if isLeaf[i] != 0 {
                slot[i] = ~leafCount
                leafCount += 1
            } else {
                slot[i] = internalCount
                internalCount += 1
            }
        }
        var arrays = LightGBMForest.TreeArrays(leafValue: [])
        var parents = [Int](repeating: 0, count: count)
        for i in 0..<count {
            if isLeaf[i] != 0 {
                guard value[i].isFinite else { throw file.fail(tree, "has a leaf (\(i)) without a finite value") }
                arrays.leafValue.append(value[i])
                continue
            }
            guard categorical[i] == 0 else { throw file.fail(tree, "has a categorical split, which Slipway does not serve natively yet") }
            guard left[i] > Double(i), right[i] > Double(i), left[i] < Double(count), right[i] < Double(count), left[i] != right[i],
                  feature[i] >= 0, feature[i] < Double(width), !threshold[i].isNaN else {
                throw file.fail(tree, "has a node (\(i)) whose children, feature or threshold are out of range")
            }
            for child in [Int(left[i]), Int(right[i])] {
                parents[child] += 1
                guard parents[child] == 1 else { throw file.fail(tree, "has a node reached twice (\(child))") }
            }
            arrays.feature.append(Int32(feature[i]))
            arrays.threshold.append(threshold[i])
            // LightGBM's decision byte: missing type NaN (2) in bits 2-3, the default direction in bit 1.
            arrays.decision.append(2 << 2 | (missingLeft[i] != 0 ? 2 : 0))
            arrays.left.append(slot[Int(left[i])])
            arrays.right.append(slot[Int(right[i])])
        }
        // Node 0 is the root (the first internal node, or a lone leaf); every other node has one parent.
        guard (internalCount == 0 && leafCount == 1) || isLeaf[0] == 0, parents.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw file.fail(tree, "is not a tree rooted at node 0")
        }
        return arrays
    }

    func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        return forest.predict(features, slots: baseline.count, width: outputsPerRow, threads: threads, base: baseline, link: link)
    }

    var summary: ModelSummary {
        ModelSummary(
            format: "sklearn-skops", objective: outputsPerRow == 1 && link != .logistic ? "regression" : "classification",
            featureNames: featureNames, featureCount: featureCount, outputKind: outputKind, outputsPerRow: outputsPerRow,
            trees: forest.roots.count, details: [("max depth", "\(forest.maxDepth)")])
    }
}

extension LightGBMForest {
    /// A batch through the forest with the raw scores started at `base` and finished by `link`.
    func predict(_ features: FeatureMatrix, slots: Int, width: Int, threads: Int, base: [Double], link: SklearnBoostingLink) -> [Double] {
        let columns = features.columns, block = evaluationBlockRows(columns: columns)
        let scratch = {
            (ScratchBuffer<Double>(count: block * slots, repeating: 0), ScratchBuffer<Int32>(count: 2 * block, repeating: 0),
             ScratchBuffer<Int64>(count: block * columns, repeating: 0))
        }
        return BatchEvaluation.predict(features, width: width, threads: threads, scratch: scratch) { buffers, input, count, output in
            let (scores, positions) = (buffers.0.pointer, buffers.1.pointer)
            for r in 0..<count { for k in 0..<slots { scores[r * slots + k] = base[k] } }
            accumulate(rows: input, stride: columns, count: count, scores: scores, slots: slots,
                       positions: positions, active: positions + block, keys: buffers.2.pointer)
            for r in 0..<count { link.apply({ scores[r * slots + $0] }, count: slots, to: output + r * width) }
        }
    }
}
