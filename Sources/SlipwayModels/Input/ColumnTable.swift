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
        // Each chunk is cut into columns, and counted, on the thread that parsed it; what stays in
        // file order (merging counts, appending values) is quick.
        let split = { (chunk: TableChunk) throws(SlipwayError) -> [Part] in
            chunk.features.values.withUnsafeBufferPointer { values in
                (0..<names.count).map { Part(values, column: $0, width: names.count, rows: chunk.features.rows) }
            }
        }
        let summary = try TableReader(format: .csv, source: path).read(path: path, request: request, transform: split) { parts throws(SlipwayError) in
            for c in parts.indices { columns[c].add(parts[c], expected: expected) }
        }
        return ColumnTable(names: names, columns: columns.map(\.result), rows: summary.rows)
    }

    /// One column's share of a chunk: counts while it has at most 64 distinct values, else its values.
    enum Part {
        case counts(keys: [Double], counts: [Int], missing: Int)
        case values([Double])

        init(_ values: UnsafeBufferPointer<Double>, column: Int, width: Int, rows: Int) {
            var keys: [Double] = [], counts: [Int] = [], missing = 0
            for row in 0..<rows {
                let value = values[row * width + column]
                if value.isNaN {
                    missing += 1
                } else if let slot = keys.firstIndex(of: value) {
                    counts[slot] += 1
                } else if keys.count < 64 {
                    keys.append(value)
                    counts.append(1)
                } else {
                    self = .values((0..<rows).map { values[$0 * width + column] })
                    return
                }
            }
            self = .counts(keys: keys, counts: counts, missing: missing)
        }
    }

    /// One column while it is read: counts while it has few distinct values, its values after.
    struct Column {
        var keys: [Double] = []
        var counts: [Int] = []
        var missing = 0
        var values: [Double]?

        mutating func add(_ part: Part, expected: Int) {
            switch part {
            case .values(let more):
                if values == nil { values = expanded(reserving: max(expected, rows + more.count)) }
                values!.append(contentsOf: more)
            case .counts(let keys, let counts, let missing):
                if values != nil {
                    values!.append(contentsOf: Column(keys: keys, counts: counts, missing: missing).expanded(reserving: 0))
                    return
                }
                self.missing += missing
                for (key, count) in zip(keys, counts) {
                    if let slot = self.keys.firstIndex(of: key) {
                        self.counts[slot] += count
                    } else {
                        self.keys.append(key)
                        self.counts.append(count)
                    }
                }
                if self.keys.count > 64 { values = expanded(reserving: expected) }
            }
        }

        var rows: Int { counts.reduce(missing, +) }

        /// The counted values, one per row (in no particular order), missing ones as NaN.
        func expanded(reserving capacity: Int) -> [Double] {
            var all: [Double] = []
            all.reserveCapacity(max(capacity, rows))
            for (key, count) in zip(keys, counts) { all.append(contentsOf: repeatElement(key, count: count)) }
            all.append(contentsOf: repeatElement(.nan, count: missing))
            return all
        }

        var result: ColumnValues {
            values.map(ColumnValues.values) ?? .counts(keys: keys, counts: counts, missing: missing)
        }
    }

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
