/// The log of served predictions, and the way back to every prediction of a model (served, and
/// batch rows in the prediction tables of Slipway's own database).
public protocol PredictionLogStore: Sendable {
    /// Appends served requests, all or none.
    func append(_ entries: [ServedPrediction]) async throws
    /// Deletes served requests older than `time` (ms since the epoch); returns how many.
    func prune(before time: Int64) async throws -> Int
    /// A model's predictions, newest first, at most `limit`; the token continues where a page ended.
    /// - Throws: INVALID_PARAMETER_VALUE for a token this store did not make.
    func list(_ query: PredictionQuery) async throws -> (records: [PredictionRecord], nextPageToken: String?)
    /// The rows of a model's successful served requests made in `since..<until` (by `version` when
    /// given) that carried `featureCount` features: what drift compares with a reference.
    func servedRows(model: String, since: Int64, until: Int64, version: Int?, featureCount: Int) async throws -> ServedRows
    /// Served requests of `model` in `since..<until` per hour (aligned on the epoch) and version, oldest first.
    func hourly(model: String, since: Int64, until: Int64) async throws -> [HourlyServing]
}

/// Served rows in bulk: features row-major (`featureCount` per row, NaN for missing) and the
/// outputs (`outputsPerRow` per row).
public struct ServedRows: Sendable {
    public var featureCount: Int
    public var outputsPerRow: Int
    public var features: [Double]
    public var outputs: [Double]

    public init(featureCount: Int, outputsPerRow: Int, features: [Double] = [], outputs: [Double] = []) {
        self.featureCount = featureCount
        self.outputsPerRow = outputsPerRow
        self.features = features
        self.outputs = outputs
    }

    public var rows: Int { featureCount > 0 ? features.count / featureCount : 0 }
}

/// Which predictions to read back.
public struct PredictionQuery: Sendable, Hashable {
    public var model: String
    /// Milliseconds since the epoch, inclusive.
    public var since: Int64?
    /// Milliseconds since the epoch, exclusive.
    public var until: Int64?
    public var version: Int?
    /// Only served requests, or only batch rows; both when nil.
    public var kind: PredictionRecord.Kind?
    public var limit: Int
    public var pageToken: String?

    public init(model: String, since: Int64? = nil, until: Int64? = nil, version: Int? = nil, kind: PredictionRecord.Kind? = nil, limit: Int = 100,
                pageToken: String? = nil) {
        self.model = model
        self.since = since
        self.until = until
        self.version = version
        self.kind = kind
        self.limit = limit
        self.pageToken = pageToken
    }
}

/// One hour of a version's served requests: how many, their rows, how many failed, and their mean latency.
public struct HourlyServing: Sendable, Hashable {
    /// The hour's start, milliseconds since the epoch.
    public var hour: Int64
    /// `nil` for requests answered before any version loaded.
    public var version: Int?
    public var requests: Int
    public var rows: Int
    public var errors: Int
    public var meanLatencyMicroseconds: Double

    public init(hour: Int64, version: Int?, requests: Int, rows: Int, errors: Int, meanLatencyMicroseconds: Double) {
        self.hour = hour
        self.version = version
        self.requests = requests
        self.rows = rows
        self.errors = errors
        self.meanLatencyMicroseconds = meanLatencyMicroseconds
    }
}
