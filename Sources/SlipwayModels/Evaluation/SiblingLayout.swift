/// A tree's nodes in breadth-first order with each node's two children placed side by side, so
/// the right child is always the left one plus one: the layout both forests walk without branches.
struct SiblingLayout {
    /// Node numbers (the file's numbering) in their new order; unreachable nodes are left out.
    var order: [Int] = [0]
    /// The new index of each node, by the file's numbering.
    var position: [Int32]
    /// Distance from the root, by the file's numbering.
    var depth: [Int32]

    /// - Parameters:
    ///   - count: nodes in the tree, root at 0.
    ///   - children: a node's children, or nil at a leaf.
    init(count: Int, children: (Int) -> (left: Int, right: Int)?) {
        position = [Int32](repeating: 0, count: count)
        depth = [Int32](repeating: 0, count: count)
        var head = 0
        while head < order.count {
            let i = order[head]
            head += 1
            guard let (l, r) = children(i) else { continue }
            position[l] = Int32(order.count)
            position[r] = Int32(order.count + 1)
            depth[l] = depth[i] + 1
            depth[r] = depth[i] + 1
            order.append(l)
            order.append(r)
        }
    }

    var maxDepth: Int32 { order.map { depth[$0] }.max() ?? 0 }
}
