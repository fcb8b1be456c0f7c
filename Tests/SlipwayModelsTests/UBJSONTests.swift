import SlipwayCore
import Testing
@testable import SlipwayModels

@Suite("UBJSON")
struct UBJSONTests {
    @Test("Objects, typed arrays, integers, floats, strings")
    func parses() throws {
        // {"a": [$d#i2 1.5 -2.0], "b": i-3, "c": S "hi", "d": T}
        var bytes: [UInt8] = [0x7B, 0x69, 1, 0x61, 0x5B, 0x24, 0x64, 0x23, 0x69, 2]
        bytes += [0x3F, 0xC0, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00]
        bytes += [0x69, 1, 0x62, 0x69, 0xFD, 0x69, 1, 0x63, 0x53, 0x69, 2, 0x68, 0x69, 0x69, 1, 0x64, 0x54, 0x7D]
        let value = try UBJSONReader.parse(bytes, source: "t.ubj")
        #expect(value["a"] == .array([.number(1.5), .number(-2)]))
        #expect(value["b"] == .number(-3))
        #expect(value["c"] == .string("hi"))
        #expect(value["d"] == .bool(true))
    }

    @Test("Truncated or impossible input is an error", arguments: [[0x7B], [0x5B, 0x23, 0x4C, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x53, 0x69, 9, 0x41], [0x51]] as [[UInt8]])
    func malformed(_ bytes: [UInt8]) {
        #expect(throws: SlipwayError.self) { try UBJSONReader.parse(bytes, source: "bad.ubj") }
    }
}
