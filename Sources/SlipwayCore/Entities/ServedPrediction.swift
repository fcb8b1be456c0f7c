/// One prediction request the serving API answered, as the prediction log keeps it: which model
/// and version answered (none when the request failed before a version was chosen), the rows it
/// read in the model's feature order, what it predicted, how long it took and how it ended.
public struct ServedPrediction: Sendable, Hashable {
    /// The client's `X-Request-Id`, else one made for the request.
    public var requestID: String
    public var model: String
    public var version: Int?
    /// Milliseconds since the epoch.
    public var servedAt: Int64
    /// Features, row-major, in the model's order (NaN for missing); empty when the body could not be read.
    public var features: [Double]
    /// Features per row.
    public var featureCount: Int
    /// Outputs, row-major (`outputsPerRow` per row); empty for an error.
    public var outputs: [Double]
    public var outputsPerRow: Int
    public var latencyMicroseconds: Int64
    /// The HTTP status answered.
    public var status: Int
    public var error: String?
    /// The process that answered (`/slipway/server/host:port`).
    public var source: String

    public init(
        requestID: String, model: String, version: Int?, servedAt: Int64, features: [Double], featureCount: Int, outputs: [Double],
        outputsPerRow: Int, latencyMicroseconds: Int64, status: Int, error: String? = nil, source: String
    ) {
        self.requestID = requestID
        self.model = model
        self.version = version
        self.servedAt = servedAt
        self.features = features
        self.featureCount = featureCount
        self.outputs = outputs
        self.outputsPerRow = outputsPerRow
        self.latencyMicroseconds = latencyMicroseconds
        self.status = status
        self.error = error
        self.source = source
    }

    /// Rows the request carried (0 when its body could not be read).
    public var rows: Int { featureCount > 0 ? features.count / featureCount : (outputsPerRow > 0 ? outputs.count / outputsPerRow : 0) }
}

/// A row of the prediction record as read back: a served request or a batch prediction's row.
public struct PredictionRecord: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case served, batch
    }

    public var kind: Kind
    /// The request id (served) or the row's id (batch).
    public var id: String
    public var model: String
    public var version: Int?
    /// Milliseconds since the epoch.
    public var at: Int64
    /// Served: the input rows as JSON (`[[...], ...]`); batch: nil.
    public var inputs: String?
    /// The outputs as JSON: served, one value (or array) per row; batch, the row's value (or array).
    public var outputs: String?
    public var status: Int?
    public var latencyMicroseconds: Int64?
    public var error: String?
    /// Batch: the table it is in.
    public var table: String?

    public init(
        kind: Kind, id: String, model: String, version: Int?, at: Int64, inputs: String? = nil, outputs: String?, status: Int? = nil,
        latencyMicroseconds: Int64? = nil, error: String? = nil, table: String? = nil
    ) {
        self.kind = kind
        self.id = id
        self.model = model
        self.version = version
        self.at = at
        self.inputs = inputs
        self.outputs = outputs
        self.status = status
        self.latencyMicroseconds = latencyMicroseconds
        self.error = error
        self.table = table
    }
}
