import SlipwayCore
@testable import SlipwayModels
import Testing

@Suite("skops containers: .npy arrays and stored zip entries")
struct SkopsReaderTests {
    /// A version 1.0 `.npy` file: magic, header padded to 64 bytes, data.
    static func npy(_ header: String, _ data: [UInt8]) -> ArraySlice<UInt8> {
        var text = header
        while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
        text += "\n"
        let length = text.utf8.count
        return ArraySlice([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8) + data)
    }

    static func doubles(_ values: [Double]) -> [UInt8] {
        values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt64($0))) } }
    }

    @Test("Fortran-ordered arrays come out row-major; scalars, ints and strings read")
    func arrays() throws {
        // [[1, 2, 3], [4, 5, 6]] stored column by column.
        let fortran = try NumpyArray(Self.npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", Self.doubles([1, 4, 2, 5, 3, 6])), name: "a")
        #expect(fortran.shape == [2, 3] && fortran.values == [1, 2, 3, 4, 5, 6])
        let c = try NumpyArray(Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", Self.doubles([1, 2, 3, 4, 5, 6])), name: "c")
        #expect(c.values == [1, 2, 3, 4, 5, 6])
        let scalar = try NumpyArray(Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", Self.doubles([2.5])), name: "s")
        #expect(scalar.shape == [] && scalar.values == [2.5])
        let ints = try NumpyArray(Self.npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", [0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0]), name: "i")
        #expect(ints.values == [-1, 7])
        let text = try NumpyArray(Self.npy("{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }", [0x61, 0, 0, 0, 0, 0, 0, 0, 0xE9, 0, 0, 0, 0x62, 0, 0, 0]), name: "u")
        #expect(text.strings == ["a", "éb"])
    }

    @Test("Records read field by field, padding skipped")
    func records() throws {
        // Two records of (left <i8, threshold <f8, flag |u1, 7 bytes of padding).
        var data: [UInt8] = []
        for (left, threshold, flag) in [(Int64(1), 0.5, UInt8(1)), (Int64(-1), -2.0, UInt8(0))] {
            data += (0..<8).map { UInt8(truncatingIfNeeded: left >> (8 * Int64($0))) } + Self.doubles([threshold]) + [flag] + [UInt8](repeating: 0, count: 7)
        }
        let array = try NumpyArray(Self.npy("{'descr': [('left', '<i8'), ('threshold', '<f8'), ('flag', '|u1'), ('', '|V7')], 'fortran_order': False, 'shape': (2,), }", data), name: "r")
        #expect(array.recordSize == 24 && array.field("left") == [1, -1] && array.field("threshold") == [0.5, -2] && array.field("flag") == [1, 0])
        #expect(array.field("nope") == nil)
    }

    @Test("A float32 row goes left of a tree split exactly when scikit-learn's x <= threshold does")
    func thresholds() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let threshold = Double.random(in: -1000...1000, using: &rng)
            let t = SklearnTreeEnsemble.leftBelow(threshold)
            let base = Float(threshold)
            for x in [base, base.nextUp, base.nextDown, base.nextUp.nextUp, Float.random(in: -1000...1000, using: &rng)] {
                #expect((x < t) == (Double(x) <= threshold), "x \(x) threshold \(threshold)")
            }
        }
        #expect(SklearnTreeEnsemble.leftBelow(.infinity) == .infinity)
    }

    @Test("Short data, odd dtypes and big-endian files are errors")
    func badArrays() {
        #expect(throws: SlipwayError.self) { try NumpyArray(Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", Self.doubles([1, 2])), name: "x") }
        #expect(throws: SlipwayError.self) { try NumpyArray(Self.npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", Self.doubles([1])), name: "x") }
        #expect(throws: SlipwayError.self) { try NumpyArray(Self.npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", Self.doubles([1, 2])), name: "x") }
        #expect(throws: SlipwayError.self) { try NumpyArray(Self.npy("{'descr': [('a', '<c16')], 'fortran_order': False, 'shape': (1,), }", Self.doubles([1, 2])), name: "x") }
        #expect(throws: SlipwayError.self) { try NumpyArray(Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999,), }", []), name: "x") }
        #expect(throws: SlipwayError.self) { try NumpyArray(ArraySlice(Array("NOTNUMPY!!".utf8)), name: "x") }
    }

    @Test("Any prefix of a zip is an error, never a crash")
    func truncatedZips() {
        // One stored entry "a" holding "hi", as Python's zipfile writes it.
        let zip: [UInt8] = [
            0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0xAC, 0x2A, 0x93, 0xD8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0x61, 0x68, 0x69,
            0x50, 0x4B, 0x01, 0x02, 0x14, 0x03, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0xAC, 0x2A, 0x93, 0xD8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0x80, 0x01, 0, 0, 0, 0, 0x61,
            0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0, 0x2F, 0, 0, 0, 0x21, 0, 0, 0, 0, 0,
        ]
        let archive = try? ZipArchive(bytes: zip, source: "z")
        #expect(archive?.entry("a").map { Array($0) } == Array("hi".utf8))
        for length in 0..<zip.count {
            #expect(throws: SlipwayError.self) { try ZipArchive(bytes: Array(zip.prefix(length)), source: "z") }
        }
    }
}
