import Testing
@testable import SlipwayCore

@Suite("JSON parsing and writing")
struct JSONTests {
    @Test("Parses objects in order, numbers, escapes and unicode")
    func parses() throws {
        let value = try JSONParser.parse(#"{"b": 1, "a": [true, false, null, -2.5e3], "s": "x\"\u00e9\ud83d\ude00\n"}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["b", "a", "s"])
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .number(-2500)]))
        #expect(value["s"] == .string("x\"é😀\n"))
    }

    @Test("Writes compact JSON with integers as integers")
    func writes() {
        let value = JSONValue.object([("n", .int(Int64(1_795_359_765_471))), ("d", .number(0.5)), ("s", .string("a\"b\u{1}")), ("e", .array([]))])
        #expect(JSONWriter.string(value) == #"{"n":1795359765471,"d":0.5,"s":"a\"b\u0001","e":[]}"#)
    }

    @Test("Round trips what it writes")
    func roundTrip() throws {
        let value = JSONValue.object([("k", .array([.string("ü"), .number(1e-7), .bool(true), .object([])]))])
        #expect(try JSONParser.parse(JSONWriter.string(value)) == value)
    }

    @Test("Malformed input is an error, never a crash", arguments: [
        "", "{", "{not json", "[1,]", "{\"a\":}", "\"unterminated", "nul", "{\"a\" 1}", "[1 2]", "\"\\ud800\"", "01x", "{}{}",
        String(repeating: "[", count: 10_000),
    ])
    func malformed(_ text: String) {
        #expect(throws: SlipwayError.self) { try JSONParser.parse(text) }
    }

    @Test("Invalid UTF-8 in a string is rejected: stray bytes, overlong forms, surrogates, truncation",
          arguments: [[0x22, 0xFF, 0xFE, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
                      [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]] as [[UInt8]])
    func invalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: SlipwayError.self) { try JSONParser.parse(bytes) }
    }

    @Test("Numbers: integers exact, large and fractional ones through the general path")
    func numbers() throws {
        #expect(try JSONParser.parse("1795359765471") == .number(1_795_359_765_471))
        #expect(try JSONParser.parse("-42") == .number(-42))
        #expect(try JSONParser.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("[0.333, -1.5e-3, 2E2]") == .array([.number(0.333), .number(-1.5e-3), .number(200)]))
        #expect(throws: SlipwayError.self) { try JSONParser.parse("-") }
        #expect(throws: SlipwayError.self) { try JSONParser.parse("1e") }
    }
}

@Suite("Artifact paths and names")
struct ValidationTests {
    @Test("Paths that could escape the store are rejected", arguments: ["..", "a/../b", "/etc/passwd", "a//b", "./a", "a\\b", "a\0b"])
    func badPaths(_ raw: String) {
        #expect(throws: SlipwayError.self) { try ArtifactPath(raw) }
    }

    @Test("Ordinary paths are kept")
    func goodPaths() throws {
        #expect(try ArtifactPath("1/abc/artifacts/model/MLmodel").segments == ["1", "abc", "artifacts", "model", "MLmodel"])
        #expect(try ArtifactPath("").isRoot)
        #expect(try ArtifactPath("dir/").segments == ["dir"])
    }

    @Test("Metric names follow MLflow's rules")
    func names() throws {
        try TrackingValidation.validateName("train/loss 1:a-b.c_d", kind: "metric")
        #expect(throws: SlipwayError.self) { try TrackingValidation.validateName("a/../b", kind: "metric") }
        #expect(throws: SlipwayError.self) { try TrackingValidation.validateName("a*b", kind: "metric") }
        #expect(throws: SlipwayError.self) { try TrackingValidation.validateName(String(repeating: "a", count: 251), kind: "param") }
    }

    @Test("Batch limits")
    func batchLimits() {
        let metrics = (0..<1001).map { Metric(key: "m", value: Double($0), timestamp: 0, step: Int64($0)) }
        #expect(throws: SlipwayError.self) { try TrackingValidation.validateBatch(metrics: metrics, params: [], tags: []) }
        let params = (0..<101).map { KeyValue(key: "p\($0)", value: "v") }
        #expect(throws: SlipwayError.self) { try TrackingValidation.validateBatch(metrics: [], params: params, tags: []) }
        #expect(throws: SlipwayError.self) {
            try TrackingValidation.validateBatch(metrics: [], params: [KeyValue(key: "p", value: String(repeating: "x", count: 6001))], tags: [])
        }
    }

    @Test("Error codes map to MLflow's statuses")
    func statuses() {
        #expect(ErrorCode.resourceAlreadyExists.httpStatus == 400)
        #expect(ErrorCode.resourceDoesNotExist.httpStatus == 404)
        #expect(ErrorCode.invalidParameterValue.httpStatus == 400)
        #expect(ErrorCode.internalError.httpStatus == 500)
        #expect(ErrorCode.resourceDoesNotExist.errorClass == "RESOURCE_NOT_FOUND")
    }
}
