import Foundation
public import SlipwayCore

/// A CSV file read into columns of numbers (missing values as NaN), for statistics that look at
/// one column at a time, such as drift. The file is parsed on every core as `TableReader` does.
/// A column with at most 64 distinct values is kept as counts: a million-row category column
/// takes a few bytes, not 8 MB (its rows' order is not kept).
public struct ColumnTable: Sendable {
    public var names: [String]
    public var columns: [ColumnValues]
    public var rows: Int

    /// Reads `only` these columns (default: every column of the header), in that order.
    /// - Throws: INVALID_PARAMETER_VALUE for an unreadable file, a missing column or a cell that is not a number.
    public static func read(path: String, only: [String]? = nil) throws(SlipwayError) -> ColumnTable {
        let names: [String]
        if let only { names = only } else { names = try header(path: path) }
        var columns = [Column](repeating: Column(), count: names.count)
        // Room for every row once a column needs its values: growing by doubling would hold up to twice the table.
        let expected = estimatedRows(path: path)
        let request = FeatureRequest(featureNames: names, featureCount: names.count)
        let split = { (chunk: TableChunk) throws(SlipwayError) -> [[Double]] in
            let width = names.count, rows = chunk.features.rows, values = chunk.features.values
            return (0..<width).map { c in (0..<rows).map { values[$0 * width + c] } }
        }
        let summary = try TableReader(format: .csv, source: path).read(path: path, request: request, transform: split) { parts throws(SlipwayError) in
            for c in parts.indices { columns[c].add(parts[c], expected: expected) }
        }
        return ColumnTable(names: names, columns: columns.map(\.result), rows: summary.rows)
    }

    /// One column while it is read: counts while it has few distinct values, its values after.
    struct Column {
        var keys: [Double] = []
        var counts: [Int] = []
        var missing = 0
        var values: [Double]?

        mutating func add(_ part: [Double], expected: Int) {
            if values != nil {
                values!.append(contentsOf: part)
                return
            }
            for (index, value) in part.enumerated() {
                if value.isNaN {
                    missing += 1
                } else if let slot = keys.firstIndex(of: value) {
                    counts[slot] += 1
                } else if keys.count < 64 {
                    keys.append(value)
                    counts.append(1)
                } else {
                    var all: [Double] = []
                    all.reserveCapacity(max(expected, counts.reduce(missing, +) + part.count))
                    for (key, count) in zip(keys, counts) { all.append(contentsOf: repeatElement(key, count: count)) }
                    all.append(contentsOf: repeatElement(.nan, count: missing))
                    all.append(contentsOf: part[index...])
                    values = all
                    keys = []
                    counts = []
                    return
                }
            }
        }

        var result: ColumnValues {
            values.map(ColumnValues.values) ?? .counts(keys: keys, counts: counts, missing: missing)
        }
    }

    /// The file's size over the length of its first lines, with a margin.
    static func estimatedRows(path: String) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        guard let sample = try? handle.read(upToCount: 1 << 20), !sample.isEmpty,
              let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int else { return 0 }
        let lines = sample.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        guard lines > 1 else { return 0 }
        return Int(Double(size) / (Double(sample.count) / Double(lines)) * 1.02) + 1024
    }

    /// The column names of a CSV file's first line.
    public static func header(path: String) throws(SlipwayError) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .invalidParameter("Cannot read input file '\(path)'") }
        defer { try? handle.close() }
        var line: [UInt8] = []
        while let block = try? handle.read(upToCount: 65_536), !block.isEmpty {
            if let end = block.firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: block[..<end])
                break
            }
            line.append(contentsOf: block)
        }
        var text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        guard !names.isEmpty, !(names.count == 1 && names[0].isEmpty) else { throw .invalidParameter("CSV file '\(path)' has no header row") }
        return names
    }
}
