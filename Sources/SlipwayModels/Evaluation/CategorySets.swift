/// The category bitsets of a forest's categorical splits, by node, stored end to end. Nodes before
/// the first categorical split take no space; after it, every node has an (often empty) entry.
struct CategorySets: Sendable {
    private var start: [Int32] = []
    private var words: [Int32] = []
    private var bits: [UInt32] = []
    private var active = false
    /// How many nodes have a set.
    private(set) var count = 0

    /// Records node `index`'s set, or none; nodes are appended in index order.
    mutating func append(_ set: [UInt32]?, node index: Int) {
        if set != nil && !active {
            active = true
            start = [Int32](repeating: 0, count: index)
            words = [Int32](repeating: 0, count: index)
        }
        guard active else { return }
        start.append(Int32(bits.count))
        words.append(Int32(set?.count ?? 0))
        if let set {
            bits.append(contentsOf: set)
            count += 1
        }
    }

    /// Whether `category` (non-negative) is in node `index`'s set; categories past the set are not.
    @inline(__always)
    func contains(node index: Int, category: Int) -> Bool {
        let word = category >> 5
        guard word < Int(words[index]) else { return false }
        return (bits[Int(start[index]) + word] >> UInt32(category & 31)) & 1 != 0
    }

    /// A bitset with the given categories (each in 0..<2^24) set.
    static func bitset(_ categories: [Int32]) -> [UInt32] {
        var set = [UInt32](repeating: 0, count: Int(categories.max() ?? 0) / 32 + 1)
        for c in categories { set[Int(c) / 32] |= 1 << (UInt32(c) % 32) }
        return set
    }
}
