import Foundation
import SlipwayCore

/// TreeEnsembleRegressor, TreeEnsembleClassifier (ai.onnx.ml 1-3) and TreeEnsemble (ai.onnx.ml 5)
/// on the forest XGBoost models use, finished as onnxruntime finishes them.
///
/// Each split becomes the forest's `x < t` with its children in the right order: `x <= t` is
/// `x < nextUp(t)`, and `>=`/`>` swap the children. A missing value follows the true branch when
/// `nodes_missing_value_tracks_true` says so, else the false one. Equality and membership splits
/// are refused at load time.
struct ONNXTreeEnsemble: ONNXOperator {
    enum Transform: String { case none = "NONE", logistic = "LOGISTIC", softmax = "SOFTMAX", softmaxZero = "SOFTMAX_ZERO", probit = "PROBIT" }

    /// A classifier's labels and the facts onnxruntime's binary conventions depend on.
    struct Classifier {
        var labels: ONNXTensor
        /// Two classes, weights for only one of them.
        var binaryCase: Bool
        var weightsAllPositive: Bool
        /// Whether any leaf holds a weight for each class (onnxruntime's `has_score`).
        var hasWeights: [Bool]
    }

    let forest: XGBoostForest
    let width: Int
    let trees: Int
    let average: Bool
    let base: [Float]
    let transform: Transform
    let classifier: Classifier?

    init(opType: String, attributes a: ONNXAttributes) throws(SlipwayError) {
        let parsed = opType == "TreeEnsemble" ? try Self.parseV5(a) : try Self.parseV1(a, classifier: opType == "TreeEnsembleClassifier")
        let width = parsed.width
        guard width > 0, width <= 1 << 16 else { throw a.fail("has \(width) targets") }
        var features = 0
        for tree in parsed.trees {
            for case .split(let f, _, _, _, _, _) in tree { features = max(features, f + 1) }
        }
        var forest = XGBoostForest(featureCount: features)
        // Trees whose leaves all feed one output add into it; otherwise every leaf holds a vector.
        let groups = parsed.trees.map(Self.singleOutput)
        let scalar = width == 1 || groups.allSatisfy { $0 != nil }
        forest.leafWidth = scalar ? 1 : width
        guard scalar || parsed.trees.reduce(0, { $0 + $1.count }) <= (1 << 26) / width else {
            throw a.fail("holds more than \(1 << 26) leaf values")
        }
        for (tree, group) in zip(parsed.trees, groups) {
            forest.append(try Self.arrays(tree, width: forest.leafWidth, a), group: Int32(scalar ? (group ?? 0) : 0), weight: 1)
        }
        self.forest = forest
        self.width = width
        self.trees = parsed.trees.count
        self.average = parsed.average
        self.base = parsed.base
        self.transform = parsed.transform
        if let labels = parsed.labels {
            var has = [Bool](repeating: false, count: width)
            var positive = true
            for tree in parsed.trees {
                for case .leaf(let weights) in tree { for (k, w) in weights { has[k] = true; if w < 0 { positive = false } } }
            }
            classifier = Classifier(labels: labels, binaryCase: width == 2 && has.filter { $0 }.count == 1, weightsAllPositive: positive, hasWeights: has)
        } else {
            classifier = nil
        }
    }

    /// A node of a parsed tree; children are indices in the tree's list, the root first.
    enum Node {
        case split(feature: Int, mode: Int, threshold: Double, tracksTrue: Bool, trueChild: Int, falseChild: Int)
        case leaf([(Int, Double)])
    }

    struct Parsed {
        var trees: [[Node]]
        var width: Int
        var average: Bool
        var base: [Float]
        var transform: Transform
        var labels: ONNXTensor?
    }

    static let modeNames = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ", "BRANCH_MEMBER"]

    /// TreeEnsembleRegressor and TreeEnsembleClassifier: nodes named by (tree id, node id).
    static func parseV1(_ a: ONNXAttributes, classifier: Bool) throws(SlipwayError) -> Parsed {
        let treeIDs = a.ints("nodes_treeids"), nodeIDs = a.ints("nodes_nodeids"), featureIDs = a.ints("nodes_featureids")
        let modes = a.strings("nodes_modes"), trueIDs = a.ints("nodes_truenodeids"), falseIDs = a.ints("nodes_falsenodeids")
        let values = try a.doubles("nodes_values", tensor: "nodes_values_as_tensor")
        let tracks = a.ints("nodes_missing_value_tracks_true")
        let n = treeIDs.count
        guard n > 0, [nodeIDs.count, featureIDs.count, modes.count, trueIDs.count, falseIDs.count].allSatisfy({ $0 == n }),
              values.count == n || values.isEmpty, tracks.isEmpty || tracks.count == n else {
            throw a.fail("node attributes of different lengths")
        }
        let prefix = classifier ? "class" : "target"
        let leafTrees = a.ints("\(prefix)_treeids"), leafNodes = a.ints("\(prefix)_nodeids"), leafTargets = a.ints("\(prefix)_ids")
        let leafWeights = try a.doubles("\(prefix)_weights", tensor: "\(prefix)_weights_as_tensor")
        guard [leafNodes.count, leafTargets.count, leafWeights.count].allSatisfy({ $0 == leafTrees.count }) else {
            throw a.fail("\(prefix) attributes of different lengths")
        }
        var labels: ONNXTensor?
        let width: Int
        if classifier {
            let strings = a.strings("classlabels_strings"), ints = a.ints("classlabels_int64s")
            guard strings.isEmpty != ints.isEmpty else { throw a.fail("needs classlabels_strings or classlabels_int64s") }
            labels = strings.isEmpty ? ONNXTensor(shape: [ints.count], .int64(ints)) : ONNXTensor(shape: [strings.count], .string(strings))
            width = max(strings.count, ints.count)
        } else {
            width = Int(clamping: a.int("n_targets", default: 1))
        }
        var weights: [NodeKey: [(Int, Double)]] = [:]
        for i in leafTrees.indices {
            guard leafTargets[i] >= 0, leafTargets[i] < Int64(width) else { throw a.fail("a leaf weight for output \(leafTargets[i]) of \(width)") }
            weights[NodeKey(tree: leafTrees[i], node: leafNodes[i]), default: []].append((Int(leafTargets[i]), leafWeights[i]))
        }
        var byKey: [NodeKey: Int] = [:]
        var treeOrder: [Int64] = []
        for i in 0..<n {
            let key = NodeKey(tree: treeIDs[i], node: nodeIDs[i])
            guard byKey[key] == nil else { throw a.fail("node \(nodeIDs[i]) of tree \(treeIDs[i]) is defined twice") }
            byKey[key] = i
            if treeOrder.last != treeIDs[i], !treeOrder.contains(treeIDs[i]) { treeOrder.append(treeIDs[i]) }
        }
        var referenced = Set<NodeKey>()
        for i in 0..<n where modes[i] != "LEAF" {
            referenced.insert(NodeKey(tree: treeIDs[i], node: trueIDs[i]))
            referenced.insert(NodeKey(tree: treeIDs[i], node: falseIDs[i]))
        }
        var members: [Int64: [Int]] = [:]
        for i in 0..<n { members[treeIDs[i], default: []].append(i) }
        var trees: [[Node]] = []
        for tree in treeOrder {
            let roots = members[tree, default: []].filter { !referenced.contains(NodeKey(tree: tree, node: nodeIDs[$0])) }
            guard roots.count == 1 else { throw a.fail("tree \(tree) has \(roots.count) roots") }
            trees.append(try build(root: roots[0], limit: n, a) { i throws(SlipwayError) in
                if modes[i] == "LEAF" { return .leaf(weights[NodeKey(tree: tree, node: nodeIDs[i])] ?? []) }
                guard let mode = modeNames.firstIndex(of: modes[i]) else { throw a.fail("unknown node mode '\(modes[i])'") }
                guard let t = byKey[NodeKey(tree: tree, node: trueIDs[i])], let f = byKey[NodeKey(tree: tree, node: falseIDs[i])] else {
                    throw a.fail("node \(nodeIDs[i]) of tree \(tree) has a child that does not exist")
                }
                guard featureIDs[i] >= 0, featureIDs[i] < Int64(maximumFeatures) else { throw a.fail("feature \(featureIDs[i]) is out of range") }
                return .split(feature: Int(featureIDs[i]), mode: mode, threshold: values.isEmpty ? 0 : values[i],
                              tracksTrue: !tracks.isEmpty && tracks[i] != 0, trueChild: t, falseChild: f)
            })
        }
        let aggregate = a.string("aggregate_function", default: "SUM")
        guard aggregate == "SUM" || aggregate == "AVERAGE" else { throw a.fail("aggregate_function \(aggregate) is not supported (SUM and AVERAGE are)") }
        let transformName = a.string("post_transform", default: "NONE")
        guard let transform = Transform(rawValue: transformName) else { throw a.fail("unknown post_transform '\(transformName)'") }
        let base = try a.doubles("base_values", tensor: "base_values_as_tensor").map(Float.init)
        return Parsed(trees: trees, width: width, average: aggregate == "AVERAGE", base: base, transform: transform, labels: labels)
    }

    struct NodeKey: Hashable {
        let tree: Int64
        let node: Int64
    }

    /// TreeEnsemble (ai.onnx.ml 5): nodes and leaves in separate lists, trees by their root index.
    static func parseV5(_ a: ONNXAttributes) throws(SlipwayError) -> Parsed {
        let features = a.ints("nodes_featureids"), trueIDs = a.ints("nodes_truenodeids"), falseIDs = a.ints("nodes_falsenodeids")
        let trueLeafs = a.ints("nodes_trueleafs"), falseLeafs = a.ints("nodes_falseleafs"), tracks = a.ints("nodes_missing_value_tracks_true")
        guard let splits = try a.tensor("nodes_splits")?.doubles, let modes = try a.tensor("nodes_modes")?.int64s,
              let leafWeights = try a.tensor("leaf_weights")?.doubles else {
            throw a.fail("needs nodes_splits, nodes_modes and leaf_weights")
        }
        let leafTargets = a.ints("leaf_targetids")
        let n = features.count
        guard [trueIDs.count, falseIDs.count, trueLeafs.count, falseLeafs.count, splits.count, modes.count].allSatisfy({ $0 == n }),
              tracks.isEmpty || tracks.count == n, leafTargets.count == leafWeights.count else {
            throw a.fail("node or leaf attributes of different lengths")
        }
        let width = Int(clamping: a.int("n_targets", default: 1))
        // Nodes are numbered 0..<n, leaves n..<n+leaves.
        var trees: [[Node]] = []
        for root in a.ints("tree_roots") {
            guard root >= 0, root < Int64(n) else { throw a.fail("tree root \(root) is out of range") }
            trees.append(try build(root: Int(root), limit: 2 * (n + leafWeights.count), a) { i throws(SlipwayError) in
                if i >= n {
                    let leaf = i - n
                    guard leafTargets[leaf] >= 0, leafTargets[leaf] < Int64(width) else { throw a.fail("a leaf for target \(leafTargets[leaf]) of \(width)") }
                    return .leaf([(Int(leafTargets[leaf]), leafWeights[leaf])])
                }
                guard modes[i] >= 0, modes[i] < 7, features[i] >= 0, features[i] < Int64(maximumFeatures) else {
                    throw a.fail("node \(i) has mode \(modes[i]) or feature \(features[i]) out of range")
                }
                func child(_ id: Int64, leaf: Bool) throws(SlipwayError) -> Int {
                    guard id >= 0, id < Int64(leaf ? leafWeights.count : n) else { throw a.fail("node \(i) has a child out of range") }
                    return leaf ? n + Int(id) : Int(id)
                }
                return .split(feature: Int(features[i]), mode: Int(modes[i]), threshold: splits[i], tracksTrue: !tracks.isEmpty && tracks[i] != 0,
                              trueChild: try child(trueIDs[i], leaf: trueLeafs[i] != 0), falseChild: try child(falseIDs[i], leaf: falseLeafs[i] != 0))
            })
        }
        let aggregate = a.int("aggregate_function", default: 1)
        guard aggregate == 0 || aggregate == 1 else { throw a.fail("aggregate_function \(aggregate) is not supported (SUM and AVERAGE are)") }
        let transforms: [Transform] = [.none, .softmax, .logistic, .softmaxZero, .probit]
        let t = a.int("post_transform", default: 0)
        guard t >= 0, t < 5 else { throw a.fail("unknown post_transform \(t)") }
        return Parsed(trees: trees, width: width, average: aggregate == 0, base: [], transform: transforms[Int(t)], labels: nil)
    }

    /// A tree from its root: `node(i)` describes node i, whose children are other such numbers.
    /// Every reference gets its own copy, so a node reached twice (a shared leaf) is duplicated,
    /// and a tree larger than `limit` nodes (a cycle) is refused.
    static func build(root: Int, limit: Int, _ a: ONNXAttributes, node: (Int) throws(SlipwayError) -> Node) throws(SlipwayError) -> [Node] {
        var out: [Node] = []
        var pending: [(source: Int, slot: Int, depth: Int)] = [(root, 0, 0)]
        out.append(.leaf([]))
        while let (source, slot, depth) = pending.popLast() {
            guard depth < 4096, out.count <= limit + 1 else { throw a.fail("a tree has a cycle or is deeper than 4096 levels") }
            var described = try node(source)
            if case .split(let f, let m, let t, let tracks, let yes, let no) = described {
                guard m < 4 else { throw a.fail("\(modeNames[m]) splits are not supported (LEQ, LT, GTE and GT are)") }
                out.append(.leaf([]))
                out.append(.leaf([]))
                described = .split(feature: f, mode: m, threshold: t, tracksTrue: tracks, trueChild: out.count - 2, falseChild: out.count - 1)
                pending.append((yes, out.count - 2, depth + 1))
                pending.append((no, out.count - 1, depth + 1))
            }
            out[slot] = described
        }
        return out
    }

    /// The one output every leaf of a tree feeds, nil when they feed several.
    static func singleOutput(_ tree: [Node]) -> Int? {
        var output: Int?
        for case .leaf(let weights) in tree {
            for (k, _) in weights {
                if output == nil { output = k } else if output != k { return nil }
            }
        }
        return output ?? 0
    }

    /// A parsed tree in the forest's terms: the child taken when `x < t` on the left.
    static func arrays(_ tree: [Node], width: Int, _ a: ONNXAttributes) throws(SlipwayError) -> XGBoostForest.TreeArrays {
        var arrays = XGBoostForest.TreeArrays(features: [], thresholds: [], left: [], right: [], defaultLeft: [])
        if width > 1 { arrays.leafVectors = [Float](repeating: 0, count: tree.count * width) }
        for (i, node) in tree.enumerated() {
            switch node {
            case .leaf(let weights):
                var sum = 0.0
                for (k, w) in weights {
                    if width > 1 { arrays.leafVectors[i * width + k] += Float(w) } else { sum += w }
                }
                arrays.features.append(0)
                arrays.thresholds.append(Float(sum))
                arrays.left.append(-1)
                arrays.right.append(-1)
                arrays.defaultLeft.append(false)
            case .split(let feature, let mode, let threshold, let tracksTrue, let yes, let no):
                let t = Float(threshold)
                // LEQ and LT: true goes left. GTE and GT: true goes right. LEQ and GT compare with nextUp(t).
                let trueLeft = mode < 2
                arrays.features.append(Int32(feature))
                arrays.thresholds.append(mode == 0 || mode == 3 ? (t.isFinite ? t.nextUp : t) : t)
                arrays.left.append(Int32(trueLeft ? yes : no))
                arrays.right.append(Int32(trueLeft ? no : yes))
                arrays.defaultLeft.append(tracksTrue == trueLeft)
            }
        }
        return arrays
    }

    func run(_ inputs: [ONNXValue?], threads: Int) throws(SlipwayError) -> [ONNXValue] {
        let x = try ONNXOperators.tensor(inputs, 0)
        guard let values = x.doubles else { throw .invalidParameter("a tree ensemble cannot read text") }
        let (rows, columns) = x.shape.count == 1 ? (1, x.count) : x.matrixShape
        let needed = forest.stride - 1
        guard columns >= needed else { throw .invalidParameter("the trees read feature \(needed - 1) of rows \(columns) wide") }
        var matrix = values
        if columns > needed {
            matrix = (0..<rows).flatMap { r in values[(r * columns)..<(r * columns + needed)] }
        }
        let features = try FeatureMatrix(rows: rows, columns: needed, values: matrix)
        let sums = forest.predict(features, groups: width, threads: threads, base: [Float](repeating: 0, count: width)) { margins, out in
            for k in 0..<width { out[k] = Double(margins[k]) }
        }
        var scores = [Float](repeating: 0, count: rows * width)
        if let classifier {
            var labelIndex = [Int](repeating: 0, count: rows)
            for r in 0..<rows {
                var row = (0..<width).map { Float(sums[r * width + $0]) }
                labelIndex[r] = finishClassifier(&row, classifier)
                for k in 0..<width { scores[r * width + k] = k < row.count ? row[k] : 0 }
            }
            let labels: ONNXTensor
            switch classifier.labels.elements {
            case .string(let names): labels = ONNXTensor(shape: [rows], .string(labelIndex.map { names[$0] }))
            default: labels = ONNXTensor(shape: [rows], .int64(labelIndex.map { $0 < 0 ? Int64(-$0 - 1) : classifier.labels.int64s![$0] }))
            }
            return [.tensor(labels), .tensor(ONNXTensor(shape: [rows, width], .float(scores)))]
        }
        for r in 0..<rows {
            var row = (0..<width).map { Float(sums[r * width + $0]) }
            finishRegressor(&row)
            for k in 0..<width { scores[r * width + k] = row[k] }
        }
        return [.tensor(ONNXTensor(shape: [rows, width], .float(scores)))]
    }
}

/// How onnxruntime turns a row's sums into outputs, in float as it computes them.
extension ONNXTreeEnsemble {
    func finishRegressor(_ s: inout [Float]) {
        let n = Float(trees)
        if width == 1 {
            // One target: the base value is added, and only PROBIT applies.
            s[0] = (average ? s[0] / n : s[0]) + (base.count == 1 ? base[0] : 0)
            if transform == .probit { s[0] = Self.probit(s[0]) }
            return
        }
        for k in 0..<width {
            if average { s[k] /= n }
            if base.count == width { s[k] += base[k] }
        }
        Self.writeScores(&s, transform, addSecondClass: -1)
    }

    /// Finishes one row of class scores; returns the label's index, or -(v + 1) when onnxruntime
    /// answers the literal label v (0 or 1) of two classes whose weights are for both.
    func finishClassifier(_ s: inout [Float], _ c: Classifier) -> Int {
        var has = c.hasWeights
        if width > 2 {
            for k in 0..<min(base.count, width) { s[k] += base[k]; has[k] = true }
            var best = -1
            for k in 0..<width where has[k] && (best == -1 || s[k] > s[best]) { best = k }
            Self.writeScores(&s, transform, addSecondClass: -1)
            return max(best, 0)
        }
        var write = -1
        if base.count == 2 {
            if has[1] {
                s[1] = base[1] + s[0]
                s[0] = -s[1]
            } else {
                s[1] += base[1]
                s[0] += base[0]
            }
        } else if base.count == 1 {
            s[0] += base[0]
            if !has[1] { s.removeLast() }
        } else {
            write = 3
            if !has[1] { s.removeLast() }
        }
        let positive = s.count == 2 && has[1] ? s[1] : (has[0] ? s[0] : 0)
        var label: Int
        if c.binaryCase {
            if c.weightsAllPositive {
                (write, label) = positive > 0.5 ? (0, 1) : (1, 0)
            } else {
                (write, label) = positive > 0 ? (2, 1) : (3, 0)
            }
        } else {
            label = positive > 0 ? 1 : 0
            if case .int64 = c.labels.elements { label = -label - 1 }
        }
        Self.writeScores(&s, transform, addSecondClass: write)
        while s.count < 2 { s.append(0) }
        return label
    }

    static func writeScores(_ s: inout [Float], _ transform: Transform, addSecondClass: Int) {
        if s.count >= 2 {
            switch transform {
            case .probit: s = s.map(probit)
            case .logistic: s = s.map(logistic)
            case .softmax:
                let top = s.max()!
                s = s.map { Float(Foundation.exp(Double($0 - top))) }
                let sum = s.reduce(0, +)
                s = s.map { $0 / sum }
            case .softmaxZero:
                let top = s.max()!
                let scale = Float(Foundation.exp(Double(-top)))
                var sum: Float = 0
                for k in s.indices {
                    if s[k] > 0.0000001 || s[k] < -0.0000001 { s[k] = Float(Foundation.exp(Double(s[k] - top))); sum += s[k] } else { s[k] *= scale }
                }
                s = s.map { $0 / sum }
            case .none: break
            }
        } else if s.count == 1 {
            if transform == .probit { s[0] = probit(s[0]); return }
            switch addSecondClass {
            case 0, 1: s = [1 - s[0], s[0]]
            case 2, 3: s = transform == .logistic ? [logistic(-s[0]), logistic(s[0])] : [-s[0], s[0]]
            default: break
            }
        }
    }

    static func logistic(_ v: Float) -> Float {
        let e = 1 / (1 + Float(Foundation.exp(Double(-abs(v)))))
        return v < 0 ? 1 - e : e
    }

    /// onnxruntime's probit: sqrt(2) * erfinv(2v - 1), with its approximation of erfinv.
    static func probit(_ v: Float) -> Float {
        var x = 2 * v - 1
        let sign: Float = x < 0 ? -1 : 1
        x = (1 - x) * (1 + x)
        let l = Float(Foundation.log(Double(x)))
        let a = 2 / (3.14159 * 0.147) + 0.5 * l
        let b = 1 / Float(0.147) * l
        return 1.41421356 * sign * (-a + (a * a - b).squareRoot()).squareRoot()
    }
}
