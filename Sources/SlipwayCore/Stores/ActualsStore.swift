/// A true value that arrived after the prediction: `id` is a served request's id (row `k` of a
/// request with several rows is `<request id>:<k>`, from 1) or a batch prediction's row id.
public struct Actual: Sendable, Hashable {
    public var id: String
    public var value: Double

    public init(id: String, value: Double) {
        self.id = id
        self.value = value
    }
}

/// What became of a set of actuals: every one is kept (the latest value for an id wins), and those
/// whose id matches no prediction of the model yet are counted, with a few of them named.
public struct ActualsReceipt: Sendable, Hashable {
    public var received: Int
    public var matched: Int
    public var unknown: Int
    public var unknownExamples: [String]

    public init(received: Int, matched: Int, unknown: Int, unknownExamples: [String]) {
        self.received = received
        self.matched = matched
        self.unknown = unknown
        self.unknownExamples = unknownExamples
    }
}

/// Actuals, and predictions joined to them: the input of realized performance.
public protocol ActualsStore: Sendable {
    /// Stores `actuals` for `model` (replacing earlier values for the same ids) and says how many
    /// match a prediction of the model, served or batch.
    func add(model: String, actuals: [Actual], receivedAt: Int64) async throws -> ActualsReceipt

    /// Every successful prediction of `model` (of `version` when given) made in `since..<until`,
    /// served and batch, one per row, with its actual when there is one.
    func labeled(model: String, since: Int64, until: Int64, version: Int?) async throws -> [LabeledPrediction]
}
