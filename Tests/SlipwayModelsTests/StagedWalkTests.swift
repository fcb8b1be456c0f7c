import SlipwayTestSupport
import Testing
@testable import SlipwayModels

@Suite("Staged walk of lopsided trees")
struct StagedWalkTests {
    @Test("A plan's stages rise to the tree's depth; a chain of leaves gets several stages, a full tree one")
    func plans() {
        for depths in [[Int32](repeating: 3, count: 8), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12], [4], [0]] {
            let ends = StagedWalk.plan(leafDepths: depths, weights: nil)
            #expect(ends.last == depths.max())
            #expect(zip(ends, ends.dropFirst()).allSatisfy { $0 < $1 })
        }
        #expect(StagedWalk.plan(leafDepths: [Int32](repeating: 3, count: 8), weights: nil) == [3])
        #expect(StagedWalk.plan(leafDepths: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12], weights: nil).count > 1)
        // Counts that are missing, of the wrong length, zero or negative fall back to halving at each split.
        let chain: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8, 8]
        let halving = StagedWalk.plan(leafDepths: chain, weights: nil)
        for weights in [[Double](repeating: 0, count: 9), [1, 2], [1, -1, 1, 1, 1, 1, 1, 1, 1], [.nan, 1, 1, 1, 1, 1, 1, 1, 1]] {
            #expect(StagedWalk.plan(leafDepths: chain, weights: weights) == halving)
        }
    }

    @Test("Random lopsided trees with NaN rows: the staged walk ends at the leaf a row-by-row walk reaches, whatever the counts")
    func sameLeaves() {
        var random = SplitMix(seed: 11)
        for trial in 0..<300 {
            let features = Int.random(in: 1...6, using: &random)
            var forest = LightGBMForest()
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                forest.append(Self.randomTree(features: features, leaves: Int.random(in: 1...40, using: &random), random: &random))
            }
            // Half the trials walk the doubles, as models with columns beyond 16 bits do.
            if trial % 2 == 1 { forest.keyNodes = nil }
            let count = [1, 7, 8, 33, 64].randomElement(using: &random)!
            let rows = (0..<(count * features)).map { _ in Double.random(in: 0..<1, using: &random) < 0.1 ? .nan : Double.random(in: -2...2, using: &random) }
            var scores = [Double](repeating: 0, count: count)
            // As the model's scratch: room for a block's positions (or eight trees' lanes), then the rows still walking.
            var scratch = [Int32](repeating: 0, count: 2 * evaluationBlockRows(columns: features))
            rows.withUnsafeBufferPointer { rows in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    var keys = [Int64](repeating: 0, count: count * features)
                    forest.accumulate(rows: rows.baseAddress!, stride: features, count: count, scores: &scores, slots: 1,
                                      positions: scratch.baseAddress!, active: scratch.baseAddress! + evaluationBlockRows(columns: features), keys: &keys)
                }
            }
            let expected = (0..<count).map { r in
                forest.nodes.withUnsafeBufferPointer { nodes in
                    rows.withUnsafeBufferPointer { rows in
                        forest.roots.reduce(0.0) { sum, root in
                            var index = root
                            while nodes[Int(index)].left != index { index = forest.step(nodes.baseAddress!, Int(index), rows.baseAddress! + r * features) }
                            return sum + forest.leafValue[Int(index)]
                        }
                    }
                }
            }
            #expect(scores == expected, "trial \(trial)")
        }
    }

    /// A tree grown leaf-wise: a random leaf splits each time, so some branches run deep; leaf
    /// counts are random, missing, or of the wrong length.
    static func randomTree(features: Int, leaves: Int, random: inout SplitMix) -> LightGBMForest.TreeArrays {
        var tree = LightGBMForest.TreeArrays(leafValue: [Double.random(in: -1...1, using: &random)])
        // Children as the text format holds them: a leaf is ~index.
        var openLeaves: [(parent: Int, isLeft: Bool)?] = [nil]
        while tree.leafValue.count < leaves {
            let split = Int.random(in: 0..<openLeaves.count, using: &random)
            let node = tree.feature.count
            tree.feature.append(Int32.random(in: 0..<Int32(features), using: &random))
            tree.threshold.append(Double.random(in: -1.5...1.5, using: &random))
            // Missing type None (0) or NaN (2), either default direction.
            tree.decision.append(UInt8([0, 2].randomElement(using: &random)! << 2) | (Bool.random(using: &random) ? 2 : 0))
            tree.left.append(~Int32(split))
            tree.right.append(~Int32(tree.leafValue.count))
            if let (parent, isLeft) = openLeaves[split] {
                if isLeft { tree.left[parent] = Int32(node) } else { tree.right[parent] = Int32(node) }
            }
            openLeaves[split] = (node, true)
            openLeaves.append((node, false))
            tree.leafValue.append(Double.random(in: -1...1, using: &random))
        }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: tree.leafCount = tree.leafValue.map { _ in Double(Int.random(in: 0...1000, using: &random)) }
        case 1: tree.leafCount = [1, 2, 3]
        default: tree.leafCount = nil
        }
        return tree
    }
}
