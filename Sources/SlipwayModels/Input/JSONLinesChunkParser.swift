import Glibc

/// A JSON lines chunk's lines read into feature rows: one object or array per line, blank lines
/// skipped, a key left out of an object a missing value.
struct JSONLinesChunkParser: Sendable {
    let rows: JSONFeatureRows

    init(featureNames: [String], featureCount: Int, textCategories: [Int: [String]] = [:]) {
        rows = JSONFeatureRows(featureNames: featureNames, featureCount: featureCount, absent: .missing, textCategories: textCategories)
    }

    /// Parses every line of `bytes`, which holds whole lines.
    /// - Throws: ``CellError`` naming the line's problem.
    func parse(_ bytes: UnsafeRawBufferPointer, into parsed: inout ParsedRows) throws(CellError) {
        var rows = self.rows
        let width = rows.featureCount
        var i = 0
        while i < bytes.count {
            let end = bytes.baseAddress.flatMap { base in
                memchr(base + i, Int32(UInt8(ascii: "\n")), bytes.count - i).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
            } ?? bytes.count
            let line = UnsafeRawBufferPointer(rebasing: bytes[i..<end])
            i = end + 1
            var k = 0
            JSONBytes.skipSpace(line, &k)
            if k == line.count {
                parsed.records += 1
                continue
            }
            let base = parsed.features.count
            parsed.features.append(contentsOf: repeatElement(Double.nan, count: width))
            do throws(JSONFeatureRows.RowError) {
                try parsed.features.withUnsafeMutableBufferPointer { values throws(JSONFeatureRows.RowError) in
                    try rows.read(line, at: &k, into: UnsafeMutableBufferPointer(rebasing: values[base..<(base + width)]))
                }
                JSONBytes.skipSpace(line, &k)
                guard k == line.count else { throw JSONFeatureRows.RowError.invalid("there is text after the row") }
            } catch {
                switch error {
                case .invalid(let why): throw CellError(record: parsed.records, message: "is not valid JSON (\(why))")
                case .row(let why): throw CellError(record: parsed.records, message: why)
                case .cell(let why): throw CellError(record: parsed.records, message: why, aboutCell: true)
                }
            }
            parsed.records += 1
            parsed.rows += 1
        }
    }
}
