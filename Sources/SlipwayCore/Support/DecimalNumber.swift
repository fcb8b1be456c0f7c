import Foundation

/// Decimal text to `Double`, straight from bytes and correctly rounded: the same value `strtod`
/// gives, an order of magnitude faster. Exact small cases take Clinger's fast path (a significand
/// below 2^53 times a power of ten below 10^23, one rounding); the rest take the Eisel-Lemire
/// algorithm (a 64-bit significand times a 128-bit power of five, `PowersOfFive`), which is exact
/// for up to 19 significant digits. Longer significands whose truncation could round either way
/// fall back to `strtod`.
public enum DecimalNumber {
    /// A whole field as a number: `[+-]digits[.digits][(e|E)[+-]digits]` (`.5` and `5.` too), or
    /// `inf`, `infinity`, `nan` in any case with an optional sign. `nil` for anything else (hex,
    /// underscores, spaces, trailing text).
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        if let (value, end) = prefix(bytes, from: 0), end == bytes.count { return value }
        return parseCarefully(bytes)
    }

    /// The decimal number that starts at `start` and where it ends: the longest prefix of the
    /// form `[+-]digits[.digits][(e|E)[+-]digits]`. `nil` when there is no digit, and for words
    /// (`inf`, `nan`), which only ``parse(_:)`` reads. Fast: eight fraction digits at a time.
    @inline(__always)
    public static func prefix(_ b: UnsafeRawBufferPointer, from start: Int) -> (Double, Int)? {
        let n = b.count
        var i = start
        var negative = false
        if i < n, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        let digitsStart = i
        var significand: UInt64 = 0
        while i < n, case let d = b[i] &- 48, d < 10 {
            significand = significand &* 10 &+ UInt64(d)
            i += 1
        }
        var digitCount = i - digitsStart
        var exponent = 0
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            if let base = b.baseAddress {
                while n - i >= 8 {
                    let word = UInt64(littleEndian: (base + i).loadUnaligned(as: UInt64.self))
                    guard isEightDigits(word) else { break }
                    significand = significand &* 100_000_000 &+ eightDigits(word)
                    i += 8
                }
            }
            while i < n, case let d = b[i] &- 48, d < 10 {
                significand = significand &* 10 &+ UInt64(d)
                i += 1
            }
            digitCount += i - fractionStart
            exponent = fractionStart - i
        }
        guard digitCount > 0 else { return nil }
        if i < n, b[i] | 0x20 == UInt8(ascii: "e") {
            var k = i + 1
            var exponentNegative = false
            if k < n, b[k] == UInt8(ascii: "-") || b[k] == UInt8(ascii: "+") {
                exponentNegative = b[k] == UInt8(ascii: "-")
                k += 1
            }
            if k < n, b[k] &- 48 < 10 {
                var written = 0
                while k < n, case let d = b[k] &- 48, d < 10 {
                    if written < 1 << 40 { written = written * 10 + Int(d) }  // beyond any shift the digits can make: 0 or infinity
                    k += 1
                }
                exponent += exponentNegative ? -written : written
                i = k
            }
        }
        if digitCount > 19 {
            // Leading zeros are not significant; more than 19 significant digits take the careful path.
            var k = digitsStart
            while k < i, b[k] == UInt8(ascii: "0") || b[k] == UInt8(ascii: ".") {
                if b[k] == UInt8(ascii: "0") { digitCount -= 1 }
                k += 1
            }
            if digitCount > 19 {
                return parseCarefully(UnsafeRawBufferPointer(rebasing: b[start..<i])).map { ($0, i) }
            }
        }
        guard significand != 0 else { return (negative ? -0.0 : 0.0, i) }
        let value: Double
        if let exact = clinger(significand, exponent) {
            value = exact
        } else if let rounded = eiselLemire(significand, exponent) {
            value = rounded
        } else {
            guard let read = strtod(UnsafeRawBufferPointer(rebasing: b[start..<i])) else { return nil }
            return (read, i)
        }
        return (negative ? -value : value, i)
    }

    /// Whether the 8 bytes of `word` (little-endian) are all ASCII digits.
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        (word & 0xF0F0_F0F0_F0F0_F0F0) | (((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4) == 0x3333_3333_3333_3333
    }

    /// The value of 8 ASCII digits (little-endian, first digit in the low byte), in three multiplies.
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let mul1: UInt64 = 0x000F_4240_0000_0064  // 100 + (1000000 << 32)
        let mul2: UInt64 = 0x0000_2710_0000_0001  // 1 + (10000 << 32)
        var v = word &- 0x3030_3030_3030_3030
        v = (v &* 10) &+ (v >> 8)
        return (((v & mask) &* mul1) &+ (((v >> 16) & mask) &* mul2)) >> 32
    }

    /// ``parse(_:)`` digit by digit, keeping the first 19 significant digits and noting whether
    /// a nonzero digit was dropped: the path for long significands and for words.
    static func parseCarefully(_ bytes: UnsafeRawBufferPointer) -> Double? {
        let n = bytes.count
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            i = 1
        }
        var significand: UInt64 = 0
        var digits = 0          // significant digits in `significand` (leading zeros not counted)
        var truncated = false   // a nonzero digit beyond the 19 kept
        var exponent = 0
        var sawDigit = false
        while i < n, case let d = bytes[i] &- 48, d < 10 {
            sawDigit = true
            if digits < 19 {
                if significand != 0 || d != 0 {
                    significand = significand &* 10 &+ UInt64(d)
                    digits += 1
                }
            } else {
                exponent += 1
                if d != 0 { truncated = true }
            }
            i += 1
        }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, case let d = bytes[i] &- 48, d < 10 {
                sawDigit = true
                if digits < 19 {
                    if significand != 0 || d != 0 {
                        significand = significand &* 10 &+ UInt64(d)
                        digits += 1
                    }
                    exponent -= 1
                } else if d != 0 {
                    truncated = true
                }
                i += 1
            }
        }
        guard sawDigit else { return special(bytes, from: i, negative: negative) }
        if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var exponentNegative = false
            if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var written = 0
            var sawExponentDigit = false
            while i < n, case let d = bytes[i] &- 48, d < 10 {
                sawExponentDigit = true
                if written < 1 << 40 { written = written * 10 + Int(d) }  // beyond any shift the digits can make: 0 or infinity
                i += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard i == n else { return nil }
        guard significand != 0 else { return negative ? -0.0 : 0.0 }

        let value: Double
        if !truncated, let exact = clinger(significand, exponent) {
            value = exact
        } else if let rounded = eiselLemire(significand, exponent) {
            if truncated {
                // The digits dropped lie between this significand and the next: both must round alike.
                guard eiselLemire(significand + 1, exponent) == rounded else { return strtod(bytes) }
            }
            value = rounded
        } else {
            return strtod(bytes)
        }
        return negative ? -value : value
    }

    /// Powers of ten a Double holds exactly.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// `significand * 10^exponent` with one rounding, when both factors are exact doubles.
    @inline(__always)
    static func clinger(_ significand: UInt64, _ exponent: Int) -> Double? {
        guard significand <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        let value = Double(significand)
        return exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
    }

    /// Eisel-Lemire for binary64: `significand * 10^exponent`, correctly rounded (nil never happens
    /// for 19 digits or fewer; kept for the table's range).
    static func eiselLemire(_ significand: UInt64, _ exponent: Int) -> Double? {
        if exponent < PowersOfFive.smallest { return 0 }
        if exponent > PowersOfFive.largest { return .infinity }
        let leadingZeros = significand.leadingZeroBitCount
        let w = significand << UInt64(leadingZeros)
        let index = 2 * (exponent - PowersOfFive.smallest)
        let (high, low) = PowersOfFive.table.withUnsafeBufferPointer { table in
            var product = w.multipliedFullWidth(by: table[index])
            // 55 bits are needed (52 + the implicit bit + a rounding bit + one lost to normalizing);
            // when the bits below them are all ones, the next 64 bits of 5^q may carry into them.
            let mask: UInt64 = .max >> 55
            if product.high & mask == mask {
                let second = w.multipliedFullWidth(by: table[index + 1])
                let (sum, carried) = product.low.addingReportingOverflow(second.high)
                product.low = sum
                if carried { product.high &+= 1 }
            }
            return (product.high, product.low)
        }
        let upperBit = Int(high >> 63)
        let shift = UInt64(upperBit + 64 - 52 - 3)
        var mantissa = high >> shift
        // floor(log2(5^q)) + q + 63, then the normalizations, biased by binary64's -1023.
        var power2 = (((152_170 + 65_536) * exponent) >> 16) + 63 + upperBit - leadingZeros + 1023
        if power2 <= 0 {
            // Subnormal, or zero.
            if -power2 + 1 >= 64 { return 0 }
            mantissa >>= UInt64(-power2 + 1)
            mantissa += mantissa & 1
            mantissa >>= 1
            power2 = mantissa < (1 << 52) ? 0 : 1
            return Double(bitPattern: UInt64(power2) << 52 | (mantissa & ((1 << 52) - 1)))
        }
        // Exactly halfway between two doubles (possible only where 5^q fits in 64 bits): round to even.
        if low <= 1, exponent >= -4, exponent <= 23, mantissa & 3 == 1, mantissa << shift == high {
            mantissa &= ~1
        }
        mantissa += mantissa & 1
        mantissa >>= 1
        if mantissa >= 2 << 52 {
            mantissa = 1 << 52
            power2 += 1
        }
        if power2 >= 0x7FF { return .infinity }
        return Double(bitPattern: UInt64(power2) << 52 | (mantissa & ((1 << 52) - 1)))
    }

    /// `inf`, `infinity` and `nan`, any case, after the sign.
    static func special(_ bytes: UnsafeRawBufferPointer, from start: Int, negative: Bool) -> Double? {
        let word = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start...]), as: UTF8.self).lowercased()
        switch word {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return .nan
        default: return nil
        }
    }

    /// The C library's reading, for the rare long significands whose truncation is ambiguous.
    static func strtod(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var text = [CChar](repeating: 0, count: bytes.count + 1)
        for k in 0..<bytes.count { text[k] = CChar(bitPattern: bytes[k]) }
        return text.withUnsafeBufferPointer { buffer in
            var end: UnsafeMutablePointer<CChar>?
            let value = Foundation.strtod(buffer.baseAddress!, &end)
            return end == UnsafeMutablePointer(mutating: buffer.baseAddress! + bytes.count) ? value : nil
        }
    }
}
