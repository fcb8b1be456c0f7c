/// A batch of predictions bound for a prediction table: one id per row, `outputs.count / ids.count`
/// outputs per row (row-major).
public struct PredictionRows: Sendable {
    public var ids: [String]
    public var outputs: [Double]

    public init(ids: [String], outputs: [Double]) {
        self.ids = ids
        self.outputs = outputs
    }
}

/// Who made a batch of predictions, and when: the same for every row of one write.
public struct PredictionProvenance: Sendable {
    public var model: String
    public var version: Int
    /// Milliseconds since the epoch.
    public var predictedAt: Int64
    /// The job run that wrote the rows, if a job did.
    public var jobRun: String?

    public init(model: String, version: Int, predictedAt: Int64, jobRun: String? = nil) {
        self.model = model
        self.version = version
        self.predictedAt = predictedAt
        self.jobRun = jobRun
    }
}

/// Tables of batch predictions, with columns `id, model, version, <outputs>, predicted_at,
/// job_run` and one row per (id, model, version): the table a prediction job fills and users query.
public protocol PredictionTableStore: Sendable {
    /// Writes every batch `batches` yields into `table`, creating it when it does not exist, all in
    /// one transaction: either every row is written or none is. A row whose (id, model, version) is
    /// already in the table is left as it is. Returns how many rows were added.
    /// - Throws: `INVALID_PARAMETER_VALUE` for a table name that is not a plain identifier, or an
    ///   existing table whose columns do not fit `outputs`; whatever `batches` throws (nothing is written then).
    func write(
        table: String, outputs: [String], provenance: PredictionProvenance, batches: AsyncThrowingStream<PredictionRows, any Error>
    ) async throws -> Int
}

/// Feature rows read from a SQL source: `values` row-major, the ids (when an id column was named),
/// and the highest watermark value among them (as text) when a watermark was asked for.
public struct SourceRows: Sendable {
    public var values: [Double]
    public var rows: Int
    public var ids: [String]
    public var lastWatermark: String?

    public init(values: [Double], rows: Int, ids: [String], lastWatermark: String? = nil) {
        self.values = values
        self.rows = rows
        self.ids = ids
        self.lastWatermark = lastWatermark
    }
}

/// Which rows of a SQL source to read: those whose `column` is above `after` (all when `nil`), or,
/// for a backfill, from `from` (inclusive) to `until` (exclusive).
public struct SourceWatermark: Sendable {
    public var column: String
    public var after: String?
    public var from: String?
    public var until: String?

    public init(column: String, after: String?, from: String? = nil, until: String? = nil) {
        self.column = column
        self.after = after
        self.from = from
        self.until = until
    }
}
