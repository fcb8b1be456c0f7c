import Foundation
import SlipwayCore
import SlipwayModels
import SlipwayTestSupport
import Testing
@testable import SlipwayServing

/// Request bodies read straight from bytes (``RequestRows``) read exactly as the JSON value reader
/// reads them, and every body the fast reader does not take still gets the general reader's answer.
@Suite("Prediction request bodies")
struct PredictionInputTests {
    static let model = try! LinearModel(featureNames: ["a", "b", "c"], coefficients: [[1, 2, 3]], intercept: [0], link: .identity, source: "test")

    static let bodies = [
        #"[[1, 2, 3], [4.5, -5e-3, 6]]"#,
        #"{"instances": [{"a": 1, "b": 2, "c": 3}, {"c": 3, "a": 1, "b": null}]}"#,
        #"{"inputs": [[1, true, false]]}"#,
        #"{"dataframe_records": [{"a": 1, "b": 2, "c": 3, "extra": {"x": [1, "]"]}}]}"#,
        #" { "dataframe_split" : { "columns" : ["a", "b", "c"], "data" : [[1, 2, 3], [NaN, -Infinity, 0.1]] } } "#,
        #"{"dataframe_split": {"columns": ["c", "b", "a"], "data": [[1, 2, 3]]}}"#,
        #"{"inputs": {"a": [1], "b": [2], "c": [3]}}"#,
        #"{"a": 1, "b": 2, "c": 3}"#,
        #"{"inputs": [[1, 2, 3]], "params": {}}"#,
        #"{"instances": [{"a": 1, "b": 2}]}"#,
        #"{"instances": [{"a": "1", "b": 2, "c": 3}]}"#,
        #"[[1, 2]]"#,
        #"[]"#,
        #"{"instances": [[1, 2, 3]] "#,
        #"{"\u0061": 1, "b": 2, "c": 3}"#,
        #"[{"\u0061": 1, "b": 2, "c": 3}]"#,
        #"{"dataframe_split": {"columns": ["a", "b", "c"], "data": [{"a": 1, "b": 2, "c": 3}]}}"#,
        #"[{"a": 1, "b": 2, "c": 3, "x": }]"#,
        #"[{"a": 1, "b": 2, "c": 3, "x": tru}]"#,
        #"[[1, 2, -.5]]"#,
        #"[[1, 2, 01]]"#,
        "[{\"a\u{1}\": 1, \"a\": 1, \"b\": 2, \"c\": 3}]",
    ]

    enum Read: Equatable {
        case rows([Double])
        case error(String)
    }

    func general(_ body: [UInt8]) -> Read {
        do {
            let value = try body.withUnsafeBytes { bytes throws(SlipwayError) in try JSONParser.parse(bytes) }
            return .rows(try PredictionInput.features(value, model: Self.model, maxRows: 2).values.map { $0.isNaN ? -1e300 : $0 })
        } catch {
            return .error((error as? SlipwayError)?.message ?? "\(error)")
        }
    }

    func combined(_ body: [UInt8]) -> Read {
        do {
            let rows = try body.withUnsafeBytes { bytes throws(SlipwayError) in try PredictionInput.features(body: bytes, model: Self.model, maxRows: 2) }
            return .rows(rows.values.map { $0.isNaN ? -1e300 : $0 })
        } catch {
            return .error((error as? SlipwayError)?.message ?? "\(error)")
        }
    }

    @Test("Each shape reads as the JSON value reader reads it")
    func shapes() {
        var fast = 0
        for body in Self.bodies.map({ Array($0.utf8) }) {
            #expect(combined(body) == general(body), "\(String(decoding: body, as: UTF8.self))")
            if body.withUnsafeBytes({ RequestRows.features($0, model: Self.model, maxRows: 2) }) != nil { fast += 1 }
        }
        #expect(fast == 5)  // the extra key of dataframe_records sends that body to the general reader
    }

    @Test("Mutated bodies read alike through both readers")
    func mutations() {
        var random = SplitMix(seed: 5)
        let inserts = Array(#","[]{}:-.e1 nul\"#.utf8)
        for _ in 0..<4000 {
            var body = Array(Self.bodies[Int(random.next() % 6)].utf8)
            for _ in 0..<Int(random.next() % 3 + 1) {
                let at = Int(random.next() % UInt64(body.count))
                switch random.next() % 3 {
                case 0: body[at] = inserts[Int(random.next() % UInt64(inserts.count))]
                case 1: body.insert(inserts[Int(random.next() % UInt64(inserts.count))], at: at)
                default: body.remove(at: at)
                }
            }
            #expect(combined(body) == general(body), "\(String(decoding: body, as: UTF8.self))")
        }
    }
}
