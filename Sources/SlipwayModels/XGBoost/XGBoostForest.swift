/// XGBoost's trees flattened into one node array and evaluated the way XGBoost does: features
/// and thresholds compared as 32-bit floats, `value < threshold` goes left, a missing value (NaN)
/// follows the node's default direction, a categorical split sends the categories in its set right.
///
/// Each tree is renumbered so that a node's children are adjacent (right = left + 1), and a block
/// of rows walks it level by level, for the tree's depth, with no branch on the data: the next node
/// is `left + goRight`. A leaf reads the padding column after the features, which is always NaN,
/// and sends it left to itself, so rows that reach a leaf early stay there.
struct XGBoostForest: Sendable {
    struct Node: Sendable, LaneNode {
        var threshold: Float  // the leaf value at a leaf
        var feature: UInt32   // feature index | flags
        var left: Int32       // absolute node index; the right child is left + 1

        var column: Int { Int(feature & XGBoostForest.featureMask) }

        /// `value < threshold` goes left; NaN fails both comparisons, so `>=` sends it left and `!(<)` right.
        @inline(__always)
        func next(_ value: Float) -> Int32 {
            let goRight = feature & XGBoostForest.defaultLeft != 0 ? value >= threshold : !(value < threshold)
            return left &+ Int32(truncatingIfNeeded: unsafeBitCast(goRight, to: UInt8.self))
        }
    }

    /// Row width during evaluation: the features, then the NaN padding column leaves read.
    let stride: Int
    var padding: UInt32 { UInt32(stride - 1) }

    init(featureCount: Int) {
        stride = featureCount + 1
    }

    static let defaultLeft: UInt32 = 1 << 31
    static let categorical: UInt32 = 1 << 30
    static let featureMask: UInt32 = (1 << 30) - 1

    var nodes: [Node] = []
    /// `nodes` as key nodes (`OrderedKey`), for block walks of forests without categorical splits;
    /// nil once a node has no key form.
    var keyNodes: [KeyNode<Int32>]? = []
    var roots: [Int32] = []
    var depths: [Int32] = []
    var groups: [Int32] = []     // output group (class) of each tree
    var weights: [Float] = []    // 1 for gbtree, DART's weight_drop
    /// The categories each categorical split sends right.
    var categories = CategorySets()
    var categoricalSplits: Int { categories.count }
    /// Values per leaf: 1, or one per output group for trees whose leaves hold a vector
    /// (scikit-learn's classifier trees, which hold class fractions). Vector leaves are kept in
    /// `leafTable`, `leafWidth` values per node at the node's index (zeros at splits), already
    /// times their tree's weight, so a row's leaf is one load away from its position.
    var leafWidth = 1
    var leafTable: [Float] = []

    var maxDepth: Int { Int(depths.max() ?? 0) }

    /// One tree as XGBoost's JSON holds it; child indices are relative to the tree.
    struct TreeArrays {
        var features: [Int32]
        var thresholds: [Float]
        var left: [Int32]
        var right: [Int32]
        var defaultLeft: [Bool]
        /// Categories sent right, per categorical node (relative index).
        var categories: [Int: [Int32]] = [:]
        /// With vector leaves: `leafWidth` values per node (relative index), read at the leaves.
        var leafVectors: [Float] = []

        mutating func reserveCapacity(_ nodes: Int) {
            features.reserveCapacity(nodes)
            thresholds.reserveCapacity(nodes)
            left.reserveCapacity(nodes)
            right.reserveCapacity(nodes)
            defaultLeft.reserveCapacity(nodes)
        }
    }

    mutating func append(_ tree: TreeArrays, group: Int32, weight: Float) {
        let base = Int32(nodes.count)
        roots.append(base)
        groups.append(group)
        weights.append(weight)
        let layout = SiblingLayout(count: tree.left.count) { i in
            tree.left[i] < 0 ? nil : (Int(tree.left[i]), Int(tree.right[i]))
        }
        for i in layout.order {
            let index = base + layout.position[i]
            if tree.left[i] < 0 {
                if leafWidth > 1 {
                    for k in (i * leafWidth)..<((i + 1) * leafWidth) { leafTable.append(tree.leafVectors[k] * weight) }
                }
                nodes.append(Node(threshold: leafWidth > 1 ? 0 : tree.thresholds[i], feature: padding | Self.defaultLeft, left: index))
            } else {
                var feature = UInt32(tree.features[i])
                if tree.defaultLeft[i] { feature |= Self.defaultLeft }
                if tree.categories[i] != nil { feature |= Self.categorical }
                nodes.append(Node(threshold: tree.thresholds[i], feature: feature, left: base + layout.position[Int(tree.left[i])]))
                if leafWidth > 1 { leafTable.append(contentsOf: repeatElement(0, count: leafWidth)) }
            }
            if keyNodes != nil {
                if let keyNode = Self.keyNode(nodes[Int(index)], isLeaf: tree.left[i] < 0) { keyNodes!.append(keyNode) } else { keyNodes = nil }
            }
            categories.append(tree.categories[i].map(CategorySets.bitset), node: Int(index))
        }
        depths.append(layout.maxDepth)
    }

    /// The key form of a node: `value < threshold` goes left, so the highest key going left is the
    /// threshold's key - 1. None for a NaN threshold.
    static func keyNode(_ node: Node, isLeaf: Bool) -> KeyNode<Int32>? {
        if isLeaf { return KeyNode(leaf: node.left) }
        guard !node.threshold.isNaN else { return nil }
        return KeyNode(column: node.column, highestLeft: OrderedKey.of(node.threshold) &- 1, nanGoesLeft: node.feature & defaultLeft != 0, left: node.left)
    }

    /// Adds every tree's leaf into the margins of a block of rows.
    /// - Parameters:
    ///   - rows: `count` rows of `stride` floats, the last one NaN.
    ///   - margins: `count * groupCount` sums, row-major, already holding the base margins.
    ///   - positions: scratch space for `count` node indices.
    ///   - keys: scratch space for the rows as ordered keys.
    func accumulate(
        rows: UnsafePointer<Float>, count: Int,
        margins: UnsafeMutablePointer<Float>, groupCount: Int, positions: UnsafeMutablePointer<Int32>, keys: UnsafeMutablePointer<Int32>
    ) {
        if count < TreeLanes.width && categoricalSplits == 0 {
            return accumulateFewRows(rows: rows, count: count, margins: margins, groupCount: groupCount, positions: positions)
        }
        nodes.withUnsafeBufferPointer { nodeBuffer in
            let nodes = nodeBuffer.baseAddress!
            if categoricalSplits == 0, let keyNodes {
                // Each row's padding column is NaN; any other missing value needs NaN's directions.
                let anyMissing = OrderedKey.convert(rows, count: count * stride, into: keys) > count
                keyNodes.withUnsafeBufferPointer { keyNodes in
                    addTrees(nodes, count: count, margins: margins, groupCount: groupCount, positions: positions) { t in
                        TreeLanes.walkBlock(
                            keyNodes.baseAddress!, depth: depths[t], rows: keys, stride: stride, count: count, positions: positions, anyMissing: anyMissing)
                    }
                }
            } else if categoricalSplits == 0 {
                addTrees(nodes, count: count, margins: margins, groupCount: groupCount, positions: positions) { t in
                    TreeLanes.walkBlock(nodes, depth: depths[t], rows: rows, stride: stride, count: count, positions: positions)
                }
            } else {
                addTrees(nodes, count: count, margins: margins, groupCount: groupCount, positions: positions) { t in
                    for _ in 0..<depths[t] {
                        for r in 0..<count { positions[r] = step(nodes, Int(positions[r]), rows + r * stride) }
                    }
                }
            }
        }
    }

    /// For each tree: every row of the block starts at its root, `walk(tree)` takes them to their
    /// leaves, and the leaves' values (times the tree's weight) are added to the rows' margins.
    @inline(__always)
    private func addTrees(
        _ nodes: UnsafePointer<Node>, count: Int, margins: UnsafeMutablePointer<Float>, groupCount: Int, positions: UnsafeMutablePointer<Int32>,
        walk: (_ tree: Int) -> Void
    ) {
        leafTable.withUnsafeBufferPointer { table in
            for t in roots.indices {
                let root = roots[t]
                for r in 0..<count { positions[r] = root }
                walk(t)
                let slot = Int(groups[t]), weight = weights[t]
                if leafWidth == 1 {
                    for r in 0..<count {
                        margins[r * groupCount + slot] += nodes[Int(positions[r])].threshold * weight
                    }
                } else {
                    addVectors(table.baseAddress!, count: count, margins: margins, groupCount: groupCount, positions: positions)
                }
            }
        }
    }

    /// Adds each row's vector leaf to its margins; the widths of small class counts unrolled.
    @inline(__always)
    private func addVectors(
        _ table: UnsafePointer<Float>, count: Int, margins: UnsafeMutablePointer<Float>, groupCount: Int, positions: UnsafeMutablePointer<Int32>
    ) {
        func add<let width: Int>(_: InlineArray<width, Float>.Type) {
            for r in 0..<count {
                let leaf = table + Int(positions[r]) &* width, out = margins + r &* groupCount
                for k in 0..<width { out[k] += leaf[k] }
            }
        }
        switch leafWidth {
        case 2: add(InlineArray<2, Float>.self)
        case 3: add(InlineArray<3, Float>.self)
        case 4: add(InlineArray<4, Float>.self)
        default:
            for r in 0..<count {
                let leaf = table + Int(positions[r]) &* leafWidth, out = margins + r &* groupCount
                for k in 0..<leafWidth { out[k] += leaf[k] }
            }
        }
    }

    /// Adds the vector leaf at `node` (its values already weighted) to one row's margins.
    @inline(__always)
    func addVector(_ node: Int, to out: UnsafeMutablePointer<Float>) {
        leafTable.withUnsafeBufferPointer { table in
            for k in 0..<leafWidth { out[k] += table[node * leafWidth + k] }
        }
    }

    /// A handful of rows: each row's trees eight at a time (`TreeLanes`).
    func accumulateFewRows(
        rows: UnsafePointer<Float>, count: Int, margins: UnsafeMutablePointer<Float>, groupCount: Int, positions: UnsafeMutablePointer<Int32>
    ) {
        nodes.withUnsafeBufferPointer { nodeBuffer in
            let nodes = nodeBuffer.baseAddress!
            for r in 0..<count {
                let out = margins + r * groupCount
                TreeLanes.walk(nodes, roots: roots, depths: depths, row: rows + r * stride, positions: positions) { tree, node in
                    if leafWidth == 1 {
                        out[Int(groups[tree])] += nodes[node].threshold * weights[tree]
                    } else {
                        addVector(node, to: out)
                    }
                }
            }
        }
    }

    /// One step down from `index`, categorical splits included.
    @inline(__always)
    func step(_ nodes: UnsafePointer<Node>, _ index: Int, _ row: UnsafePointer<Float>) -> Int32 {
        let node = nodes[index]
        let value = row[Int(node.feature & Self.featureMask)]
        let right = node.left + 1
        if value.isNaN { return node.feature & Self.defaultLeft != 0 ? node.left : right }
        if node.feature & Self.categorical == 0 { return value < node.threshold ? node.left : right }
        // XGBoost: an invalid category (negative, too large, not finite) goes left, as does one outside the set.
        guard value >= 0, value < 16_777_216 else { return node.left }
        return categories.contains(node: index, category: Int(value)) ? right : node.left
    }
}
