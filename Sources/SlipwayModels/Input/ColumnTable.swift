import Foundation
public import SlipwayCore

/// A CSV file read into columns of numbers (missing values as NaN), for statistics that look at
/// one column at a time, such as drift. The file is parsed on every core as `TableReader` does.
public struct ColumnTable: Sendable {
    public var names: [String]
    public var columns: [[Double]]
    public var rows: Int

    /// Reads `only` these columns (default: every column of the header), in that order.
    /// - Throws: INVALID_PARAMETER_VALUE for an unreadable file, a missing column or a cell that is not a number.
    public static func read(path: String, only: [String]? = nil) throws(SlipwayError) -> ColumnTable {
        let names: [String]
        if let only { names = only } else { names = try header(path: path) }
        var columns = [[Double]](repeating: [], count: names.count)
        // Room for every row from the start: growing by doubling would hold up to twice the table.
        let expected = estimatedRows(path: path)
        for c in columns.indices { columns[c].reserveCapacity(expected) }
        let request = FeatureRequest(featureNames: names, featureCount: names.count)
        let split = { (chunk: TableChunk) throws(SlipwayError) -> [[Double]] in
            let width = names.count, rows = chunk.features.rows, values = chunk.features.values
            return (0..<width).map { c in (0..<rows).map { values[$0 * width + c] } }
        }
        let summary = try TableReader(format: .csv, source: path).read(path: path, request: request, transform: split) { parts throws(SlipwayError) in
            for c in parts.indices { columns[c].append(contentsOf: parts[c]) }
        }
        return ColumnTable(names: names, columns: columns, rows: summary.rows)
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
