/// Sorting a million doubles fast, in the same order as `sorted()` for values without NaN (-0
/// comes out as +0, as `<` has them equal). Two ways:
/// - values that are decimals with a few fraction digits over a range not much wider than their
///   count (what a CSV file holds: `-1.2345`) are counted, as the integers they are once scaled;
/// - any others go through an LSD radix sort on keys that order like the values (the sign bit
///   flipped for positives, every bit for negatives), 11 bits per pass, six passes counted at once.
public enum RadixSort {
    public static func sorted(_ values: [Double]) -> [Double] {
        guard values.count > 2048 else { return values.sorted() }
        if let counted = countingDecimals(values) { return counted }
        return radix(values)
    }

    static let powersOfTen: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6]

    /// `values` sorted by counting, when each is `m / 10^k` for one k <= 6 (as parsing `m` with
    /// k fraction digits gives it) and the integers `m` span less than twice the count plus 65,536;
    /// else `nil`.
    static func countingDecimals(_ values: [Double]) -> [Double]? {
        let n = values.count
        return values.withUnsafeBufferPointer { v -> [Double]? in
            // The fewest fraction digits that write the first values exactly; the rest are checked as they are scaled.
            func exact(_ x: Double, _ scale: Double) -> Bool {
                let s = (x * scale).rounded()
                return abs(s) < 1e15 && s / scale == x
            }
            guard let scale = powersOfTen.first(where: { p in (0..<min(n, 64)).allSatisfy { exact(v[$0], p) } }) else { return nil }
            var low = Int.max, high = Int.min
            var scaled = [Int](unsafeUninitializedCapacity: n) { _, count in count = n }
            let allExact = scaled.withUnsafeMutableBufferPointer { m -> Bool in
                for i in 0..<n {
                    let s = (v[i] * scale).rounded()
                    guard abs(s) < 1e15, s / scale == v[i] else { return false }
                    let x = Int(s)
                    m[i] = x
                    low = min(low, x)
                    high = max(high, x)
                }
                return true
            }
            guard allExact, high - low < 2 * n + 65_536 else { return nil }
            var counts = [UInt32](repeating: 0, count: high - low + 1)
            counts.withUnsafeMutableBufferPointer { c in
                scaled.withUnsafeBufferPointer { m in
                    for x in m { c[x - low] &+= 1 }
                }
            }
            return [Double](unsafeUninitializedCapacity: n) { out, count in
                var j = 0
                counts.withUnsafeBufferPointer { c in
                    for d in 0..<c.count where c[d] != 0 {
                        let value = Double(d + low) / scale
                        for _ in 0..<Int(c[d]) {
                            out[j] = value
                            j += 1
                        }
                    }
                }
                count = n
            }
        }
    }

    static func radix(_ values: [Double]) -> [Double] {
        let n = values.count
        let bits = 11, passes = 6, mask: UInt64 = (1 << 11) - 1
        var keys = [UInt64](unsafeUninitializedCapacity: n) { out, count in
            for (i, value) in values.enumerated() {
                let bits = (value == 0 ? 0.0 : value).bitPattern  // -0 sorts with +0
                out[i] = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
            }
            count = n
        }
        var buffer = [UInt64](unsafeUninitializedCapacity: n) { _, count in count = n }
        // Every pass's digit counts, in one read of the keys.
        var counts = [Int](repeating: 0, count: passes << bits)
        counts.withUnsafeMutableBufferPointer { c in
            for key in keys {
                for pass in 0..<passes { c[(pass << bits) + Int((key >> UInt64(pass * bits)) & mask)] += 1 }
            }
        }
        for pass in 0..<passes {
            let base = pass << bits
            // Every key shares this digit: nothing moves.
            if counts[base..<(base + (1 << bits))].contains(n) { continue }
            var total = 0
            for i in base..<(base + (1 << bits)) {
                let c = counts[i]
                counts[i] = total
                total += c
            }
            let shift = UInt64(pass * bits)
            keys.withUnsafeBufferPointer { source in
                buffer.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { offsets in
                        for key in source {
                            let digit = base + Int((key >> shift) & mask)
                            target[offsets[digit]] = key
                            offsets[digit] += 1
                        }
                    }
                }
            }
            swap(&keys, &buffer)
        }
        return keys.map { key in
            Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
        }
    }
}
