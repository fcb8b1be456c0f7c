import Foundation
public import SlipwayCore

/// A LightGBM model read from its text format (`booster.save_model("m.txt")`): regression,
/// binary, multiclass, poisson/gamma/tweedie; numerical splits with LightGBM's missing-value rules,
/// (`None`, `Zero`, `NaN`) and default directions, categorical splits and linear trees.
public struct LightGBMModel: Predictor {
    public let featureNames: [String]
    public let featureCount: Int
    public let objective: String
    let forest: LightGBMForest
    let treesPerIteration: Int
    let averageOutput: Bool
    let link: Link

    public var outputKind: OutputKind { link.outputKind }
    public var outputsPerRow: Int { outputKind == .classProbabilities ? treesPerIteration : 1 }

    /// - Parameter source: names the file in error messages.
    public init(text: String, source: String) throws(SlipwayError) {
        try self.init(bytes: Array(text.utf8), source: source)
    }

    /// Reads the text format from the file's bytes.
    public init(bytes: [UInt8], source: String) throws(SlipwayError) {
        let parsed = LightGBMText(bytes)
        let header = parsed.header, treeBlocks = parsed.trees
        guard header["version"] != nil || header["tree"] != nil, let maxFeature = header["max_feature_idx"].flatMap(Int.init) else {
            throw Self.error(source, "is not a LightGBM text model (no version / max_feature_idx header)")
        }
        guard maxFeature >= 0, maxFeature < maximumFeatures else {
            throw Self.error(source, "has max_feature_idx \(maxFeature); Slipway evaluates 1 to \(maximumFeatures) features")
        }
        let perIteration = header["num_tree_per_iteration"].flatMap(Int.init) ?? 1
        guard perIteration >= 1, perIteration <= 100_000 else { throw Self.error(source, "has num_tree_per_iteration \(perIteration)") }
        let objectiveLine = (header["objective"] ?? "regression").split(separator: " ")
        let objective = objectiveLine.first.map(String.init) ?? "regression"
        guard Self.supportedObjectives.contains(objective) else {
            throw Self.error(source, "uses objective '\(objective)', which Slipway does not evaluate")
        }
        var sigmoid = 1.0
        for part in objectiveLine.dropFirst() where part.hasPrefix("sigmoid:") {
            sigmoid = Double(part.dropFirst("sigmoid:".count)) ?? 1
        }
        guard !treeBlocks.isEmpty else { throw Self.error(source, "has no trees") }
        let featureCount = maxFeature + 1
        var forest = LightGBMForest()
        for (t, block) in treeBlocks.enumerated() {
            forest.append(try Self.tree(block, index: t, featureCount: featureCount, source: source))
        }
        guard forest.roots.count % perIteration == 0 else { throw Self.error(source, "has \(forest.roots.count) trees, not a multiple of \(perIteration)") }
        let featureNames = header["feature_names"].map { $0.split(separator: " ").map(String.init) } ?? []
        guard featureNames.isEmpty || featureNames.count == featureCount else {
            throw Self.error(source, "names \(featureNames.count) features but has \(featureCount)")
        }
        self.featureNames = featureNames
        self.featureCount = featureCount
        self.objective = objective
        self.forest = forest
        self.treesPerIteration = perIteration
        self.averageOutput = header.keys.contains("average_output")
        self.link = Link(objective: objective, sigmoid: sigmoid)
    }

    public func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        let slots = treesPerIteration, columns = featureCount, block = evaluationBlockRows(columns: columns), width = outputsPerRow
        let iterations = Double(forest.roots.count / slots)
        // Per thread: raw scores, tree positions of a block, the rows of the block still walking, the block as keys.
        let scratch = {
            (ScratchBuffer<Double>(count: block * slots, repeating: 0), ScratchBuffer<Int32>(count: 2 * block, repeating: 0),
             ScratchBuffer<Int64>(count: block * columns, repeating: 0))
        }
        return BatchEvaluation.predict(features, width: width, threads: threads, scratch: scratch) { buffers, input, count, output in
            let (scores, positions) = (buffers.0.pointer, buffers.1.pointer)
            scores.update(repeating: 0, count: count * slots)
            forest.accumulate(rows: input, stride: columns, count: count, scores: scores, slots: slots,
                              positions: positions, active: positions + block, keys: buffers.2.pointer)
            for r in 0..<count {
                if averageOutput { for k in 0..<slots { scores[r * slots + k] /= iterations } }
                link.apply(scores + r * slots, slots: slots, to: output + r * width)
            }
        }
    }

    public var summary: ModelSummary {
        var details = [("max depth", "\(forest.maxDepth)")]
        if treesPerIteration > 1 { details.append(("classes", "\(treesPerIteration)")) }
        if forest.categoricalSplits > 0 { details.append(("categorical splits", "\(forest.categoricalSplits)")) }
        if forest.linearTrees > 0 { details.append(("linear trees", "\(forest.linearTrees)")) }
        if averageOutput { details.append(("average output", "yes")) }
        return ModelSummary(
            format: "lightgbm", objective: objective, featureNames: featureNames, featureCount: featureCount,
            outputKind: outputKind, outputsPerRow: outputsPerRow, trees: forest.roots.count, details: details)
    }

    /// One `Tree=` block: its nodes, categorical bitsets and linear leaves, checked.
    static func tree(_ block: LightGBMText.Block, index t: Int, featureCount: Int, source: String) throws(SlipwayError) -> LightGBMForest.TreeArrays {
        guard let leaves = block["num_leaves"].flatMap(integer), leaves >= 1 else { throw error(source, "tree \(t) has no num_leaves") }
        let leafValue = try doubles(block["leaf_value"], "leaf_value", t, source)
        guard leafValue.count == leaves else { throw error(source, "tree \(t) has \(leafValue.count) leaf values for \(leaves) leaves") }
        var tree = LightGBMForest.TreeArrays(leafValue: leafValue)
        tree.leafCount = block["leaf_count"].flatMap { try? doubles($0, "leaf_count", t, source) }
        if block["is_linear"].flatMap(integer) ?? 0 != 0 {
            tree.linear = try linearLeaves(block, leaves: leaves, featureCount: featureCount, tree: t, source: source)
        }
        guard leaves > 1 else { return tree }
        let internalCount = leaves - 1
        tree.feature = try integers(block["split_feature"], "split_feature", t, source)
        tree.threshold = try doubles(block["threshold"], "threshold", t, source)
        tree.decision = try integers(block["decision_type"], "decision_type", t, source).map { UInt8(clamping: $0) }
        tree.left = try integers(block["left_child"], "left_child", t, source)
        tree.right = try integers(block["right_child"], "right_child", t, source)
        guard [tree.feature.count, tree.threshold.count, tree.decision.count, tree.left.count, tree.right.count].allSatisfy({ $0 == internalCount }) else {
            throw error(source, "tree \(t) has arrays of different lengths")
        }
        var boundaries: [Int32] = [], bitset: [UInt32] = []
        if tree.decision.contains(where: { $0 & 1 != 0 }) {
            boundaries = try integers(block["cat_boundaries"], "cat_boundaries", t, source)
            bitset = try doubles(block["cat_threshold"], "cat_threshold", t, source).map { UInt32(exactly: $0) ?? 0 }
            guard boundaries.first == 0, zip(boundaries, boundaries.dropFirst()).allSatisfy({ $0 <= $1 }), Int(boundaries.last!) <= bitset.count else {
                throw error(source, "tree \(t) has cat_boundaries that do not fit cat_threshold")
            }
        }
        var parents = [Int](repeating: 0, count: internalCount + leaves)
        for i in 0..<internalCount {
            guard tree.feature[i] >= 0, Int(tree.feature[i]) < featureCount else { throw error(source, "tree \(t) splits on feature \(tree.feature[i])") }
            if tree.decision[i] & 1 != 0 {
                guard let k = Int(exactly: tree.threshold[i]), k >= 0, k + 1 < boundaries.count else {
                    throw error(source, "tree \(t) node \(i) names categorical set \(tree.threshold[i]), which the tree does not have")
                }
                tree.categories[i] = Array(bitset[Int(boundaries[k])..<Int(boundaries[k + 1])])
            }
            for child in [tree.left[i], tree.right[i]] {
                if child >= 0 {
                    guard child > Int32(i), Int(child) < internalCount else { throw error(source, "tree \(t) node \(i) has a bad child") }
                } else {
                    guard Int(~child) < leaves else { throw error(source, "tree \(t) node \(i) points at a missing leaf") }
                }
                parents[child >= 0 ? Int(child) : internalCount + Int(~child)] += 1
            }
        }
        guard parents[0] == 0, parents.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw error(source, "tree \(t) is not a tree (a node has no parent, or two)")
        }
        return tree
    }

    /// A linear tree's leaves: `leaf_const`, `num_features`, then each leaf's features and coefficients in turn.
    static func linearLeaves(
        _ block: LightGBMText.Block, leaves: Int, featureCount: Int, tree t: Int, source: String
    ) throws(SlipwayError) -> [(constant: Double, features: [Int32], coefficients: [Double])] {
        let constants = try doubles(block["leaf_const"], "leaf_const", t, source)
        let counts = try integers(block["num_features"], "num_features", t, source).map(Int.init)
        let features = try integers(block["leaf_features"], "leaf_features", t, source)
        let coefficients = try doubles(block["leaf_coeff"], "leaf_coeff", t, source)
        guard constants.count == leaves, counts.count == leaves, counts.allSatisfy({ $0 >= 0 }),
              features.count == counts.reduce(0, +), coefficients.count == features.count else {
            throw error(source, "tree \(t) has linear leaves whose arrays do not agree")
        }
        guard features.allSatisfy({ $0 >= 0 && Int($0) < featureCount }) else {
            throw error(source, "tree \(t) has a linear leaf on a feature the model does not have")
        }
        var result: [(constant: Double, features: [Int32], coefficients: [Double])] = []
        var offset = 0
        for leaf in 0..<leaves {
            let range = offset..<(offset + counts[leaf])
            result.append((constants[leaf], Array(features[range]), Array(coefficients[range])))
            offset = range.upperBound
        }
        return result
    }

    static func integers(_ text: ArraySlice<UInt8>?, _ name: String, _ tree: Int, _ source: String) throws(SlipwayError) -> [Int32] {
        var out: [Int32] = []
        for value in try doubles(text, name, tree, source) {
            guard let integer = Int32(exactly: value) else { throw error(source, "tree \(tree) has a non-integer in '\(name)': \(value)") }
            out.append(integer)
        }
        return out
    }

    static let supportedObjectives: Set<String> = [
        "regression", "regression_l2", "regression_l1", "l2", "l1", "mean_squared_error", "mse", "mean_absolute_error", "mae",
        "huber", "fair", "quantile", "mape", "binary", "cross_entropy", "xentropy", "multiclass", "softmax",
        "multiclassova", "multiclass_ova", "ova", "ovr", "poisson", "gamma", "tweedie",
    ]

    static func doubles(_ value: ArraySlice<UInt8>?, _ name: String, _ tree: Int, _ source: String) throws(SlipwayError) -> [Double] {
        guard let value else { throw error(source, "tree \(tree) has no '\(name)'") }
        switch LightGBMText.numbers(value) {
        case .success(let numbers): return numbers
        case .failure(let bad): throw error(source, "tree \(tree) has a non-number in '\(name)': '\(bad.text.prefix(40))'")
        }
    }

    static func integer(_ value: ArraySlice<UInt8>) -> Int? {
        Int(String(decoding: value, as: UTF8.self))
    }

    static func error(_ source: String, _ what: String) -> SlipwayError {
        .invalidParameter("LightGBM model '\(source)' \(what)")
    }
}
