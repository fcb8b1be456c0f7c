import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite("Decimal numbers from bytes")
struct DecimalNumberTests {
    func parse(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBytes { DecimalNumber.parse($0) }
    }

    /// What the C library reads, when it reads the whole text.
    func reference(_ text: String) -> Double? {
        text.withCString { start in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &end)
            return end == UnsafeMutablePointer(mutating: start + text.utf8.count) ? value : nil
        }
    }

    func expectSame(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let got = parse(text), want = reference(text)
        #expect(got?.bitPattern == want?.bitPattern || (got?.isNaN == true && want?.isNaN == true), "\(text): \(String(describing: got)) vs strtod \(String(describing: want))", sourceLocation: sourceLocation)
    }

    @Test("Edges equal strtod: subnormals, the largest and smallest doubles, halfway cases, signs, long significands")
    func edges() {
        for text in [
            "0", "-0", "+0", "0.0", "1", "-1", "+1.5", ".5", "5.", "1e10", "1E-10", "1e+10", "123456789012345678901234567890",
            "4.9e-324", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "-1e-400",
            "2.2250738585072011e-308", "2.2250738585072014e-308", "2.225073858507201136057409796709131975934819546351645648e-308",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309", "-1e400",
            "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995", "18014398509481985",
            "0.1", "0.2", "0.3", "3.14159265358979323846264338327950288", "1.00000000000000011102230246251565404236316680908203125",
            "1.0000000000000001110223024625156540423631668090820312500001", "7.3177701707893310e+15", "9.9999999999999999e22",
            "1e23", "8.98846567431158e307", "0.000000000000000000000000000000000000000000001", "00000123.4500000",
            "123456789012345678", "1234567890123456789", "12345678901234567890", "99999999999999999999", "1e-22", "1e22", "1e-23",
        ] { expectSame(text) }
        #expect(parse("-0")?.sign == .minus && parse("-0")! == 0)
        #expect(parse("inf") == .infinity && parse("-Infinity") == -.infinity && parse("+INF") == .infinity && parse("NaN")!.isNaN)
    }

    @Test("Exponents beyond any cap are offset by as many digits")
    func hugeExponents() {
        #expect(parse("0." + String(repeating: "0", count: 1_000_000) + "1e1000000") == 0.1)
        #expect(parse("1" + String(repeating: "0", count: 1_000_000) + "e-1000000") == 1)
        #expect(parse("1e99999999999999999999") == .infinity)
        #expect(parse("1e-99999999999999999999") == 0)
    }

    @Test("What is not a decimal number is refused")
    func refused() {
        for text in ["", "+", "-", ".", "e5", "1e", "1e+", "0x1p3", "0x10", "1_000", " 1", "1 ", "1.2.3", "1e5.5", "--1", "+-1", "nan1", "infinit", "١"] {
            #expect(parse(text) == nil, "\(text)")
        }
    }

    @Test("A million random decimals in every shape equal strtod")
    func random() {
        var generator = SplitMix(seed: 42)
        for _ in 0..<1_000_000 {
            let text: String
            switch generator.next() % 5 {
            case 0:  // shortest round-trip text of a random double
                text = "\(Double(bitPattern: generator.next() & ~(0x7FF << 52) | ((generator.next() % 0x7FF) << 52)))"
            case 1:  // 17 significant digits, as %.17g writes
                text = String(format: "%.17g", Double(bitPattern: generator.next() % 0x7FF0_0000_0000_0000))
            case 2:  // a random normal value, as a model's inputs look
                text = "\((Double(generator.next() % 2_000_000_000) - 1e9) / 1e8)"
            default:  // random digits (1 to 25) with a random exponent
                let count = Int(generator.next() % 25) + 1
                var digits = ""
                for _ in 0..<count { digits.append(Character(String(generator.next() % 10))) }
                let point = Int(generator.next() % UInt64(count + 1))
                digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point))
                text = digits + "e" + String(Int(generator.next() % 700) - 350)
            }
            let got = parse(text), want = reference(text)
            if got?.bitPattern != want?.bitPattern && !(got?.isNaN == true && want?.isNaN == true) {
                Issue.record("\(text): \(String(describing: got)) vs strtod \(String(describing: want))")
                return
            }
        }
    }
}

