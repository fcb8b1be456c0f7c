/// A walk for trees whose leaves sit at very different depths, as LightGBM's leaf-wise trees do:
/// the level-by-level walk (`TreeLanes.walkBlock`) moves every row for the tree's full depth, though
/// most rows reach their leaf in half of it. This walk stops at a few levels chosen per tree
/// (`StagedWalk.plan`), keeps only the rows that are not at a leaf yet, and walks on with those.
/// Rows take the same path either way, so the leaves and the sums are the same.
enum StagedWalk {
    /// The cost of moving a row one level in the first stage, where every row moves.
    static let blockStep = 1.0
    /// The cost of moving a listed row one level (one more load for its index).
    static let listedStep = 1.15
    /// The cost of checking whether a row is at a leaf when a stage ends.
    static let check = 0.6

    /// The levels where a tree's stages end, the last one its depth, chosen to make the expected
    /// work per row least, given the depth of each leaf and the rows that reached it in training
    /// (without those, a row is taken to go either way at each split).
    static func plan(leafDepths: [Int32], weights: [Double]?) -> [Int32] {
        let depth = Int(leafDepths.max() ?? 0)
        guard depth > 1 else { return [Int32(depth)] }
        var weights = weights ?? []
        if weights.count != leafDepths.count || !(weights.reduce(0, +) > 0) || weights.contains(where: { !($0 >= 0) }) {
            weights = leafDepths.map { 1 / Double(sign: .plus, exponent: Int($0), significand: 1) }
        }
        let total = weights.reduce(0, +)
        // Rows still at an internal node when they reach `level`.
        var moving = [Double](repeating: 0, count: depth + 1)
        for (leafDepth, weight) in zip(leafDepths, weights) {
            for level in 0..<Int(leafDepth) { moving[level] += weight / total }
        }
        // cost[k]: the least expected work from a stage starting at level k; next[k]: where it ends.
        var cost = [Double](repeating: 0, count: depth + 1)
        var next = [Int](repeating: depth, count: depth + 1)
        for start in stride(from: depth - 1, through: 0, by: -1) {
            let (perLevel, entry) = start == 0 ? (blockStep, 0.0) : (listedStep * moving[start], check * moving[start])
            var best = Double.infinity
            for end in (start + 1)...depth {
                let candidate = entry + perLevel * Double(end - start) + cost[end]
                if candidate < best { best = candidate; next[start] = end }
            }
            cost[start] = best
        }
        var ends: [Int32] = []
        var level = 0
        while level < depth {
            level = next[level]
            ends.append(Int32(level))
        }
        return ends
    }

    /// Walks one tree for a block of rows: every row for the first `ends[0]` levels, then at each
    /// further end only the rows still at an internal node, listed in `active`. `positions` holds
    /// each row's start (the root) and ends at its leaf; a leaf is a node whose left child is itself.
    @inline(__always)
    static func walk<Node: LaneNode>(
        _ nodes: UnsafePointer<Node>, ends: UnsafeBufferPointer<Int32>, rows: UnsafePointer<Node.Value>, stride: Int, count: Int,
        positions: UnsafeMutablePointer<Int32>, active: UnsafeMutablePointer<Int32>, anyMissing: Bool = true
    ) {
        TreeLanes.walkBlock(nodes, depth: ends[0], rows: rows, stride: stride, count: count, positions: positions, anyMissing: anyMissing)
        guard ends.count > 1 else { return }
        var listed = 0
        for r in 0..<count {
            active[listed] = Int32(truncatingIfNeeded: r)
            listed &+= isInternal(nodes, positions[r])
        }
        var level = ends[0]
        for stage in 1..<ends.count {
            if stage > 1 {
                var kept = 0
                for i in 0..<listed {
                    let r = active[i]
                    active[kept] = r
                    kept &+= isInternal(nodes, positions[Int(r)])
                }
                listed = kept
            }
            if listed == 0 { return }
            for _ in level..<ends[stage] {
                for i in 0..<listed {
                    let r = Int(active[i])
                    let node = nodes[Int(positions[r])]
                    let value = rows[r &* stride &+ node.column]
                    positions[r] = anyMissing ? node.next(value) : node.nextPresent(value)
                }
            }
            level = ends[stage]
        }
    }

    /// 1 when the node at `position` has children, 0 at a leaf, without a branch.
    @inline(__always)
    static func isInternal<Node: LaneNode>(_ nodes: UnsafePointer<Node>, _ position: Int32) -> Int {
        Int(unsafeBitCast(nodes[Int(position)].left != position, to: UInt8.self))
    }
}
