import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing
@testable import SlipwayModels

/// The table reader reads the same table the same way whatever its block size and thread count:
/// a block cut in any place (inside a quoted field, between CR and LF, inside a number) and parts
/// parsed on any number of threads give the same values, or the same error naming the same row.
/// Mutated files never crash it (debug builds trap on out-of-bounds access and overflow).
@Suite("Table reader")
struct TableReaderTests {
    static let csv = Array((
        "\u{FEFF}a,name,b,c\r\n"
            + "1.5,\"Smith, John\",2,-3e2\r\n"
            + "\n"
            + "NA,\"two\nlines, \"\"quoted\"\"\",4.25,\r\n"
            + "+0.125,plain,inf,-0\n"
            + "7,\"\",8,9\n"
            + "1e-310,x,0.30000000000000004,123456789012345678901234567890\n"
    ).utf8)

    static let jsonLines = Array((
        #"{"a": 1.5, "b": 2, "c": -300}"# + "\n"
            + #"  {"c": null, "skip": {"deep": [1, {"a": 9}]}, "a": 2, "b": true}"# + "\n"
            + "\n"
            + "[4, 5, 6]\r\n"
            + #"{"\u0061": 7}"#
    ).utf8)

    struct Failure: Error, Equatable {
        var message: String
    }

    static let request = FeatureRequest(featureNames: ["a", "b", "c"], featureCount: 3)

    /// The values read (NaN written as a marker so results compare), or the error's message.
    func read(_ bytes: [UInt8], format: TableFormat, blockSize: Int, threads: Int, target: String? = nil) -> Result<[[Double]], Failure> {
        var request = Self.request
        request.target = target
        do {
            let reader = TableReader(format: format, source: "t", threads: threads, blockSize: blockSize)
            let (chunk, summary) = try reader.readAll(bytes: bytes, request: request)
            #expect(chunk.features.rows == summary.rows)
            let values = chunk.features.values.map { $0.isNaN ? -999_999 : $0 }
            return .success((0..<summary.rows).map { Array(values[($0 * 3)..<($0 * 3 + 3)]) } + [chunk.target])
        } catch {
            return .failure(Failure(message: error.message))
        }
    }

    @Test("CSV values, whatever the block size and thread count")
    func csvValues() throws {
        let expected: [[Double]] = [
            [1.5, 2, -300], [-999_999, 4.25, -999_999], [0.125, .infinity, 0], [7, 8, 9],
            [1e-310, 0.30000000000000004, 123456789012345678901234567890], [],
        ]
        for blockSize in [1, 2, 3, 5, 8, 13, 64, 1 << 22] {
            for threads in [1, 2, 3, 7] {
                #expect(read(Self.csv, format: .csv, blockSize: blockSize, threads: threads) == .success(expected), "block \(blockSize), threads \(threads)")
            }
        }
        let negativeZero = try TableReader(format: .csv, source: "t").readAll(bytes: Self.csv, request: Self.request).0.features.values[8]
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test("JSON lines values, whatever the block size and thread count")
    func jsonLinesValues() {
        let expected: [[Double]] = [[1.5, 2, -300], [2, 1, -999_999], [4, 5, 6], [7, -999_999, -999_999], []]
        for blockSize in [1, 2, 7, 64, 1 << 22] {
            for threads in [1, 2, 5] {
                #expect(read(Self.jsonLines, format: .jsonLines, blockSize: blockSize, threads: threads) == .success(expected))
            }
        }
    }

    @Test("A target column, and errors naming their row")
    func targetAndErrors() {
        let table = Array("a,b,c,y\n1,2,3,0.5\n4,5,6,1\n".utf8)
        #expect(read(table, format: .csv, blockSize: 4, threads: 2, target: "y") == .success([[1, 2, 3], [4, 5, 6], [0.5, 1]]))
        let rows = (0..<500).map { "\($0),1,2\n" }.joined()
        let cases: [(String, String)] = [
            ("a,b,c\n" + rows + "1,oops,2\n" + rows, "CSV file 't' row 502, column 'b': 'oops' is not a number"),
            ("a,b,c\n" + rows + "1,2\n", "CSV file 't' row 502 has 2 cells; the header has 3"),
            ("a,b,c\n1,\"2\n,3\n", "CSV file 't' row 2 has a quoted field that never ends"),
            ("a,c\n1,2\n", "The input has no column 'b', which the model needs"),
            ("", "CSV file 't' is empty"),
        ]
        for (text, message) in cases {
            for blockSize in [3, 100, 1 << 22] {
                #expect(read(Array(text.utf8), format: .csv, blockSize: blockSize, threads: 2) == .failure(Failure(message: message)), "block \(blockSize)")
            }
        }
        let lines = Array(((0..<300).map { _ in "[1, 2, 3]\n" }.joined() + "{\"a\": \"x\"}\n").utf8)
        #expect(read(lines, format: .jsonLines, blockSize: 50, threads: 3) == .failure(Failure(message: "JSON lines file 't' line 301, feature 'a': expected a number, got a string")))
        let target = Array("a,b,c,y\n1,2,3,\n".utf8)
        #expect(read(target, format: .csv, blockSize: 1 << 22, threads: 1, target: "y") == .failure(Failure(message: "CSV file 't' row 2, the target 'y' is '', not a number")))
    }

    @Test("An id column is read as text, in order, and is not a feature")
    func idColumn() throws {
        let table = Array("key,a,b,c\n7,1,2,3\n\"x, \"\"y\"\"\",4,5,6\n\n0.50,7,8,9\n".utf8)
        let request = FeatureRequest(featureNames: [], featureCount: 3, id: "key")  // positional: every column but the id
        for blockSize in [1, 3, 1 << 22] {
            for threads in [1, 3] {
                var ids: [String] = [], values: [Double] = []
                _ = try TableReader(format: .csv, source: "t", threads: threads, blockSize: blockSize)
                    .read(bytes: table, request: request, transform: { $0 }) { chunk throws(SlipwayError) in
                        #expect(chunk.ids.count == chunk.features.rows)
                        ids += chunk.ids
                        values += chunk.features.values
                    }
                #expect(ids == ["7", "x, \"y\"", "0.50"] && values == [1, 2, 3, 4, 5, 6, 7, 8, 9], "block \(blockSize), threads \(threads)")
            }
        }
        let named = FeatureRequest(featureNames: ["a", "b", "c"], featureCount: 3, id: "key")
        let failures: [(String, FeatureRequest, String)] = [
            ("key,a,b,c\n1,2,3,4\n,5,6,7\n", named, "CSV file 't' row 3, id column 'key' is empty"),
            ("a,b,c\n1,2,3\n", named, "The input has no id column 'key'; its columns are a, b, c"),
            ("{\"a\": 1}\n", named, "An id column needs a CSV table; JSON lines rows get keys from the file's digest and line"),
        ]
        for (text, request, message) in failures {
            let format: TableFormat = text.hasPrefix("{") ? .jsonLines : .csv
            #expect(throws: SlipwayError.invalidParameter(message)) {
                _ = try TableReader(format: format, source: "t").read(bytes: Array(text.utf8), request: request, transform: { $0 }) { _ in }
            }
        }
    }

    @Test("A lone CR ends a record wherever the block is cut; blank lines before the header count as rows")
    func loneCarriageReturns() {
        let table = Array("a,b,c\n1,2,3\r\"x\ny\",3,4\n4,5,6\r\r7,8,9\n".utf8)
        for blockSize in [1, 4, 9, 1 << 22] {
            for threads in [1, 2, 4] {
                #expect(read(table, format: .csv, blockSize: blockSize, threads: threads) == .failure(Failure(message: "CSV file 't' row 3, column 'a': 'x\ny' is not a number")))
            }
        }
        let clean = Array("a,b,c\r1,2,3\r\r4,5,6\r".utf8)
        for blockSize in [1, 3, 1 << 22] {
            #expect(read(clean, format: .csv, blockSize: blockSize, threads: 2) == .success([[1, 2, 3], [4, 5, 6], []]))
        }
        let late = Array("\n\na,b,c\n1,x,3\n".utf8)
        for blockSize in [1, 4, 1 << 22] {
            #expect(read(late, format: .csv, blockSize: blockSize, threads: 2) == .failure(Failure(message: "CSV file 't' row 4, column 'b': 'x' is not a number")))
        }
    }

    @Test("Mutated CSV and JSON lines files read alike in small and large blocks, and never crash")
    func mutationFuzz() {
        var generator = SplitMix(seed: 11)
        let inserts: [UInt8] = Array(",\"\n\r\\{}[]:e-+.0 \u{0}".utf8) + [0xFF, 0xEF]
        for (base, format) in [(Self.csv, TableFormat.csv), (Self.jsonLines, .jsonLines)] {
            for _ in 0..<3000 {
                var bytes = base
                for _ in 0..<Int(generator.next() % 4 + 1) {
                    let at = Int(generator.next() % UInt64(bytes.count + 1))
                    switch generator.next() % 5 {
                    case 0 where at < bytes.count: bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                    case 1: bytes.insert(inserts[Int(generator.next() % UInt64(inserts.count))], at: at)
                    case 2 where at < bytes.count: bytes.remove(at: at)
                    case 3: bytes.insert(contentsOf: bytes[at...].prefix(Int(generator.next() % 40)), at: at)
                    default: bytes = Array(bytes.prefix(at))
                    }
                }
                let whole = read(bytes, format: format, blockSize: 1 << 22, threads: 1)
                let small = read(bytes, format: format, blockSize: Int(generator.next() % 16 + 1), threads: Int(generator.next() % 3 + 1))
                #expect(whole == small, "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
            }
        }
    }

    @Test("Row boundaries: no cut inside a quoted field, parts of about equal size")
    func boundaries() {
        let text = Array("a,b\n\"x\ny\",1\n2,3\n4,5\n".utf8)
        let cuts = text.withUnsafeBytes { RecordBoundaries.cuts($0, parts: 4, quoted: true, atEnd: false) }
        #expect(cuts.allSatisfy { text[$0 - 1] == UInt8(ascii: "\n") && $0 != 8 })
        #expect(cuts.last == text.count)
        let unfinished = Array("a,b\n\"x\ny".utf8)
        #expect(unfinished.withUnsafeBytes { RecordBoundaries.cuts($0, parts: 2, quoted: true, atEnd: false) } == [4])
    }
}

