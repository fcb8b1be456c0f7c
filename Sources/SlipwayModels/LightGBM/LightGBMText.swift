import Foundation

/// LightGBM's text model split into its header and its `Tree=` blocks, read as bytes: each line
/// is `key=value`; values stay slices of the file until a number list is needed.
struct LightGBMText {
    typealias Block = [String: ArraySlice<UInt8>]
    var header: [String: String] = [:]
    var trees: [Block] = []

    init(_ bytes: [UInt8]) {
        var current: Block?
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var (lo, hi) = (start, end)
            start = end + 1
            while lo < hi && Self.isSpace(bytes[lo]) { lo += 1 }
            while hi > lo && Self.isSpace(bytes[hi - 1]) { hi -= 1 }
            if lo == hi { continue }
            let line = bytes[lo..<hi]
            if line.starts(with: Self.treePrefix) {
                if let block = current { trees.append(block) }
                current = [:]
                continue
            }
            if line.elementsEqual(Self.endOfTrees) { break }
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else {
                if current == nil { header[String(decoding: line, as: UTF8.self)] = "" }
                continue
            }
            let key = String(decoding: bytes[lo..<eq], as: UTF8.self)
            let value = bytes[(eq + 1)..<hi]
            if current != nil {
                current![key] = value
            } else {
                header[key] = String(decoding: value, as: UTF8.self)
            }
        }
        if let block = current { trees.append(block) }
    }

    static let treePrefix = Array("Tree=".utf8)
    static let endOfTrees = Array("end of trees".utf8)

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    /// A space-separated list of numbers, each read exactly as `strtod` reads it; nil names the
    /// first thing that is not a number.
    static func numbers(_ value: ArraySlice<UInt8>) -> Result<[Double], NotANumber> {
        var out: [Double] = []
        out.reserveCapacity(value.count / 8)
        var buffer = [CChar](repeating: 0, count: 64)
        var i = value.startIndex
        while i < value.endIndex {
            while i < value.endIndex && value[i] == UInt8(ascii: " ") { i += 1 }
            var j = i
            while j < value.endIndex && value[j] != UInt8(ascii: " ") { j += 1 }
            if j == i { break }
            let token = value[i..<j]
            guard token.count < buffer.count else { return .failure(NotANumber(text: String(decoding: token, as: UTF8.self))) }
            var k = 0
            for byte in token { buffer[k] = CChar(bitPattern: byte); k += 1 }
            buffer[k] = 0
            let parsed: Double? = buffer.withUnsafeBufferPointer { chars in
                var end: UnsafeMutablePointer<CChar>?
                let number = strtod(chars.baseAddress!, &end)
                return end.map { $0 - UnsafeMutablePointer(mutating: chars.baseAddress!) } == k ? number : nil
            }
            guard let parsed else { return .failure(NotANumber(text: String(decoding: token, as: UTF8.self))) }
            out.append(parsed)
            i = j
        }
        return .success(out)
    }

    struct NotANumber: Error {
        var text: String
    }
}
