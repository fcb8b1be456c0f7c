/// Sorting doubles by their bits: an LSD radix sort on keys that order like the values (the sign
/// bit flipped for positives, every bit for negatives), 16 bits per pass, four passes. The same
/// order as `sorted()` for values without NaN, in a fraction of its time on a million values.
public enum RadixSort {
    public static func sorted(_ values: [Double]) -> [Double] {
        guard values.count > 2048 else { return values.sorted() }
        var keys = values.map { value -> UInt64 in
            let bits = (value == 0 ? 0.0 : value).bitPattern  // -0 sorts with +0, as `<` has them equal
            return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        }
        var buffer = [UInt64](repeating: 0, count: keys.count)
        var counts = [Int](repeating: 0, count: 1 << 16)
        for pass in 0..<4 {
            let shift = UInt64(pass * 16)
            for i in counts.indices { counts[i] = 0 }
            for key in keys { counts[Int((key >> shift) & 0xFFFF)] += 1 }
            // Every key shares this digit: nothing moves.
            if counts.contains(keys.count) { continue }
            var total = 0
            for i in counts.indices {
                let c = counts[i]
                counts[i] = total
                total += c
            }
            keys.withUnsafeBufferPointer { source in
                buffer.withUnsafeMutableBufferPointer { target in
                    counts.withUnsafeMutableBufferPointer { offsets in
                        for key in source {
                            let digit = Int((key >> shift) & 0xFFFF)
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
