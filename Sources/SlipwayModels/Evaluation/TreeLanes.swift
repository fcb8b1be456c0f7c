/// A node of a forest walked without branches: children side by side (right = left + 1), a leaf
/// that loops to itself. `next` is the whole rule of a split: which child a feature value takes.
protocol LaneNode {
    associatedtype Value
    /// The row column this node reads (a leaf reads one that sends it back to itself).
    var column: Int { get }
    /// The left child; the right one is next to it, and a leaf is its own left child.
    var left: Int32 { get }
    /// The node a row with `value` in `column` moves to.
    func next(_ value: Value) -> Int32
    /// The same, for a value known not to be missing (a block without NaN).
    func nextPresent(_ value: Value) -> Int32
}

extension LaneNode {
    @inline(__always)
    func nextPresent(_ value: Value) -> Int32 { next(value) }
}

/// The branch-free walks both forests use, generic so that XGBoost (Float thresholds, `<` goes
/// left) and LightGBM (Double thresholds, `<=` goes left) share them; each call site is specialized
/// within the module. A block of rows walks one tree level by level (`walkBlock`); a handful of rows
/// (a single prediction request) walks eight trees side by side per row (`walk`), so eight
/// independent chains of loads overlap where one tree's chain would wait on every level. Leaves
/// are handed over in tree order, so both give the same sums.
enum TreeLanes {
    /// Trees walked side by side for one row; blocks with fewer rows than this use the lane walk.
    static let width = 8

    /// Walks every tree for one row and calls `leaf(tree, node)` with each tree's leaf, in tree order.
    @inline(__always)
    static func walk<Node: LaneNode>(
        _ nodes: UnsafePointer<Node>, roots: [Int32], depths: [Int32], row: UnsafePointer<Node.Value>, positions: UnsafeMutablePointer<Int32>,
        leaf: (_ tree: Int, _ node: Int) -> Void
    ) {
        let treeCount = roots.count
        var t = 0
        while t < treeCount {
            let lanes = min(width, treeCount - t)
            var depth: Int32 = 0
            for k in 0..<lanes {
                positions[k] = roots[t + k]
                depth = max(depth, depths[t + k])
            }
            for _ in 0..<depth {
                for k in 0..<lanes {
                    let node = nodes[Int(positions[k])]
                    positions[k] = node.next(row[node.column])
                }
            }
            for k in 0..<lanes { leaf(t + k, Int(positions[k])) }
            t += lanes
        }
    }

    /// Walks one tree for a block of rows: `positions` holds each row's start (the root) and ends at
    /// its leaf. `anyMissing` false says no row has a missing value in a column a split reads.
    @inline(__always)
    static func walkBlock<Node: LaneNode>(
        _ nodes: UnsafePointer<Node>, depth: Int32, rows: UnsafePointer<Node.Value>, stride: Int, count: Int, positions: UnsafeMutablePointer<Int32>,
        anyMissing: Bool = true
    ) {
        if anyMissing {
            for _ in 0..<depth {
                for r in 0..<count {
                    let node = nodes[Int(positions[r])]
                    positions[r] = node.next(rows[r &* stride &+ node.column])
                }
            }
        } else {
            for _ in 0..<depth {
                for r in 0..<count {
                    let node = nodes[Int(positions[r])]
                    positions[r] = node.nextPresent(rows[r &* stride &+ node.column])
                }
            }
        }
    }
}
