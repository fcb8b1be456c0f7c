import Dispatch
import Foundation
public import SlipwayCore

/// The text formats a feature table comes in.
public enum TableFormat: Sendable {
    /// CSV with a header row.
    case csv
    /// One JSON object or array per line.
    case jsonLines

    /// JSON lines for `.jsonl`/`.ndjson` files, else CSV.
    public init(path: String) {
        let lower = path.lowercased()
        self = lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") ? .jsonLines : .csv
    }
}

/// What a reader reads out of a table: the model's features, and optionally a target column.
public struct FeatureRequest: Sendable {
    public var featureNames: [String]
    public var featureCount: Int
    /// A column read as numbers beside the features (an evaluation's labels); CSV only.
    public var target: String?
    /// A column read as each row's key, as text (a batch prediction's ids); CSV only.
    public var id: String?
    /// Feature slots read as text categories (`Predictor.textCategories`).
    public var textCategories: [Int: [String]]

    public init(featureNames: [String], featureCount: Int, target: String? = nil, id: String? = nil, textCategories: [Int: [String]] = [:]) {
        self.featureNames = featureNames
        self.featureCount = featureCount
        self.target = target
        self.id = id
        self.textCategories = textCategories
    }

    public init(model: any Predictor, target: String? = nil, id: String? = nil) {
        self.init(featureNames: model.featureNames, featureCount: model.featureCount, target: target, id: id, textCategories: model.textCategories)
    }
}

/// A run of consecutive rows of a table, read.
public struct TableChunk: Sendable {
    /// The rows' features in the model's order, missing values as NaN.
    public var features: FeatureMatrix
    /// The target values, one per row, when a target was asked for.
    public var target: [Double]
    /// The ids, one per row, when an id column was asked for.
    public var ids: [String] = []
}

/// Reads a CSV or JSON lines table in large blocks, whatever its size, in bounded memory: each
/// block is cut at record boundaries into one part per thread, the parts are parsed (and handed
/// to `transform`) on all threads at once, and their results reach `consume` in file order on the
/// calling thread. Numbers are read straight from bytes, only the columns asked for are read, and
/// an error names the row (the header is row 1; CSV rows count records, JSON lines count lines).
public struct TableReader: Sendable {
    public let format: TableFormat
    /// Names the table in errors.
    public let source: String
    /// Threads that parse at once; 0 for every core.
    public var threads: Int
    /// Bytes a block holds before it is parsed; a record longer than this grows the block.
    public var blockSize: Int
    /// Hears how many bytes of records (after the header) have been read and consumed, after each block.
    public var progress: (@Sendable (_ bytes: Int) -> Void)?

    public init(format: TableFormat, source: String, threads: Int = 0, blockSize: Int = 1 << 22) {
        self.format = format
        self.source = source
        self.threads = threads
        self.blockSize = max(1, blockSize)
    }

    /// What a read found: the header (CSV) and how many rows it read.
    public struct Summary: Sendable {
        public var header: [String]
        public var rows: Int
    }

    /// Reads a file. - Throws: `INVALID_PARAMETER_VALUE` for an unreadable file and for whatever ``read(_:request:transform:consume:)`` throws.
    public func read<Output>(
        path: String, request: FeatureRequest,
        transform: (TableChunk) throws(SlipwayError) -> Output, consume: (Output) throws(SlipwayError) -> Void
    ) throws(SlipwayError) -> Summary {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .invalidParameter("Cannot read input file '\(path)'")
        }
        defer { try? handle.close() }
        var source = FileBytes(descriptor: handle.fileDescriptor, path: path)
        return try read(&source, request: request, transform: transform, consume: consume)
    }

    /// Reads a table held in memory.
    public func read<Output>(
        bytes: [UInt8], request: FeatureRequest,
        transform: (TableChunk) throws(SlipwayError) -> Output, consume: (Output) throws(SlipwayError) -> Void
    ) throws(SlipwayError) -> Summary {
        var source = MemoryBytes(bytes: bytes)
        return try read(&source, request: request, transform: transform, consume: consume)
    }

    /// Reads the whole table into one chunk: for tables that fit in memory (evaluation datasets).
    public func readAll(bytes: [UInt8], request: FeatureRequest) throws(SlipwayError) -> (TableChunk, Summary) {
        var features: [Double] = [], target: [Double] = []
        let summary = try read(bytes: bytes, request: request, transform: { $0 }) { chunk throws(SlipwayError) in
            features.append(contentsOf: chunk.features.values)
            target.append(contentsOf: chunk.target)
        }
        let matrix = try FeatureMatrix(rows: summary.rows, columns: request.featureCount, values: features)
        return (TableChunk(features: matrix, target: target), summary)
    }

    func read<Source: ByteSource, Output>(
        _ input: inout Source, request: FeatureRequest,
        transform: (TableChunk) throws(SlipwayError) -> Output, consume: (Output) throws(SlipwayError) -> Void
    ) throws(SlipwayError) -> Summary {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(blockSize)
        var eof = false
        var wanted = blockSize
        func fill() throws(SlipwayError) {
            while !eof, buffer.count < wanted {
                if try input.read(into: &buffer, upTo: wanted - buffer.count) == 0 { eof = true }
            }
        }

        // The header, and from it where each column goes.
        var header: [String] = []
        var records = 0
        let parse: @Sendable (UnsafeRawBufferPointer, inout ParsedRows) throws(CellError) -> Void
        wanted = max(blockSize, 3)  // enough to see a byte order mark
        try fill()
        wanted = blockSize
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3) }
        switch format {
        case .csv:
            while true {
                var end = 0
                records = 0
                let names = buffer.withUnsafeBytes { bytes in
                    // The first non-blank record.
                    while end < bytes.count, CSVRecords.skipBlank(bytes, at: &end) { records += 1 }
                    return CSVRecords.strings(bytes, at: &end)
                }
                if let names, end < buffer.count || eof {
                    guard !(names == [""] && eof && end >= buffer.count) else { throw .invalidParameter("CSV file '\(source)' is empty") }
                    header = names.map { $0.trimmingCharacters(in: .whitespaces) }
                    buffer.removeFirst(end)
                    records += 1
                    break
                }
                guard !eof else {
                    throw .invalidParameter(names == nil ? "CSV file '\(source)' row 1 has a quoted field that never ends" : "CSV file '\(source)' is empty")
                }
                wanted *= 2
                try fill()
            }
            let columns = try TableColumns(
                header: header, featureNames: request.featureNames, featureCount: request.featureCount, target: request.target, id: request.id,
                textCategories: request.textCategories)
            let parser = CSVChunkParser(columns: columns)
            parse = { bytes, rows throws(CellError) in try parser.parse(bytes, into: &rows) }
        case .jsonLines:
            guard request.target == nil else { throw .invalidParameter("A target column needs a CSV table") }
            guard request.id == nil else { throw .invalidParameter("An id column needs a CSV table; JSON lines rows get keys from the file's digest and line") }
            let parser = JSONLinesChunkParser(featureNames: request.featureNames, featureCount: request.featureCount, textCategories: request.textCategories)
            parse = { bytes, rows throws(CellError) in try parser.parse(bytes, into: &rows) }
        }

        let threadCount = max(1, threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)
        // Two parts per thread: a thread that finishes early takes another, so a block's threads end together.
        let parts = threadCount == 1 ? 1 : 2 * threadCount
        var rows = 0
        var consumed = 0
        var next: [UInt8] = []  // the block being read while this one is parsed; the two swap, keeping their memory
        while true {
            try fill()
            if buffer.isEmpty { break }
            let cuts = buffer.withUnsafeBytes { RecordBoundaries.cuts($0, parts: parts, quoted: format == .csv, atEnd: eof) }
            guard let usable = cuts.last, usable > 0 else {
                // One record longer than the block: read more of it.
                guard !eof else { break }
                wanted *= 2
                continue
            }
            // The next block starts with the unread tail; one job tops it up while the others parse.
            let prefetch = !eof && threadCount > 1
            var nextAtEnd = eof
            var readError: SlipwayError?
            if prefetch {
                next.removeAll(keepingCapacity: true)
                next.reserveCapacity(blockSize + buffer.count - usable)
                next.append(contentsOf: buffer[usable...])
            }
            let results = buffer.withUnsafeBytes { bytes in
                Self.parallel(count: cuts.count + (prefetch ? 1 : 0)) { job -> Result<(Output, Int, Int), CellError>? in
                    if prefetch && job == 0 {
                        do throws(SlipwayError) {
                            while !nextAtEnd, next.count < blockSize {
                                if try input.read(into: &next, upTo: blockSize - next.count) == 0 { nextAtEnd = true }
                            }
                        } catch {
                            readError = error
                        }
                        return nil
                    }
                    let part = prefetch ? job - 1 : job
                    let start = part == 0 ? 0 : cuts[part - 1]
                    var parsed = ParsedRows()
                    do {
                        try parse(UnsafeRawBufferPointer(rebasing: bytes[start..<cuts[part]]), &parsed)
                        let features = try FeatureMatrix(rows: parsed.rows, columns: request.featureCount, values: parsed.features)
                        let chunk = TableChunk(features: features, target: parsed.target, ids: parsed.ids)
                        return .success((try transform(chunk), parsed.rows, parsed.records))
                    } catch let error as CellError {
                        return .failure(error)
                    } catch {
                        return .failure(CellError(record: -1, message: (error as? SlipwayError)?.message ?? "\(error)"))
                    }
                }
            }
            for case let result? in results {
                switch result {
                case .success(let (output, partRows, partRecords)):
                    try consume(output)
                    rows += partRows
                    records += partRecords
                case .failure(let error):
                    guard error.record >= 0 else { throw .invalidParameter(error.message) }
                    let place = format == .csv ? "CSV file '\(source)' row" : "JSON lines file '\(source)' line"
                    throw .invalidParameter("\(place) \(records + error.record + 1)\(error.aboutCell ? ", " : " ")\(error.message)")
                }
            }
            if let readError { throw readError }
            consumed += usable
            progress?(consumed)
            if prefetch {
                swap(&buffer, &next)
                eof = nextAtEnd
            } else {
                buffer.removeFirst(usable)
            }
            wanted = blockSize
        }
        return Summary(header: header, rows: rows)
    }

    /// Runs `body` for parts `0..<count` on as many threads, and returns the results in order.
    static func parallel<T>(count: Int, _ body: (Int) -> T) -> [T] {
        if count == 1 { return [body(0)] }
        return withoutActuallyEscaping(body) { body in
            // Each part writes only its own slot; the caller waits for all of them.
            nonisolated(unsafe) let body = body
            let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
            slots.initialize(repeating: nil)
            defer { slots.deallocate() }
            nonisolated(unsafe) let shared = slots
            DispatchQueue.concurrentPerform(iterations: count) { part in shared[part] = body(part) }
            return (0..<count).map { (slots.baseAddress! + $0).move()! }
        }
    }
}
