/// Trees flattened into arrays (one entry per node, all trees end to end), evaluated the way
/// XGBoost does: features and thresholds compared as 32-bit floats, `value < threshold` goes
/// left, a missing value (NaN) follows the node's default direction.
struct Forest: Sendable {
    var feature: [Int32] = []       // split feature, or -1 at a leaf
    var threshold: [Float] = []     // split condition, or the leaf value at a leaf
    var left: [Int32] = []          // absolute node indices
    var right: [Int32] = []
    var defaultLeft: [Bool] = []
    var roots: [Int32] = []
    var group: [Int32] = []         // output group (class) of each tree
    var weight: [Float] = []        // tree weight (1 for gbtree, DART's weight_drop)

    /// Adds one tree; child indices are relative to the tree and become absolute.
    mutating func append(
        features: [Int32], thresholds: [Float], left: [Int32], right: [Int32], defaultLeft: [Bool], group: Int32, weight: Float
    ) {
        let base = Int32(feature.count)
        roots.append(base)
        self.group.append(group)
        self.weight.append(weight)
        for i in features.indices {
            let isLeaf = left[i] < 0
            feature.append(isLeaf ? -1 : features[i])
            threshold.append(thresholds[i])
            self.left.append(isLeaf ? -1 : base + left[i])
            self.right.append(isLeaf ? -1 : base + right[i])
            self.defaultLeft.append(defaultLeft[i])
        }
    }

    /// Adds every tree's leaf for one row into `margins` (one slot per group), in 32-bit floats
    /// as XGBoost's own predictor sums them.
    func accumulate(row: UnsafeBufferPointer<Float>, into margins: inout [Float]) {
        feature.withUnsafeBufferPointer { feature in
            threshold.withUnsafeBufferPointer { threshold in
                left.withUnsafeBufferPointer { left in
                    right.withUnsafeBufferPointer { right in
                        defaultLeft.withUnsafeBufferPointer { defaultLeft in
                            for t in roots.indices {
                                var node = Int(roots[t])
                                while feature[node] >= 0 {
                                    let value = row[Int(feature[node])]
                                    if value.isNaN {
                                        node = Int(defaultLeft[node] ? left[node] : right[node])
                                    } else {
                                        node = Int(value < threshold[node] ? left[node] : right[node])
                                    }
                                }
                                margins[Int(group[t])] += threshold[node] * weight[t]
                            }
                        }
                    }
                }
            }
        }
    }
}
