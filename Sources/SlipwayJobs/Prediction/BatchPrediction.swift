import Foundation
public import SlipwayCore
public import SlipwayModels

/// A batch prediction into a table: every row of some files predicted by one model version and
/// written, with the version and the time, into a prediction table in one transaction. The files
/// are read, predicted and handed to the table's writer as a pipeline, a few chunks in flight, so
/// memory does not grow with the input.
public struct BatchPrediction: Sendable {
    public let predictor: any Predictor
    public let provenance: PredictionProvenance
    /// The column holding each row's key; without one, a row's key is its file's digest and its row number.
    public let idColumn: String?
    /// Threads that read and predict (0: every core).
    public var threads = 0

    public init(predictor: any Predictor, provenance: PredictionProvenance, idColumn: String?) {
        self.predictor = predictor
        self.provenance = provenance
        self.idColumn = idColumn
    }

    /// What one batch did.
    public struct Outcome: Sendable {
        public var files: Int
        public var rowsRead: Int
        public var rowsWritten: Int
        /// Rows read from each file, in order.
        public var rowsPerFile: [Int]
    }

    /// The output columns: `prediction`, or `p0, p1, ...` (one probability per class), as in an output file.
    public var outputColumns: [String] {
        predictor.outputsPerRow == 1 ? ["prediction"] : (0..<predictor.outputsPerRow).map { "p\($0)" }
    }

    /// Predicts every row of `files` into `table`. `digests` are the files' SHA-256s when the
    /// caller has them (for keys without an id column). `progress` hears the rows and the bytes
    /// read so far, from the reading thread.
    /// - Throws: `INVALID_PARAMETER_VALUE` for an unreadable file, a bad row, a missing id column or
    ///   a table that does not fit; nothing is written then.
    public func run(
        files: [String], digests: [String]? = nil, into table: String, store: any PredictionTableStore,
        progress: (@Sendable (_ rows: Int, _ bytes: Int) -> Void)? = nil
    ) async throws -> Outcome {
        let handoff = Handoff(limit: 8)
        defer { handoff.stop() }  // a writer that failed early releases the reader
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: PredictionRows.self, throwing: (any Error).self)
        continuation.onTermination = { _ in handoff.stop() }
        let counted = RowCount()
        let reading = Thread { [self] in
            do {
                try read(files: files, digests: digests, handoff: handoff, continuation: continuation, counted: counted, progress: progress)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        reading.stackSize = 1 << 22
        reading.start()
        let written = try await store.write(table: table, outputs: outputColumns, provenance: provenance, batches: handoff.draining(stream))
        return Outcome(files: files.count, rowsRead: counted.value, rowsWritten: written, rowsPerFile: counted.perFile)
    }

    /// Predicts rows already read (a SQL source's) into `table`, `ids` one per row, in one transaction.
    public func run(features: FeatureMatrix, ids: [String], into table: String, store: any PredictionTableStore) async throws -> Outcome {
        let outputs = features.rows > 0 ? try predictor.predict(features, threads: threads) : []
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: PredictionRows.self, throwing: (any Error).self)
        if features.rows > 0 { continuation.yield(PredictionRows(ids: ids, outputs: outputs)) }
        continuation.finish()
        let written = try await store.write(table: table, outputs: outputColumns, provenance: provenance, batches: stream)
        return Outcome(files: 0, rowsRead: features.rows, rowsWritten: written, rowsPerFile: [])
    }

    /// The reading side: each file in turn, its chunks predicted on every core and passed on in order.
    func read(
        files: [String], digests: [String]?, handoff: Handoff, continuation: AsyncThrowingStream<PredictionRows, any Error>.Continuation,
        counted: RowCount, progress: (@Sendable (_ rows: Int, _ bytes: Int) -> Void)?
    ) throws {
        let predictor = self.predictor
        let request = FeatureRequest(model: predictor, id: idColumn)
        var bytesBefore = 0  // of the files already read
        for (index, file) in files.enumerated() {
            let derivedKey = idColumn == nil ? try (digests?[index] ?? FileDigest.sha256(path: file)).prefix(16) + ":" : nil
            var row = 0
            let transform = { (chunk: TableChunk) throws(SlipwayError) -> PredictionRows in
                let outputs = chunk.features.rows > 0 ? try predictor.predict(chunk.features, threads: 1) : []
                return PredictionRows(ids: chunk.ids, outputs: outputs)
            }
            let consume = { (rows: PredictionRows) throws(SlipwayError) -> Void in
                var rows = rows
                let count = rows.outputs.count / max(1, predictor.outputsPerRow)
                if let derivedKey { rows.ids = (row..<(row + count)).map { derivedKey + String($0 + 1) } }
                row += count
                guard count > 0 else { return }
                guard handoff.waitForRoom() else { throw SlipwayError(.invalidState, "The prediction table's writer stopped") }
                continuation.yield(rows)
                _ = counted.add(count)
            }
            var reader = TableReader(format: TableFormat(path: file), source: file, threads: threads)
            if let progress {
                let before = bytesBefore
                reader.progress = { bytes in progress(counted.value, before + bytes) }
            }
            let summary = try reader.read(path: file, request: request, transform: transform, consume: consume)
            counted.fileDone(rows: summary.rows)
            bytesBefore += FileDigest.size(path: file)
        }
    }
}

/// At most `limit` chunks between the reading thread and the writer: the reader waits for room.
final class Handoff: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting = 0
    private var stopped = false
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Waits until fewer than `limit` chunks wait; false once the writer has stopped.
    func waitForRoom() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting >= limit && !stopped { condition.wait() }
        guard !stopped else { return false }
        waiting += 1
        return true
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func taken() {
        condition.lock()
        waiting -= 1
        condition.signal()
        condition.unlock()
    }

    /// `stream`, making room for the reader as the writer takes each chunk.
    func draining(_ stream: AsyncThrowingStream<PredictionRows, any Error>) -> AsyncThrowingStream<PredictionRows, any Error> {
        let iterator = IteratorBox(stream.makeAsyncIterator())
        return AsyncThrowingStream { [self] in
            let next = try await iterator.next()
            if next != nil { taken() }
            return next
        }
    }

    /// The iterator, used only by the one task that drains the stream.
    private final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncThrowingStream<PredictionRows, any Error>.AsyncIterator
        init(_ iterator: AsyncThrowingStream<PredictionRows, any Error>.AsyncIterator) { self.iterator = iterator }
        func next() async throws -> PredictionRows? { try await iterator.next() }
    }
}

/// Rows read so far, and per finished file: written by the reading thread, read once it is done.
final class RowCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var files: [Int] = []

    func fileDone(rows: Int) {
        lock.withLock { files.append(rows) }
    }

    var perFile: [Int] { lock.withLock { files } }

    func add(_ rows: Int) -> Int {
        lock.withLock {
            count += rows
            return count
        }
    }

    var value: Int { lock.withLock { count } }
}
