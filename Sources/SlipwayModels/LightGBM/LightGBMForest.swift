/// LightGBM's trees flattened into one node array and evaluated the way LightGBM does: values
/// and thresholds as doubles, `value <= threshold` goes left, missing values by the node's rule
/// (`None`: NaN counts as 0; `Zero`: 0 and NaN take the default direction; `NaN`: NaN does),
/// categorical splits send the categories in their bitset left, and linear leaves add their model.
///
/// Each tree is renumbered so that a node's children are adjacent (right = left + 1), and a block
/// of rows walks it level by level with no branch on the data. A leaf has an infinite threshold
/// that no value exceeds, so it sends every row left, to itself. Leaf-wise trees are lopsided, so
/// the walk drops the rows at leaves at a few levels chosen per tree (`StagedWalk`).
struct LightGBMForest: Sendable {
    struct Node: Sendable, LaneNode {
        var threshold: Double  // +infinity at a leaf
        var feature: UInt32    // feature index | flags
        var left: Int32        // absolute node index; the right child is left + 1

        var column: Int { Int(feature & LightGBMForest.featureMask) }

        /// `value <= threshold` goes left; NaN fails both comparisons, so `!(<=)` sends it right and `>` left.
        /// (Categorical and `Zero`-missing splits need `step`.)
        @inline(__always)
        func next(_ value: Double) -> Int32 {
            let goRight = feature & LightGBMForest.nanRight != 0 ? !(value <= threshold) : value > threshold
            return left &+ Int32(truncatingIfNeeded: unsafeBitCast(goRight, to: UInt8.self))
        }
    }

    static let defaultLeft: UInt32 = 1 << 31
    static let categorical: UInt32 = 1 << 30
    /// Where NaN goes, decided when the tree is loaded from its missing type and default direction.
    static let nanRight: UInt32 = 1 << 29
    static let missingShift: UInt32 = 27
    static let featureMask: UInt32 = (1 << 27) - 1
    /// LightGBM's `kZeroThreshold` (a float constant).
    static let zeroThreshold = Double(Float(1e-35))

    var nodes: [Node] = []
    /// `nodes` as key nodes (`OrderedKey`), for block walks of trees without categorical or
    /// `Zero`-missing splits; nil once a node has no key form.
    var keyNodes: [KeyNode<Int64>]? = []
    var leafValue: [Double] = []  // by node; 0 at internal nodes
    /// Nodes whose missing type is `Zero` (zero_as_missing), which the branch-free walk does not handle.
    var zeroMissingSplits = 0
    var roots: [Int32] = []
    var depths: [Int32] = []
    /// Where each tree's staged walk stops to drop the rows at leaves: tree t's levels are
    /// `stageEnds[stageStart[t]..<stageStart[t + 1]]`.
    var stageEnds: [Int32] = []
    var stageStart: [Int32] = [0]
    /// The categories each categorical split sends left.
    var categories = CategorySets()
    var categoricalSplits: Int { categories.count }
    /// Linear leaves, by node index: constant, and a range of `linearFeatures`/`linearCoefficients`.
    var linearConstant: [Double] = []
    var linearStart: [Int32] = []
    var linearCount: [Int32] = []  // -1: a constant leaf
    var linearFeatures: [Int32] = []
    var linearCoefficients: [Double] = []
    var linearTrees = 0
    var hasLinearArrays = false

    var maxDepth: Int { Int(depths.max() ?? 0) }

    /// One tree as LightGBM's text format holds it: internal nodes 0..<(leaves - 1), a negative child
    /// c is leaf ~c.
    struct TreeArrays {
        var feature: [Int32] = []
        var threshold: [Double] = []
        var decision: [UInt8] = []
        var left: [Int32] = []
        var right: [Int32] = []
        var leafValue: [Double]
        /// Training rows that reached each leaf, when the file has them: they choose the walk's stages.
        var leafCount: [Double]? = nil
        /// Bitsets of categorical nodes, by node.
        var categories: [Int: [UInt32]] = [:]
        /// Per leaf: constant, features and coefficients (linear trees only).
        var linear: [(constant: Double, features: [Int32], coefficients: [Double])]? = nil
    }

    mutating func append(_ tree: TreeArrays) {
        let base = Int32(nodes.count)
        let internalCount = tree.left.count
        // The per-node side arrays exist once a tree needs them, covering the nodes before it too.
        if tree.linear != nil && !hasLinearArrays {
            hasLinearArrays = true
            linearConstant = [Double](repeating: 0, count: nodes.count)
            linearStart = [Int32](repeating: 0, count: nodes.count)
            linearCount = [Int32](repeating: -1, count: nodes.count)
        }
        // Nodes numbered internal 0..<internalCount, then leaf k at internalCount + k.
        func slot(_ child: Int32) -> Int { child >= 0 ? Int(child) : internalCount + Int(~child) }
        let layout = SiblingLayout(count: internalCount + tree.leafValue.count) { i in
            i < internalCount ? (slot(tree.left[i]), slot(tree.right[i])) : nil
        }
        roots.append(base)
        for i in layout.order {
            let index = base + layout.position[i]
            if i >= internalCount {
                nodes.append(Node(threshold: .infinity, feature: 0, left: index))
                leafValue.append(tree.leafValue[i - internalCount])
            } else {
                let missing = UInt32((tree.decision[i] >> 2) & 3)
                let defaultLeft = tree.decision[i] & 2 != 0
                var feature = UInt32(tree.feature[i]) | (missing << Self.missingShift)
                if defaultLeft { feature |= Self.defaultLeft }
                if tree.categories[i] != nil { feature |= Self.categorical }
                // `None`: NaN is compared as 0. `NaN`: it takes the default direction.
                if missing == 2 ? !defaultLeft : !(0 <= tree.threshold[i]) { feature |= Self.nanRight }
                if missing == 1 && tree.categories[i] == nil { zeroMissingSplits += 1 }
                nodes.append(Node(threshold: tree.threshold[i], feature: feature, left: base + layout.position[slot(tree.left[i])]))
                leafValue.append(0)
            }
            if keyNodes != nil {
                if let keyNode = Self.keyNode(nodes[Int(index)], isLeaf: i >= internalCount) { keyNodes!.append(keyNode) } else { keyNodes = nil }
            }
            categories.append(i < internalCount ? tree.categories[i] : nil, node: Int(index))
            if hasLinearArrays {
                if i >= internalCount, let leaf = tree.linear?[i - internalCount] {
                    linearConstant.append(leaf.constant)
                    linearStart.append(Int32(linearFeatures.count))
                    linearCount.append(Int32(leaf.features.count))
                    linearFeatures.append(contentsOf: leaf.features)
                    linearCoefficients.append(contentsOf: leaf.coefficients)
                } else {
                    linearConstant.append(0); linearStart.append(0); linearCount.append(-1)
                }
            }
        }
        if tree.linear != nil { linearTrees += 1 }
        depths.append(layout.maxDepth)
        stageEnds += StagedWalk.plan(leafDepths: (internalCount..<layout.depth.count).map { layout.depth[$0] }, weights: tree.leafCount)
        stageStart.append(Int32(stageEnds.count))
    }

    /// The key form of a node: `value <= threshold` goes left. None for a NaN threshold.
    static func keyNode(_ node: Node, isLeaf: Bool) -> KeyNode<Int64>? {
        if isLeaf { return KeyNode(leaf: node.left) }
        guard !node.threshold.isNaN else { return nil }
        return KeyNode(column: node.column, highestLeft: OrderedKey.of(node.threshold), nanGoesLeft: node.feature & nanRight == 0, left: node.left)
    }

    /// Adds every tree's output into the scores of a block of rows (tree t into slot t % slots).
    /// `keys` has room for the block's rows as ordered keys; `positions` and `active` for a block.
    func accumulate(
        rows: UnsafePointer<Double>, stride: Int, count: Int, scores: UnsafeMutablePointer<Double>, slots: Int,
        positions: UnsafeMutablePointer<Int32>, active: UnsafeMutablePointer<Int32>, keys: UnsafeMutablePointer<Int64>
    ) {
        let plainSplits = categoricalSplits == 0 && zeroMissingSplits == 0
        if count < TreeLanes.width && plainSplits && linearTrees == 0 {
            return accumulateFewRows(rows: rows, stride: stride, count: count, scores: scores, slots: slots, positions: positions)
        }
        nodes.withUnsafeBufferPointer { nodeBuffer in
            let nodes = nodeBuffer.baseAddress!
            if plainSplits, let keyNodes {
                let anyMissing = OrderedKey.convert(rows, count: count * stride, into: keys) > 0
                keyNodes.withUnsafeBufferPointer { keyNodes in
                    addTrees(nodes, rows: rows, stride: stride, count: count, scores: scores, slots: slots, positions: positions) { _, stages in
                        StagedWalk.walk(
                            keyNodes.baseAddress!, ends: stages, rows: keys, stride: stride, count: count, positions: positions, active: active,
                            anyMissing: anyMissing)
                    }
                }
            } else if plainSplits {
                addTrees(nodes, rows: rows, stride: stride, count: count, scores: scores, slots: slots, positions: positions) { _, stages in
                    StagedWalk.walk(nodes, ends: stages, rows: rows, stride: stride, count: count, positions: positions, active: active)
                }
            } else {
                addTrees(nodes, rows: rows, stride: stride, count: count, scores: scores, slots: slots, positions: positions) { t, _ in
                    for _ in 0..<depths[t] {
                        for r in 0..<count { positions[r] = step(nodes, Int(positions[r]), rows + r * stride) }
                    }
                }
            }
        }
    }

    /// For each tree: every row of the block starts at its root, `walk(tree, its stage ends)` takes
    /// them to their leaves, and the leaves' outputs are added to the rows' scores.
    @inline(__always)
    private func addTrees(
        _ nodes: UnsafePointer<Node>, rows: UnsafePointer<Double>, stride: Int, count: Int, scores: UnsafeMutablePointer<Double>, slots: Int,
        positions: UnsafeMutablePointer<Int32>, walk: (_ tree: Int, _ stages: UnsafeBufferPointer<Int32>) -> Void
    ) {
        leafValue.withUnsafeBufferPointer { leafValue in
        stageEnds.withUnsafeBufferPointer { stageEnds in
            for t in roots.indices {
                let root = roots[t]
                for r in 0..<count { positions[r] = root }
                walk(t, UnsafeBufferPointer(rebasing: stageEnds[Int(stageStart[t])..<Int(stageStart[t + 1])]))
                let slot = t % slots
                if linearTrees == 0 {
                    for r in 0..<count { scores[r * slots + slot] += leafValue[Int(positions[r])] }
                } else {
                    for r in 0..<count { scores[r * slots + slot] += leafOutput(nodes, Int(positions[r]), rows + r * stride) }
                }
            }
        }
        }
    }

    /// A handful of rows: each row's trees eight at a time (`TreeLanes`).
    func accumulateFewRows(
        rows: UnsafePointer<Double>, stride: Int, count: Int, scores: UnsafeMutablePointer<Double>, slots: Int, positions: UnsafeMutablePointer<Int32>
    ) {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            leafValue.withUnsafeBufferPointer { leafValue in
                for r in 0..<count {
                    let out = scores + r * slots
                    TreeLanes.walk(nodeBuffer.baseAddress!, roots: roots, depths: depths, row: rows + r * stride, positions: positions) { tree, node in
                        out[tree % slots] += leafValue[node]
                    }
                }
            }
        }
    }

    /// One step down from `index`, with LightGBM's rules spelled out: categorical splits and `Zero` missing values included.
    @inline(__always)
    func step(_ nodes: UnsafePointer<Node>, _ index: Int, _ row: UnsafePointer<Double>) -> Int32 {
        let node = nodes[index]
        let right = node.left + 1
        var value = row[Int(node.feature & Self.featureMask)]
        if node.feature & Self.categorical == 0 {
            let missing = (node.feature >> Self.missingShift) & 3
            if value.isNaN && missing != 2 { value = 0 }
            if (missing == 1 && value >= -Self.zeroThreshold && value <= Self.zeroThreshold) || (missing == 2 && value.isNaN) {
                return node.feature & Self.defaultLeft != 0 ? node.left : right
            }
            return value <= node.threshold ? node.left : right
        }
        // LightGBM truncates to int: NaN, negatives and values beyond Int32 go right.
        guard value > -1, value < 2_147_483_648 else { return right }
        return categories.contains(node: index, category: Int(value)) ? node.left : right
    }

    /// A leaf's output: its linear model when it has one and none of its features is missing.
    @inline(__always)
    func leafOutput(_ nodes: UnsafePointer<Node>, _ index: Int, _ row: UnsafePointer<Double>) -> Double {
        let count = Int(linearCount[index])
        guard count >= 0 else { return leafValue[index] }
        var output = linearConstant[index]
        let start = Int(linearStart[index])
        for k in start..<(start + count) {
            let value = row[Int(linearFeatures[k])]
            if value.isNaN { return leafValue[index] }
            output += linearCoefficients[k] * value
        }
        return output
    }
}
