import Glibc
import SlipwayCore

/// Where a table's bytes come from: a file read block by block, or bytes already in memory.
protocol ByteSource {
    /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end).
    mutating func read(into buffer: inout [UInt8], upTo count: Int) throws(SlipwayError) -> Int
}

/// A file, read with `read(2)`: the reader holds one block of it at a time.
struct FileBytes: ByteSource {
    let descriptor: Int32
    let path: String

    mutating func read(into buffer: inout [UInt8], upTo count: Int) throws(SlipwayError) -> Int {
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + old, count) }
            if got >= 0 {
                buffer.removeLast(count - got)
                return got
            }
            guard errno == EINTR else {
                let why = String(cString: strerror(errno))
                buffer.removeLast(count)
                throw .invalidParameter("Cannot read input file '\(path)': \(why)")
            }
        }
    }
}

/// Bytes in memory.
struct MemoryBytes: ByteSource {
    let bytes: [UInt8]
    var offset = 0

    mutating func read(into buffer: inout [UInt8], upTo count: Int) throws(SlipwayError) -> Int {
        let n = min(count, bytes.count - offset)
        buffer.append(contentsOf: bytes[offset..<(offset + n)])
        offset += n
        return n
    }
}

/// Where a block of records may be cut: after a line feed that ends a record. In CSV a line feed
/// inside a quoted field does not end one, so a block holding a quote is scanned field by field.
enum RecordBoundaries {
    static let lf = Int32(UInt8(ascii: "\n"))

    /// The ends of up to `parts` runs of whole records of about equal size, increasing; the last is
    /// the end of the last whole record (all of `bytes` when `atEnd`). Empty when no record ends in `bytes`.
    static func cuts(_ bytes: UnsafeRawBufferPointer, parts: Int, quoted: Bool, atEnd: Bool) -> [Int] {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return [] }
        var cuts: [Int] = []
        if !quoted || memchr(base, Int32(UInt8(ascii: "\"")), n) == nil {
            let last: Int
            if atEnd {
                last = n
            } else {
                var end = n
                while end > 0, bytes[end - 1] != UInt8(ascii: "\n") { end -= 1 }
                guard end > 0 else { return [] }
                last = end
            }
            for k in 1..<max(parts, 1) {
                let target = max(last * k / parts, cuts.last ?? 0)
                guard target < last, let p = memchr(base + target, lf, last - target) else { break }
                let cut = UnsafeRawPointer(p) - base + 1
                if cut < last, cut > cuts.last ?? 0 { cuts.append(cut) }
            }
            cuts.append(last)
            return cuts
        }
        // 0: at a field's start, 1: in an unquoted field, 2: in a quoted field, 3: just after a quote in one.
        var state = 0
        var last = 0
        var nextPart = 1
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n")
        for i in 0..<n {
            let c = bytes[i]
            if state == 2 {
                if c == quote { state = 3 }
                continue
            }
            if c == newline {
                state = 0
                last = i + 1
                if nextPart < parts, last >= n * nextPart / parts {
                    cuts.append(last)
                    while nextPart < parts, last >= n * nextPart / parts { nextPart += 1 }
                }
            } else if c == comma || c == UInt8(ascii: "\r") {
                state = 0  // a lone CR ends a record for the parser too: a quote after it opens a field
            } else if c == quote, state != 1 {
                state = 2
            } else {
                state = 1
            }
        }
        let end = atEnd ? n : last
        guard end > 0 else { return [] }
        while let cut = cuts.last, cut >= end { cuts.removeLast() }
        cuts.append(end)
        return cuts
    }
}
