/// Doubles as 64-bit integers in the same order (floats as 32-bit ones), so a split is one integer
/// comparison: `-0.0` and `+0.0` share a key, and NaN, whatever its payload, gets the missing key,
/// above every number.
///
/// A split sends NaN left or right by its own rule. Right needs nothing: `missing` is above every
/// threshold. Left adds 1 to the row's key before comparing (and to the threshold), which wraps
/// `missing` round to the lowest key and leaves the order of numbers as it was.
enum OrderedKey {
    static let missing = Int64.max
    static let missingFloat = Int32.max

    @inline(__always)
    static func of(_ value: Double) -> Int64 {
        let bits = Int64(bitPattern: (value + 0).bitPattern)
        return value.isNaN ? missing : bits ^ ((bits >> 63) & Int64.max)
    }

    @inline(__always)
    static func of(_ value: Float) -> Int32 {
        let bits = Int32(bitPattern: (value + 0).bitPattern)
        return value.isNaN ? missingFloat : bits ^ ((bits >> 31) & Int32.max)
    }

    /// The keys of `count` values; returns how many are missing (NaN).
    @discardableResult
    static func convert(_ values: UnsafePointer<Double>, count: Int, into keys: UnsafeMutablePointer<Int64>) -> Int {
        var missing = 0
        for i in 0..<count {
            keys[i] = of(values[i])
            missing &+= values[i].isNaN ? 1 : 0
        }
        return missing
    }

    @discardableResult
    static func convert(_ values: UnsafePointer<Float>, count: Int, into keys: UnsafeMutablePointer<Int32>) -> Int {
        var missing = 0
        for i in 0..<count {
            keys[i] = of(values[i])
            missing &+= values[i].isNaN ? 1 : 0
        }
        return missing
    }
}

/// A split over ordered keys: one integer comparison, `key > threshold` goes right. NaN's
/// direction is `shift`, added to both sides when a block has missing values; a block without any
/// compares the keys alone (`nextPresent`), a quarter fewer instructions per step. Both forests
/// use it for block walks; each makes it from its own node (`LightGBMForest.keyNode`,
/// `XGBoostForest.keyNode`).
struct KeyNode<Key: FixedWidthInteger & Sendable>: Sendable, LaneNode {
    var threshold: Key    // the highest key that goes left; Key.max at a leaf
    var left: Int32
    var columnIndex: UInt16
    var shift: UInt16     // 1 where NaN goes left

    var column: Int { Int(columnIndex) }

    @inline(__always)
    func next(_ key: Key) -> Int32 {
        left &+ Int32(truncatingIfNeeded: unsafeBitCast(key &+ Key(shift) > threshold &+ Key(shift), to: UInt8.self))
    }

    @inline(__always)
    func nextPresent(_ key: Key) -> Int32 {
        left &+ Int32(truncatingIfNeeded: unsafeBitCast(key > threshold, to: UInt8.self))
    }

    /// A leaf: every key goes left, to the leaf itself.
    init(leaf index: Int32) {
        (threshold, left, columnIndex, shift) = (Key.max, index, 0, 0)
    }

    /// A split sending keys up to `highestLeft` left, or nil for a column beyond 16 bits.
    /// `highestLeft` is below `Key.max` (the missing key), so adding the shift cannot overflow.
    init?(column: Int, highestLeft: Key, nanGoesLeft: Bool, left: Int32) {
        guard let column = UInt16(exactly: column), highestLeft < Key.max else { return nil }
        self.left = left
        columnIndex = column
        shift = nanGoesLeft ? 1 : 0
        threshold = highestLeft
    }
}
