import Foundation
public import SlipwayCore

/// A LightGBM model read from its text format (`booster.save_model("m.txt")`): regression,
/// binary, multiclass, poisson/gamma/tweedie; numerical splits with LightGBM's missing-value rules
/// (`None`, `Zero`, `NaN`) and default directions.
public struct LightGBMModel: Predictor {
    public let featureNames: [String]
    public let featureCount: Int
    public let objective: String
    let trees: [Tree]
    let treesPerIteration: Int
    let sigmoid: Double
    let averageOutput: Bool

    struct Tree: Sendable {
        // Internal nodes 0..<(leaves - 1); a negative child c is leaf ~c.
        var feature: [Int32]
        var threshold: [Double]
        var decision: [UInt8]
        var left: [Int32]
        var right: [Int32]
        var leafValue: [Double]

        func predict(_ row: UnsafeBufferPointer<Double>) -> Double {
            if feature.isEmpty { return leafValue.first ?? 0 }
            var node: Int32 = 0
            while node >= 0 {
                let i = Int(node)
                var value = row[Int(feature[i])]
                let missingType = (decision[i] >> 2) & 3
                if value.isNaN, missingType != 2 { value = 0 }
                let goLeft: Bool
                if (missingType == 1 && abs(value) <= 1e-35) || (missingType == 2 && value.isNaN) {
                    goLeft = decision[i] & 2 != 0
                } else {
                    goLeft = value <= threshold[i]
                }
                node = goLeft ? left[i] : right[i]
            }
            return leafValue[Int(~node)]
        }
    }

    public var outputKind: OutputKind {
        switch objective {
        case "binary", "cross_entropy", "xentropy": return .probability
        case "multiclass", "multiclassova", "softmax", "multiclass_ova", "ova", "ovr": return .classProbabilities
        default: return .value
        }
    }

    public var outputsPerRow: Int { outputKind == .classProbabilities ? treesPerIteration : 1 }

    /// - Parameter source: names the file in error messages.
    public init(text: String, source: String) throws(SlipwayError) {
        var header: [String: String] = [:]
        var treeBlocks: [[String: String]] = []
        var current: [String: String]?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("Tree=") {
                if let block = current { treeBlocks.append(block) }
                current = [:]
                continue
            }
            if line == "end of trees" {
                if let block = current { treeBlocks.append(block) }
                current = nil
                break
            }
            guard let eq = line.firstIndex(of: "=") else {
                if current == nil { header[line] = "" }
                continue
            }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            if current != nil { current![key] = value } else { header[key] = value }
        }
        if let block = current { treeBlocks.append(block) }
        guard header["version"] != nil || header["tree"] != nil, let maxFeature = header["max_feature_idx"].flatMap(Int.init) else {
            throw Self.error(source, "is not a LightGBM text model (no version / max_feature_idx header)")
        }
        let perIteration = header["num_tree_per_iteration"].flatMap(Int.init) ?? 1
        guard perIteration >= 1 else { throw Self.error(source, "has num_tree_per_iteration < 1") }
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
        var trees: [Tree] = []
        for (t, block) in treeBlocks.enumerated() {
            if block["is_linear"].flatMap(Int.init) ?? 0 != 0 { throw Self.error(source, "tree \(t) is a linear tree, which is not supported yet") }
            if block["num_cat"].flatMap(Int.init) ?? 0 != 0 { throw Self.error(source, "tree \(t) has categorical splits, which are not supported yet") }
            guard let leaves = block["num_leaves"].flatMap(Int.init), leaves >= 1 else { throw Self.error(source, "tree \(t) has no num_leaves") }
            let leafValue = try Self.doubles(block["leaf_value"], "leaf_value", t, source)
            guard leafValue.count == leaves else { throw Self.error(source, "tree \(t) has \(leafValue.count) leaf values for \(leaves) leaves") }
            if leaves == 1 {
                trees.append(Tree(feature: [], threshold: [], decision: [], left: [], right: [], leafValue: leafValue))
                continue
            }
            let internalCount = leaves - 1
            let feature = try Self.doubles(block["split_feature"], "split_feature", t, source).map { Int32($0) }
            let threshold = try Self.doubles(block["threshold"], "threshold", t, source)
            let decision = try Self.doubles(block["decision_type"], "decision_type", t, source).map { UInt8(clamping: Int($0)) }
            let left = try Self.doubles(block["left_child"], "left_child", t, source).map { Int32($0) }
            let right = try Self.doubles(block["right_child"], "right_child", t, source).map { Int32($0) }
            guard [feature.count, threshold.count, decision.count, left.count, right.count].allSatisfy({ $0 == internalCount }) else {
                throw Self.error(source, "tree \(t) has arrays of different lengths")
            }
            for i in 0..<internalCount {
                guard feature[i] >= 0, Int(feature[i]) < featureCount else { throw Self.error(source, "tree \(t) splits on feature \(feature[i])") }
                if decision[i] & 1 != 0 { throw Self.error(source, "tree \(t) has categorical splits, which are not supported yet") }
                for child in [left[i], right[i]] {
                    if child >= 0 { guard child > Int32(i), Int(child) < internalCount else { throw Self.error(source, "tree \(t) node \(i) has a bad child") } }
                    else { guard Int(~child) < leaves else { throw Self.error(source, "tree \(t) node \(i) points at a missing leaf") } }
                }
            }
            trees.append(Tree(feature: feature, threshold: threshold, decision: decision, left: left, right: right, leafValue: leafValue))
        }
        guard trees.count % perIteration == 0 else { throw Self.error(source, "has \(trees.count) trees, not a multiple of \(perIteration)") }
        self.featureNames = header["feature_names"].map { $0.split(separator: " ").map(String.init) } ?? []
        self.featureCount = featureCount
        self.objective = objective
        self.trees = trees
        self.treesPerIteration = perIteration
        self.sigmoid = sigmoid
        self.averageOutput = header.keys.contains("average_output")
    }

    public func predict(_ features: FeatureMatrix) throws(SlipwayError) -> [Double] {
        guard features.columns == featureCount else {
            throw .invalidParameter("The model expects \(featureCount) features per row, got \(features.columns)")
        }
        var out: [Double] = []
        out.reserveCapacity(features.rows * outputsPerRow)
        var scores = [Double](repeating: 0, count: treesPerIteration)
        let iterations = Double(trees.count / treesPerIteration)
        features.values.withUnsafeBufferPointer { values in
            for r in 0..<features.rows {
                let row = UnsafeBufferPointer(rebasing: values[r * featureCount..<(r + 1) * featureCount])
                for k in scores.indices { scores[k] = 0 }
                for (t, tree) in trees.enumerated() { scores[t % treesPerIteration] += tree.predict(row) }
                if averageOutput { for k in scores.indices { scores[k] /= iterations } }
                transform(scores, into: &out)
            }
        }
        return out
    }

    func transform(_ scores: [Double], into out: inout [Double]) {
        switch objective {
        case "binary":
            out.append(1 / (1 + exp(-sigmoid * scores[0])))
        case "cross_entropy", "xentropy":
            out.append(1 / (1 + exp(-scores[0])))
        case "multiclass", "softmax":
            let top = scores.max() ?? 0
            let exps = scores.map { exp($0 - top) }
            let sum = exps.reduce(0, +)
            out.append(contentsOf: exps.map { $0 / sum })
        case "multiclassova", "multiclass_ova", "ova", "ovr":
            out.append(contentsOf: scores.map { 1 / (1 + exp(-sigmoid * $0)) })
        case "poisson", "gamma", "tweedie":
            out.append(exp(scores[0]))
        default:
            out.append(scores[0])
        }
    }

    static let supportedObjectives: Set<String> = [
        "regression", "regression_l2", "regression_l1", "l2", "l1", "mean_squared_error", "mse", "mean_absolute_error", "mae",
        "huber", "fair", "quantile", "mape", "binary", "cross_entropy", "xentropy", "multiclass", "softmax",
        "multiclassova", "multiclass_ova", "ova", "ovr", "poisson", "gamma", "tweedie",
    ]

    static func doubles(_ text: String?, _ name: String, _ tree: Int, _ source: String) throws(SlipwayError) -> [Double] {
        guard let text else { throw error(source, "tree \(tree) has no '\(name)'") }
        var out: [Double] = []
        for part in text.split(separator: " ") {
            guard let v = Double(part) else { throw error(source, "tree \(tree) has a non-number in '\(name)': '\(part)'") }
            out.append(v)
        }
        return out
    }

    static func error(_ source: String, _ what: String) -> SlipwayError {
        .invalidParameter("LightGBM model '\(source)' \(what)")
    }
}
