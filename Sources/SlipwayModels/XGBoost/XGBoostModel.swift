import Foundation
public import SlipwayCore

/// An XGBoost model read from its JSON format (`Booster.save_model("m.json")`, XGBoost 2.x/3.x):
/// gbtree and dart boosters, numerical and categorical splits, default directions for missing values.
public struct XGBoostModel: Predictor {
    public let featureNames: [String]
    public let featureCount: Int
    public let objective: String
    let forest: XGBoostForest
    let groups: Int
    let booster: String
    let link: Link
    /// The starting margin of every output group (base_score moved to margin space).
    let baseMargin: [Float]

    public var outputKind: OutputKind { link.outputKind }
    public var outputsPerRow: Int { link == .softmax ? groups : 1 }

    /// Reads a model from JSON text.
    /// - Parameter source: names the file in error messages.
    public init(json bytes: [UInt8], source: String) throws(SlipwayError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw Self.error(source, "is not valid JSON (\(error.message))")
        }
        try self.init(document: root, source: source)
    }

    /// Reads a model from UBJSON bytes (`save_model("m.ubj")`, what MLflow's xgboost flavor logs).
    public init(ubjson bytes: [UInt8], source: String) throws(SlipwayError) {
        try self.init(document: try UBJSONReader.parse(bytes, source: source), source: source)
    }

    /// Reads a model from its parsed document (the same tree in JSON and UBJSON).
    public init(document root: JSONValue, source: String) throws(SlipwayError) {
        guard let learner = root["learner"] else { throw Self.error(source, "has no 'learner' object: not an XGBoost JSON model") }
        guard let objective = learner["objective"]?["name"]?.stringValue else { throw Self.error(source, "has no objective name") }
        guard Self.supportedObjectives.contains(objective) else {
            throw Self.error(source, "uses objective '\(objective)', which Slipway does not evaluate (supported: \(Self.supportedObjectives.sorted().joined(separator: ", ")))")
        }
        let parameters = learner["learner_model_param"]
        guard let featureCount = parameters?["num_feature"]?.stringValue.flatMap(Int.init), featureCount >= 0 else {
            throw Self.error(source, "has no valid learner_model_param.num_feature")
        }
        guard featureCount <= maximumFeatures else { throw Self.error(source, "has \(featureCount) features; Slipway evaluates at most \(maximumFeatures)") }
        let classes = parameters?["num_class"]?.stringValue.flatMap(Int.init) ?? 0
        guard classes >= 0, classes <= 100_000 else { throw Self.error(source, "has num_class \(classes)") }
        let targets = parameters?["num_target"]?.stringValue.flatMap(Int.init) ?? 1
        if targets > 1 { throw Self.error(source, "has \(targets) targets; multi-target models are not supported") }
        let groups = max(classes, 1)

        let booster = learner["gradient_booster"]
        let boosterName = booster?["name"]?.stringValue ?? ""
        let treeModel: JSONValue?
        var weights: [Float]?
        switch boosterName {
        case "gbtree": treeModel = booster?["model"]
        case "dart":
            treeModel = booster?["gbtree"]?["model"]
            weights = booster?["weight_drop"]?.arrayValue?.map { Float(Self.number($0) ?? 1) }
        default: throw Self.error(source, "uses booster '\(boosterName)'; only gbtree and dart are supported")
        }
        guard let trees = treeModel?["trees"]?.arrayValue else { throw Self.error(source, "has no trees") }
        let treeInfo = try Self.ints(treeModel?["tree_info"], "tree_info", source)
        guard treeInfo.count == trees.count else { throw Self.error(source, "has \(trees.count) trees but \(treeInfo.count) tree_info entries") }

        var forest = XGBoostForest(featureCount: featureCount)
        for (t, tree) in trees.enumerated() {
            let left = try Self.ints(tree["left_children"], "left_children", source)
            let right = try Self.ints(tree["right_children"], "right_children", source)
            let features = try Self.ints(tree["split_indices"], "split_indices", source)
            let thresholds = try Self.floats(tree["split_conditions"], "split_conditions", source)
            let defaults = try Self.ints(tree["default_left"], "default_left", source).map { $0 != 0 }
            let count = left.count
            guard count > 0, [right.count, features.count, thresholds.count, defaults.count].allSatisfy({ $0 == count }) else {
                throw Self.error(source, "tree \(t) has arrays of different lengths")
            }
            for i in 0..<count {
                let isLeaf = left[i] < 0
                if isLeaf { continue }
                guard left[i] > 0, left[i] < count, right[i] > 0, right[i] < count else {
                    throw Self.error(source, "tree \(t) node \(i) has a child outside the tree")
                }
                guard features[i] >= 0, features[i] < max(featureCount, 1) else {
                    throw Self.error(source, "tree \(t) node \(i) splits on feature \(features[i]) of \(featureCount)")
                }
            }
            let categories = try Self.categories(tree, nodes: count, leaves: left.map { $0 < 0 }, tree: t, source: source)
            try Self.checkAcyclic(left: left, right: right, tree: t, source: source)
            let group = treeInfo[t]
            guard group >= 0, Int(group) < groups else { throw Self.error(source, "tree \(t) belongs to group \(group) of \(groups)") }
            let arrays = XGBoostForest.TreeArrays(
                features: features, thresholds: thresholds, left: left, right: right, defaultLeft: defaults, categories: categories)
            forest.append(arrays, group: group, weight: weights.map { t < $0.count ? $0[t] : 1 } ?? 1)
        }

        let baseScores = Self.baseScores(parameters?["base_score"]?.stringValue)
        guard !baseScores.isEmpty else { throw Self.error(source, "has no valid base_score") }
        self.baseMargin = (0..<groups).map { g in
            Self.toMargin(baseScores[baseScores.count == 1 ? 0 : min(g, baseScores.count - 1)], objective: objective)
        }
        let featureNames = learner["feature_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard featureNames.isEmpty || featureNames.count == featureCount else {
            throw Self.error(source, "names \(featureNames.count) features but has \(featureCount)")
        }
        self.featureNames = featureNames
        self.featureCount = featureCount
        self.objective = objective
        self.forest = forest
        self.groups = groups
        self.booster = boosterName
        self.link = Link(objective: objective)
    }

    public func predict(_ features: FeatureMatrix, threads: Int) throws(SlipwayError) -> [Double] {
        try checkWidth(features)
        let groups = groups, link = link
        return forest.predict(features, groups: groups, width: outputsPerRow, threads: threads, base: baseMargin) { margins, out in
            link.apply(margins, groups: groups, to: out)
        }
    }

    public var summary: ModelSummary {
        var details = [("booster", booster), ("max depth", "\(forest.maxDepth)")]
        if groups > 1 { details.append(("classes", "\(groups)")) }
        if forest.categoricalSplits > 0 { details.append(("categorical splits", "\(forest.categoricalSplits)")) }
        return ModelSummary(
            format: "xgboost", objective: objective, featureNames: featureNames, featureCount: featureCount,
            outputKind: outputKind, outputsPerRow: outputsPerRow, trees: forest.roots.count, details: details)
    }

    static let supportedObjectives: Set<String> = [
        "reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror",
        "reg:logistic", "binary:logistic", "binary:logitraw", "binary:hinge",
        "multi:softprob", "multi:softmax", "count:poisson", "reg:gamma", "reg:tweedie",
    ]

    /// base_score in the objective's output space → margin, as XGBoost's `ProbToMargin`.
    static func toMargin(_ score: Float, objective: String) -> Float {
        switch objective {
        // binary:logitraw keeps base_score in margin space (checked against xgboost 3.2).
        case "reg:logistic", "binary:logistic":
            let p = min(max(score, 1e-16), 1 - 1e-16)
            return -logf(1 / p - 1)
        case "count:poisson", "reg:gamma", "reg:tweedie":
            return logf(score)
        default:
            return score
        }
    }

    /// `"5E-1"`, `"[4.8E-1]"` or `"[1E0,2E0]"` (XGBoost 3 writes a vector).
    static func baseScores(_ text: String?) -> [Float] {
        guard let text else { return [] }
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        return trimmed.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// A tree's categorical splits: for each categorical node, the categories it sends right.
    static func categories(_ tree: JSONValue, nodes: Int, leaves: [Bool], tree t: Int, source: String) throws(SlipwayError) -> [Int: [Int32]] {
        guard let splitTypes = tree["split_type"]?.arrayValue, splitTypes.contains(where: { number($0) ?? 0 != 0 }) else { return [:] }
        guard splitTypes.count == nodes else { throw error(source, "tree \(t) has \(splitTypes.count) split types for \(nodes) nodes") }
        let all = try ints(tree["categories"], "categories", source)
        let owners = try ints(tree["categories_nodes"], "categories_nodes", source)
        let starts = try ints(tree["categories_segments"], "categories_segments", source)
        let sizes = try ints(tree["categories_sizes"], "categories_sizes", source)
        guard owners.count == starts.count, owners.count == sizes.count else {
            throw error(source, "tree \(t) has categories_nodes, categories_segments and categories_sizes of different lengths")
        }
        var result: [Int: [Int32]] = [:]
        for (k, owner) in owners.enumerated() {
            let node = Int(owner), start = Int(starts[k]), size = Int(sizes[k])
            guard node >= 0, node < nodes, !leaves[node], number(splitTypes[node]) == 1 else {
                throw error(source, "tree \(t) lists categories for node \(node), which is not a categorical split")
            }
            guard start >= 0, size >= 0, start + size <= all.count else { throw error(source, "tree \(t) node \(node) has a category segment outside 'categories'") }
            let set = Array(all[start..<(start + size)])
            guard set.allSatisfy({ $0 >= 0 && $0 < 16_777_216 }) else { throw error(source, "tree \(t) node \(node) has a category outside 0..<2^24") }
            result[node] = set
        }
        for (i, type) in splitTypes.enumerated() where number(type) == 1 && !leaves[i] && result[i] == nil {
            result[i] = []  // a categorical split with an empty set sends every category left
        }
        return result
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let d): return d
        case .string(let s): return Double(s)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    static func ints(_ value: JSONValue?, _ name: String, _ source: String) throws(SlipwayError) -> [Int32] {
        guard let items = value?.arrayValue else { throw error(source, "has a tree without '\(name)'") }
        var out: [Int32] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let d = number(item), d == d.rounded(), abs(d) <= Double(Int32.max) else { throw error(source, "has a non-integer in '\(name)'") }
            out.append(Int32(d))
        }
        return out
    }

    static func floats(_ value: JSONValue?, _ name: String, _ source: String) throws(SlipwayError) -> [Float] {
        guard let items = value?.arrayValue else { throw error(source, "has a tree without '\(name)'") }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let d = number(item) else { throw error(source, "has a non-number in '\(name)'") }
            out.append(Float(d))
        }
        return out
    }

    /// A malformed file must not send evaluation into a loop: every node is reached once from the root.
    static func checkAcyclic(left: [Int32], right: [Int32], tree: Int, source: String) throws(SlipwayError) {
        var seen = [Bool](repeating: false, count: left.count)
        var stack: [Int32] = [0]
        while let node = stack.popLast() {
            let i = Int(node)
            if seen[i] { throw error(source, "tree \(tree) is not a tree (node \(i) is reached twice)") }
            seen[i] = true
            if left[i] >= 0 { stack.append(left[i]); stack.append(right[i]) }
        }
    }

    static func error(_ source: String, _ what: String) -> SlipwayError {
        .invalidParameter("XGBoost model '\(source)' \(what)")
    }
}
