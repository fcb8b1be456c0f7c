/// LightGBM's trees flattened into one node array and evaluated the way LightGBM does: values
/// and thresholds as doubles, `value <= threshold` goes left, missing values by the node's rule
/// (`None`: NaN counts as 0; `Zero`: 0 and NaN take the default direction; `NaN`: NaN does),
/// categorical splits send the categories in their bitset left, and linear leaves add their model.
///
/// Leaves point at themselves on both sides, so a block of rows walks a tree level by level for
/// the tree's depth with no per-row exit test.
struct LightGBMForest: Sendable {
    struct Node: Sendable {
        var threshold: Double  // the leaf value at a leaf
        var feature: UInt32    // feature index | flags
        var left: Int32
        var right: Int32
    }

    static let defaultLeft: UInt32 = 1 << 31
    static let categorical: UInt32 = 1 << 30
    static let missingShift: UInt32 = 28
    static let featureMask: UInt32 = (1 << 28) - 1
    /// LightGBM's `kZeroThreshold` (a float constant).
    static let zeroThreshold = Double(Float(1e-35))

    var nodes: [Node] = []
    var roots: [Int32] = []
    var depths: [Int32] = []
    var categoryStart: [Int32] = []
    var categoryWords: [Int32] = []
    var categoryBits: [UInt32] = []
    var categoricalSplits = 0
    var hasCategoryArrays = false
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
        /// Bitsets of categorical nodes, by node.
        var categories: [Int: [UInt32]] = [:]
        /// Per leaf: constant, features and coefficients (linear trees only).
        var linear: [(constant: Double, features: [Int32], coefficients: [Double])]? = nil
    }

    mutating func append(_ tree: TreeArrays) {
        let base = Int32(nodes.count)
        let internalCount = tree.left.count
        // Internal nodes first, then leaves: leaf k sits at base + internalCount + k.
        func absolute(_ child: Int32) -> Int32 { child >= 0 ? base + child : base + Int32(internalCount) + ~child }
        // The per-node side arrays exist once a tree needs them, covering the nodes before it too.
        if !tree.categories.isEmpty && !hasCategoryArrays {
            hasCategoryArrays = true
            categoryStart = [Int32](repeating: 0, count: nodes.count)
            categoryWords = [Int32](repeating: 0, count: nodes.count)
        }
        if tree.linear != nil && !hasLinearArrays {
            hasLinearArrays = true
            linearConstant = [Double](repeating: 0, count: nodes.count)
            linearStart = [Int32](repeating: 0, count: nodes.count)
            linearCount = [Int32](repeating: -1, count: nodes.count)
        }
        roots.append(base)
        var depth = [Int32](repeating: 0, count: internalCount + tree.leafValue.count)
        for i in 0..<internalCount {
            var feature = UInt32(tree.feature[i]) | (UInt32((tree.decision[i] >> 2) & 3) << Self.missingShift)
            if tree.decision[i] & 2 != 0 { feature |= Self.defaultLeft }
            if tree.categories[i] != nil { feature |= Self.categorical }
            nodes.append(Node(threshold: tree.threshold[i], feature: feature, left: absolute(tree.left[i]), right: absolute(tree.right[i])))
            for child in [tree.left[i], tree.right[i]] {
                depth[child >= 0 ? Int(child) : internalCount + Int(~child)] = depth[i] + 1
            }
        }
        for (k, value) in tree.leafValue.enumerated() {
            let index = base + Int32(internalCount + k)
            nodes.append(Node(threshold: value, feature: 0, left: index, right: index))
        }
        if hasCategoryArrays {
            for i in 0..<(internalCount + tree.leafValue.count) {
                if i < internalCount, let bits = tree.categories[i] {
                    categoryStart.append(Int32(categoryBits.count))
                    categoryWords.append(Int32(bits.count))
                    categoryBits.append(contentsOf: bits)
                    categoricalSplits += 1
                } else {
                    categoryStart.append(0)
                    categoryWords.append(0)
                }
            }
        }
        if hasLinearArrays {
            for _ in 0..<internalCount {
                linearConstant.append(0); linearStart.append(0); linearCount.append(-1)
            }
            for k in tree.leafValue.indices {
                if let leaf = tree.linear?[k] {
                    linearConstant.append(leaf.constant)
                    linearStart.append(Int32(linearFeatures.count))
                    linearCount.append(Int32(leaf.features.count))
                    linearFeatures.append(contentsOf: leaf.features)
                    linearCoefficients.append(contentsOf: leaf.coefficients)
                } else {
                    linearConstant.append(0); linearStart.append(0); linearCount.append(-1)
                }
            }
            if tree.linear != nil { linearTrees += 1 }
        }
        depths.append(depth.max() ?? 0)
    }

    /// Adds every tree's output into the scores of a block of rows (tree t into slot t % slots).
    func accumulate(
        rows: UnsafePointer<Double>, stride: Int, count: Int,
        scores: UnsafeMutablePointer<Double>, slots: Int, positions: UnsafeMutablePointer<Int32>
    ) {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            let nodes = nodeBuffer.baseAddress!
            for t in roots.indices {
                let root = roots[t]
                for r in 0..<count { positions[r] = root }
                if categoricalSplits == 0 {
                    for _ in 0..<depths[t] {
                        for r in 0..<count {
                            positions[r] = Self.numericalStep(nodes[Int(positions[r])], rows + r * stride)
                        }
                    }
                } else {
                    for _ in 0..<depths[t] {
                        for r in 0..<count {
                            positions[r] = step(nodes, Int(positions[r]), rows + r * stride)
                        }
                    }
                }
                let slot = t % slots
                if linearTrees == 0 {
                    for r in 0..<count { scores[r * slots + slot] += nodes[Int(positions[r])].threshold }
                } else {
                    for r in 0..<count { scores[r * slots + slot] += leafOutput(nodes, Int(positions[r]), rows + r * stride) }
                }
            }
        }
    }

    @inline(__always)
    static func numericalStep(_ node: Node, _ row: UnsafePointer<Double>) -> Int32 {
        var value = row[Int(node.feature & featureMask)]
        let missing = (node.feature >> missingShift) & 3
        if value.isNaN && missing != 2 { value = 0 }
        if (missing == 1 && value >= -zeroThreshold && value <= zeroThreshold) || (missing == 2 && value.isNaN) {
            return node.feature & defaultLeft != 0 ? node.left : node.right
        }
        return value <= node.threshold ? node.left : node.right
    }

    @inline(__always)
    func step(_ nodes: UnsafePointer<Node>, _ index: Int, _ row: UnsafePointer<Double>) -> Int32 {
        let node = nodes[index]
        if node.feature & Self.categorical == 0 { return Self.numericalStep(node, row) }
        let value = row[Int(node.feature & Self.featureMask)]
        // LightGBM truncates to int: NaN, negatives and values beyond Int32 go right.
        guard value > -1, value < 2_147_483_648 else { return node.right }
        let category = Int(value)
        let word = category >> 5
        guard word < Int(categoryWords[index]) else { return node.right }
        let bits = categoryBits[Int(categoryStart[index]) + word]
        return (bits >> UInt32(category & 31)) & 1 != 0 ? node.left : node.right
    }

    /// A leaf's output: its linear model when it has one and none of its features is missing.
    @inline(__always)
    func leafOutput(_ nodes: UnsafePointer<Node>, _ index: Int, _ row: UnsafePointer<Double>) -> Double {
        let count = Int(linearCount[index])
        guard count >= 0 else { return nodes[index].threshold }
        var output = linearConstant[index]
        let start = Int(linearStart[index])
        for k in start..<(start + count) {
            let value = row[Int(linearFeatures[k])]
            if value.isNaN { return nodes[index].threshold }
            output += linearCoefficients[k] * value
        }
        return output
    }
}
