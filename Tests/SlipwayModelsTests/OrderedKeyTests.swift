import SlipwayTestSupport
import Testing
@testable import SlipwayModels

@Suite("Ordered keys")
struct OrderedKeyTests {
    @Test("Ordered keys keep the order of doubles; a key node splits as its double node does, NaN included")
    func orderedKeys() {
        var random = SplitMix(seed: 5)
        let values = Self.values(random: &random) { Double(bitPattern: $0) }
        Self.expectSameOrder(values, random: &random, missing: OrderedKey.missing, key: OrderedKey.of)
        for threshold in values where !threshold.isNaN {
            for flags: UInt32 in [0, LightGBMForest.nanRight] {
                let node = LightGBMForest.Node(threshold: threshold, feature: flags, left: 7)
                let keyNode = LightGBMForest.keyNode(node, isLeaf: false)!
                for _ in 0..<4 {
                    let value = values.randomElement(using: &random)!
                    #expect(keyNode.next(OrderedKey.of(value)) == node.next(value), "\(threshold) \(flags) \(value)")
                    if !value.isNaN {
                        #expect(keyNode.nextPresent(OrderedKey.of(value)) == node.next(value), "\(threshold) \(flags) \(value)")
                    }
                }
            }
        }
        let leaf = LightGBMForest.keyNode(LightGBMForest.Node(threshold: .infinity, feature: 0, left: 3), isLeaf: true)!
        #expect(values.allSatisfy { leaf.next(OrderedKey.of($0)) == 3 })
        #expect(LightGBMForest.keyNode(LightGBMForest.Node(threshold: .nan, feature: 0, left: 3), isLeaf: false) == nil)
        #expect(LightGBMForest.keyNode(LightGBMForest.Node(threshold: 1, feature: 70_000, left: 3), isLeaf: false) == nil)
    }

    @Test("Float keys keep the order of floats; an XGBoost key node splits as its float node does, NaN included")
    func floatKeys() {
        var random = SplitMix(seed: 5)
        let values = Self.values(random: &random) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
        Self.expectSameOrder(values, random: &random, missing: OrderedKey.missingFloat, key: OrderedKey.of)
        for threshold in values where !threshold.isNaN {
            for flags: UInt32 in [0, XGBoostForest.defaultLeft] {
                let node = XGBoostForest.Node(threshold: threshold, feature: flags, left: 7)
                let keyNode = XGBoostForest.keyNode(node, isLeaf: false)!
                for _ in 0..<4 {
                    let value = values.randomElement(using: &random)!
                    #expect(keyNode.next(OrderedKey.of(value)) == node.next(value), "\(threshold) \(flags) \(value)")
                    if !value.isNaN {
                        #expect(keyNode.nextPresent(OrderedKey.of(value)) == node.next(value), "\(threshold) \(flags) \(value)")
                    }
                }
            }
        }
        let leaf = XGBoostForest.keyNode(XGBoostForest.Node(threshold: 0.5, feature: 3 | XGBoostForest.defaultLeft, left: 3), isLeaf: true)!
        #expect(values.allSatisfy { leaf.next(OrderedKey.of($0)) == 3 })
        #expect(XGBoostForest.keyNode(XGBoostForest.Node(threshold: .nan, feature: 0, left: 3), isLeaf: false) == nil)
        #expect(XGBoostForest.keyNode(XGBoostForest.Node(threshold: 1, feature: 70_000, left: 3), isLeaf: false) == nil)
    }

    @Test("Converting a block to keys counts its missing values, which decide the walk a block takes")
    func missingCount() {
        let doubles: [Double] = [1, .nan, -0.0, .infinity, .nan, 3]
        var keys = [Int64](repeating: 0, count: doubles.count)
        #expect(OrderedKey.convert(doubles, count: doubles.count, into: &keys) == 2)
        #expect(keys == doubles.map(OrderedKey.of))
        let floats: [Float] = [.nan, 2, 0.5]
        var floatKeys = [Int32](repeating: 0, count: floats.count)
        #expect(OrderedKey.convert(floats, count: floats.count, into: &floatKeys) == 1)
        #expect(OrderedKey.convert(floats, count: 0, into: &floatKeys) == 0)
    }

    /// Edge values (zeros, subnormals, the largest finite, infinities, NaN), then 2000 of any bit
    /// pattern (NaNs with payloads, subnormals) and 2000 ordinary ones.
    static func values<F: BinaryFloatingPoint>(random: inout SplitMix, fromBits: (UInt64) -> F) -> [F] where F.RawSignificand: FixedWidthInteger {
        var values: [F] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, 1, -1, 1e38, -1e38,
                           .greatestFiniteMagnitude / 2, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity, 0.1, -0.1, .nan]
        for _ in 0..<2000 {
            values.append(fromBits(random.next()))
            values.append(F.random(in: -3...3, using: &random))
        }
        return values
    }

    /// Keys compare as their numbers do, and every NaN gets the missing key.
    static func expectSameOrder<F: BinaryFloatingPoint, K: Comparable>(_ values: [F], random: inout SplitMix, missing: K, key: (F) -> K) {
        for a in values where !a.isNaN {
            let b = values.randomElement(using: &random)!
            guard !b.isNaN else { continue }
            #expect((key(a) < key(b)) == (a < b), "\(a) \(b)")
            #expect((key(a) == key(b)) == (a == b), "\(a) \(b)")
        }
        #expect(values.filter(\.isNaN).allSatisfy { key($0) == missing })
    }
}
